// Package codec is the compact binary encoding of the values the store
// seals: profiles and source records. It is to encoding/json what a
// tagged binary format is to text: the same Go types, no schema files,
// about a third of the bytes and a fraction of the time.
//
// # Format
//
// A struct is a sequence of fields, each a key and a payload; fields with
// the zero value are left out. The key is the uvarint of number<<3 | wire
// type, where the number is the field's: written in its struct tag
// (`codec:"7"`, 1 to 65535, once per struct), so fields may be renamed,
// moved, added and removed without breaking stored values; a field
// unknown to the decoder is skipped. Changing or reusing a number is what
// breaks them. A struct numbers all its fields or none (`codec:"-"`
// leaves one out): a number missing, repeated or out of range is an error
// of Marshal and Unmarshal for the type, found before any value is read.
//
// A struct without numbers keys its fields by a 16-bit hash of their Go
// names, as every struct did before numbers (checked for collisions
// within the struct); renaming one of its fields loses that field's
// stored values, as renaming a JSON key would. Every struct a store keeps
// is numbered ([CheckNumbered] says which is not); the fields older than
// numbering carry the hash of their name of the time as their number, so
// no stored byte changed.
//
// Wire types: 0 varint (bools, integers zig-zag encoded, unsigned
// integers, times as zig-zag nanoseconds since 1970); 1 length-prefixed
// bytes (strings, byte slices, nested structs, slices, structs that
// implement [encoding.TextMarshaler] in their text form, and times outside
// the range of int64 nanoseconds in their MarshalBinary form); 2 fixed 64-bit
// little-endian (floats); 3 a string field as the uvarint index of a
// string in the value's string table. A slice's payload is the uvarint
// element count and each element's payload in turn (strings in a slice
// are written out, not referenced).
//
// # String table
//
// A value names the same strings many times: a profile repeats each of
// its record keys in its records and in the provenance of its fields,
// orders and events (on the profiles scvbench makes, 40 of 68 strings are
// repeats, and the table makes them 26% shorter). So [Append] writes
// every string field as a reference (wire type 3) and the distinct
// strings once, in a table that comes first: key 0x01 (number 0, which no
// field has, wire type 1), then a payload of the uvarint count and each
// string, length-prefixed, in the order the value first uses them. A
// decoder reads the table before the fields, so skipping an unknown
// field never loses track of it, and gives every reference to one string
// the same copy.
//
// # Compatibility
//
// Values of the first format (every string written out, no table) still
// decode, and decoders accept either form of any string field, also into
// a field that has become a []byte or a text-marshaled struct.
// [AppendLiteral] writes the first format, for bytes that must never
// change. A value
// written with references cannot be read by a decoder older than the
// table: a database written by this version must not be opened by an
// older one.
//
// Numbering the fields changed no byte: values written before numbers
// decode and encode again to the same bytes (testdata/format2-*.bin), so
// databases of either side of the change open on the other.
//
// Times decode in UTC: the instant is kept, the zone is not.
//
// Encoding is deterministic: equal values give equal bytes.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
)

const (
	wireVarint = 0
	wireBytes  = 1
	wireFixed  = 2
	wireRef    = 3 // a string field: the uvarint index of a string in the table

	// tableKey is the key of a value's string table: tag 0, which no
	// field has, with wire type bytes. No value of the first format
	// starts with this byte (their keys are 8 or more).
	tableKey = 0<<3 | wireBytes
)

// ErrMalformed is returned by Unmarshal for bytes that are not a value of
// the given type.
var ErrMalformed = errors.New("codec: malformed input")

// Marshal returns the encoding of the struct v points to.
func Marshal(v any) ([]byte, error) { return Append(nil, v) }

// Append appends the encoding of the struct v points to to dst.
func Append(dst []byte, v any) ([]byte, error) { return appendValue(dst, v, false) }

// AppendLiteral appends the encoding of the struct v points to in the
// first format: every string written out, no string table. It decodes as
// any encoding does, and its bytes for a value never change with the
// string table's heuristics: a store that keys anything on the encoding
// of a value (a MAC of a record's content) uses it.
func AppendLiteral(dst []byte, v any) ([]byte, error) { return appendValue(dst, v, true) }

func appendValue(dst []byte, v any, literal bool) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return dst, fmt.Errorf("codec: Marshal needs a non-nil pointer to a struct, not %T", v)
	}
	p, err := planFor(rv.Elem().Type())
	if err != nil {
		return dst, err
	}
	e := encoders.Get().(*encoder)
	defer e.release()
	if literal {
		e.literal = true
		return p.encode(e, dst, rv.UnsafePointer()), nil
	}
	e.body = p.encode(e, e.body[:0], rv.UnsafePointer())
	if len(e.table) > 0 {
		n := uvarintLen(uint64(len(e.table)))
		for _, s := range e.table {
			n += uvarintLen(uint64(len(s))) + len(s)
		}
		dst = append(dst, tableKey)
		dst = binary.AppendUvarint(dst, uint64(n))
		dst = binary.AppendUvarint(dst, uint64(len(e.table)))
		for _, s := range e.table {
			dst = appendString(dst, s)
		}
	}
	return append(dst, e.body...), nil
}

// Unmarshal decodes data into the struct v points to. Fields absent from
// data keep their values; v should be zero.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("codec: Unmarshal needs a non-nil pointer to a struct, not %T", v)
	}
	p, err := planFor(rv.Elem().Type())
	if err != nil {
		return err
	}
	d := decoders.Get().(*decoder)
	defer d.release()
	d.b, d.lim = data, 0
	if err := d.readTable(); err != nil {
		return err
	}
	return p.decodeFields(d, rv.UnsafePointer())
}
