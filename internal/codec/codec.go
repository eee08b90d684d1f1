// Package codec is the compact binary encoding of the values the store
// seals: profiles and source records. It is to encoding/json what a
// tagged binary format is to text: the same Go types, no schema files,
// about a third of the bytes and a fraction of the time.
//
// # Format
//
// A struct is a sequence of fields, each a key and a payload; fields with
// the zero value are left out. The key is the uvarint of tag<<3 | wire
// type, where the tag is a 16-bit hash of the field's Go name (fixed at
// 1..65535, checked for collisions within each struct type), so fields may
// be added, removed and reordered without breaking stored values; a field
// unknown to the decoder is skipped. Renaming a field loses its stored
// values, as renaming a JSON key would.
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
// strings once, in a table that comes first: key 0x01 (tag 0, which no
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
// Times decode in UTC: the instant is kept, the zone is not.
//
// Encoding is deterministic: equal values give equal bytes.
package codec

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"sync"
	"time"
	"unsafe"
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
		return p.encode(e, dst, rv.Elem()), nil
	}
	e.body = p.encode(e, e.body[:0], rv.Elem())
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

// A codec encodes and decodes values of one type.
type codec struct {
	wire     int
	isTime   bool
	isString bool                                                 // a string kind: as a struct field, a reference to the string table
	encode   func(e *encoder, dst []byte, v reflect.Value) []byte // the payload, without a key
	// decode decodes a payload into the value of the codec's type at p.
	// It writes through p without reflection: the layout comes from the
	// type's reflect data (field offsets, element sizes), read once when
	// the codec is built.
	decode func(d *decoder, wire int, p unsafe.Pointer) error
	zero   func(v reflect.Value) bool
}

type field struct {
	index  int
	offset uintptr
	key    uint64
	c      *codec
}

type structPlan struct {
	fields []field
	byKey  map[uint64]int // tag -> position in fields
}

var (
	plans   sync.Map // reflect.Type -> *codec
	planMu  sync.Mutex
	timeTyp = reflect.TypeFor[time.Time]()
	textTyp = reflect.TypeFor[encoding.TextMarshaler]()
)

func planFor(t reflect.Type) (*structPlan, error) {
	c, err := codecFor(t)
	if err != nil {
		return nil, err
	}
	return c.plan, nil
}

// codecFor returns the codec of t, building and caching it.
func codecFor(t reflect.Type) (*codecWithPlan, error) {
	if c, ok := plans.Load(t); ok {
		return c.(*codecWithPlan), nil
	}
	planMu.Lock()
	defer planMu.Unlock()
	return build(t, map[reflect.Type]*codecWithPlan{})
}

type codecWithPlan struct {
	codec
	plan *structPlan
}

func build(t reflect.Type, building map[reflect.Type]*codecWithPlan) (*codecWithPlan, error) {
	if c, ok := plans.Load(t); ok {
		return c.(*codecWithPlan), nil
	}
	if c, ok := building[t]; ok {
		return c, nil // recursive type: filled in below
	}
	c := &codecWithPlan{}
	building[t] = c
	if err := c.fill(t, building); err != nil {
		return nil, err
	}
	plans.Store(t, c)
	return c, nil
}

func (c *codecWithPlan) fill(t reflect.Type, building map[reflect.Type]*codecWithPlan) error {
	c.zero = func(v reflect.Value) bool { return v.IsZero() }
	switch {
	case t == timeTyp:
		// Times are struct fields only (see appendField): their wire
		// type depends on the value.
		c.wire, c.isTime, c.decode = wireVarint, true, decodeTime
		c.encode = func(*encoder, []byte, reflect.Value) []byte { panic("codec: time outside a struct field") }
		return nil
	case t.Kind() == reflect.Struct && t.Implements(textTyp) && reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()):
		// A struct that knows its own text form (its fields may be
		// unexported), such as identity.Phone.
		c.wire = wireBytes
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte {
			b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
			if err != nil {
				panic(fmt.Sprintf("codec: %v.MarshalText: %v", t, err))
			}
			return appendBytes(dst, b)
		}
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			b, err := d.bytesOrRef(wire)
			if err != nil {
				return err
			}
			return reflect.NewAt(t, p).Interface().(encoding.TextUnmarshaler).UnmarshalText(b)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		c.wire = wireVarint
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte {
			if v.Bool() {
				return append(dst, 1)
			}
			return append(dst, 0)
		}
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			u, err := d.varint(wire)
			*(*bool)(p) = u != 0
			return err
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.wire = wireVarint
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte { return binary.AppendVarint(dst, v.Int()) }
		bits := t.Bits()
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			u, err := d.varint(wire)
			if err != nil {
				return err
			}
			n := int64(u>>1) ^ -int64(u&1)
			if shift := 64 - bits; n<<shift>>shift != n {
				return fmt.Errorf("%w: %d overflows %v", ErrMalformed, n, t)
			}
			putBits(p, bits, uint64(n))
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.wire = wireVarint
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte { return binary.AppendUvarint(dst, v.Uint()) }
		bits := t.Bits()
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			u, err := d.varint(wire)
			if err != nil {
				return err
			}
			if shift := 64 - bits; u<<shift>>shift != u {
				return fmt.Errorf("%w: %d overflows %v", ErrMalformed, u, t)
			}
			putBits(p, bits, u)
			return nil
		}
	case reflect.Float32, reflect.Float64:
		c.wire = wireFixed
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte {
			return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Float()))
		}
		single := t.Kind() == reflect.Float32
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			if wire != wireFixed {
				return ErrMalformed
			}
			if d.left() < 8 {
				return ErrMalformed
			}
			f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
			if single {
				*(*float32)(p) = float32(f)
			} else {
				*(*float64)(p) = f
			}
			d.b = d.b[8:]
			return nil
		}
	case reflect.String:
		c.wire, c.isString = wireBytes, true
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte { return appendString(dst, v.String()) }
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			// A string of its own, not cut from one copy of the whole
			// input: any one string kept (a profile id in a list) would
			// keep the whole decrypted value alive. Equal strings of one
			// value share their copy (see decoder.str).
			if wire == wireRef {
				s, err := d.ref()
				*(*string)(p) = s
				return err
			}
			b, err := d.bytes(wire)
			if err != nil {
				return err
			}
			*(*string)(p) = d.str(b)
			return nil
		}
	case reflect.Pointer:
		elem, err := build(t.Elem(), building)
		if err != nil {
			return err
		}
		if elem.isTime {
			return fmt.Errorf("codec: cannot encode %v: times only as struct fields", t)
		}
		c.wire = elem.wire
		c.zero = func(v reflect.Value) bool { return v.IsNil() }
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte { return elem.encode(e, dst, v.Elem()) }
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			q := (*unsafe.Pointer)(p)
			if *q == nil {
				*q = reflect.New(t.Elem()).UnsafePointer()
			}
			return elem.decode(d, wire, *q)
		}
	case reflect.Slice:
		c.wire = wireBytes
		c.zero = func(v reflect.Value) bool { return v.Len() == 0 }
		if t.Elem().Kind() == reflect.Uint8 {
			c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte { return appendBytes(dst, v.Bytes()) }
			c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
				b, err := d.bytesOrRef(wire)
				*(*[]byte)(p) = append([]byte(nil), b...)
				return err
			}
			return nil
		}
		elem, err := build(t.Elem(), building)
		if err != nil {
			return err
		}
		if elem.isTime {
			return fmt.Errorf("codec: cannot encode %v: times only as struct fields", t)
		}
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte {
			dst, start := beginLength(dst)
			dst = binary.AppendUvarint(dst, uint64(v.Len()))
			for i := range v.Len() {
				dst = elem.encode(e, dst, v.Index(i))
			}
			return endLength(dst, start)
		}
		size := t.Elem().Size()
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			outer, n, err := d.enterCount(wire)
			if err != nil {
				return err
			}
			if n == 0 { // as nil, the value an empty slice is encoded from
				return d.leave(outer)
			}
			s := reflect.MakeSlice(t, int(n), int(n))
			base := s.UnsafePointer()
			for i := range uintptr(n) {
				if err := elem.decode(d, elem.wire, unsafe.Add(base, i*size)); err != nil {
					return err
				}
			}
			// Every slice type has the layout of sliceHeader; the
			// pointer store goes through the write barrier.
			*(*sliceHeader)(p) = sliceHeader{base, int(n), int(n)}
			return d.leave(outer)
		}
	case reflect.Struct:
		plan := &structPlan{byKey: map[uint64]int{}}
		c.plan = plan
		c.wire = wireBytes
		tags := map[uint64]string{}
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				return fmt.Errorf("codec: cannot encode %v: unexported field %s would be lost", t, sf.Name)
			}
			if sf.Tag.Get("codec") == "-" {
				continue
			}
			fc, err := build(sf.Type, building)
			if err != nil {
				return fmt.Errorf("%v.%s: %w", t, sf.Name, err)
			}
			tag := fieldTag(sf.Name)
			if other, dup := tags[tag]; dup {
				return fmt.Errorf("codec: %v: fields %s and %s hash to one tag; rename one", t, other, sf.Name)
			}
			tags[tag] = sf.Name
			plan.byKey[tag] = len(plan.fields)
			plan.fields = append(plan.fields, field{index: i, offset: sf.Offset, key: tag, c: &fc.codec})
		}
		c.encode = func(e *encoder, dst []byte, v reflect.Value) []byte {
			dst, start := beginLength(dst)
			return endLength(plan.encode(e, dst, v), start)
		}
		c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
			outer, err := d.enter(wire)
			if err != nil {
				return err
			}
			if err := plan.decodeFields(d, p); err != nil {
				return err
			}
			return d.leave(outer)
		}
	default:
		return fmt.Errorf("codec: cannot encode %v", t)
	}
	return nil
}

// putBits stores the low bits of u in the integer of that many bits at p:
// for signed and unsigned integers alike, since a signed value's low bits
// are its two's complement.
func putBits(p unsafe.Pointer, bits int, u uint64) {
	switch bits {
	case 8:
		*(*uint8)(p) = uint8(u)
	case 16:
		*(*uint16)(p) = uint16(u)
	case 32:
		*(*uint32)(p) = uint32(u)
	default:
		*(*uint64)(p) = u
	}
}

// fieldTag returns the 16-bit tag of a field name, never 0.
func fieldTag(name string) uint64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	s := h.Sum32()
	t := uint64(s>>16^s) & 0xffff
	if t == 0 {
		t = 1
	}
	return t
}

func (p *structPlan) encode(e *encoder, dst []byte, v reflect.Value) []byte {
	for _, f := range p.fields {
		fv := v.Field(f.index)
		if f.c.zero(fv) {
			continue
		}
		if f.c.isTime {
			dst = appendTimeField(dst, f.key, timeOf(fv))
			continue
		}
		if f.c.isString && !e.literal { // a reference to the value's string table
			dst = binary.AppendUvarint(dst, f.key<<3|wireRef)
			dst = binary.AppendUvarint(dst, e.ref(fv.String()))
			continue
		}
		dst = binary.AppendUvarint(dst, f.key<<3|uint64(f.c.wire))
		dst = f.c.encode(e, dst, fv)
	}
	return dst
}

// sliceHeader is the layout of every Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// decodeFields decodes the fields of d's current window into the struct
// at v.
func (p *structPlan) decodeFields(d *decoder, v unsafe.Pointer) error {
	next := 0 // fields come in plan order: try the one after the last first
	for d.left() > 0 {
		k, err := d.uvarint()
		if err != nil {
			return err
		}
		wire, tag := int(k&7), k>>3
		i := next
		if i >= len(p.fields) || p.fields[i].key != tag {
			var ok bool
			if i, ok = p.byKey[tag]; !ok {
				if err := d.skip(wire); err != nil {
					return err
				}
				continue
			}
		}
		next = i + 1
		f := p.fields[i]
		if err := f.c.decode(d, wire, unsafe.Add(v, f.offset)); err != nil {
			return err
		}
	}
	return nil
}

// appendTimeField appends a time field: zig-zag nanoseconds since 1970
// when they fit in an int64 (years 1678 to 2262), else the bytes of
// MarshalBinary.
func appendTimeField(dst []byte, key uint64, t time.Time) []byte {
	if y := t.Year(); y > 1678 && y < 2262 {
		dst = binary.AppendUvarint(dst, key<<3|wireVarint)
		return binary.AppendVarint(dst, t.UnixNano())
	}
	b, err := t.UTC().MarshalBinary()
	if err != nil {
		panic("codec: time.MarshalBinary: " + err.Error()) // only for zone offsets that are not whole minutes
	}
	dst = binary.AppendUvarint(dst, key<<3|wireBytes)
	return appendBytes(dst, b)
}

func decodeTime(d *decoder, wire int, p unsafe.Pointer) error {
	if wire == wireBytes {
		b, err := d.bytes(wire)
		if err != nil {
			return err
		}
		var t time.Time
		if err := t.UnmarshalBinary(b); err != nil {
			return ErrMalformed
		}
		*(*time.Time)(p) = t.UTC()
		return nil
	}
	u, err := d.varint(wire)
	if err != nil {
		return err
	}
	n := int64(u>>1) ^ -int64(u&1)
	*(*time.Time)(p) = time.Unix(0, n).UTC()
	return nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// timeOf returns the time v holds, without boxing it when v is
// addressable (as struct fields reached through a pointer are).
func timeOf(v reflect.Value) time.Time {
	if v.CanAddr() {
		return *(*time.Time)(v.Addr().UnsafePointer())
	}
	return v.Interface().(time.Time)
}

// beginLength reserves one byte for the length of what follows; endLength
// writes it, moving the body when the length needs more bytes.
func beginLength(dst []byte) ([]byte, int) { return append(dst, 0), len(dst) }

func endLength(dst []byte, start int) []byte {
	n := len(dst) - start - 1
	if n < 0x80 {
		dst[start] = byte(n)
		return dst
	}
	var lb [binary.MaxVarintLen64]byte
	l := binary.PutUvarint(lb[:], uint64(n))
	dst = append(dst, lb[:l-1]...)
	copy(dst[start+l:], dst[start+1:start+1+n])
	copy(dst[start:], lb[:l])
	return dst
}

// A decoder reads one input front to back. Nested values (structs,
// slices) are windows of it: the current window ends where len(b) ==
// lim, so no value needs a decoder of its own.
type decoder struct {
	b   []byte // what is left of the input
	lim int
	// seen holds strings this decoder made, by a hash of their bytes: a
	// value repeats its strings (a profile names each of its record keys
	// in its records, the provenance of its fields, its orders and
	// events), and equal strings need one copy. A slot holds the last
	// string that hashed to it.
	seen [64]string
	// table is the value's string table (see Append), for wireRef.
	table []string
}

// readTable reads the string table a value starts with, if it has one.
func (d *decoder) readTable() error {
	if len(d.b) == 0 || d.b[0] != tableKey {
		return nil // a value without strings, or of the first format
	}
	d.b = d.b[1:]
	outer, n, err := d.enterCount(wireBytes)
	if err != nil {
		return err
	}
	for range n {
		b, err := d.bytes(wireBytes)
		if err != nil {
			return err
		}
		d.table = append(d.table, string(b))
	}
	return d.leave(outer)
}

// decoders holds decoders between calls of Unmarshal: a decoder is 1 KiB
// with its string slots, and it escapes (the codecs are function values).
var decoders = sync.Pool{New: func() any { return new(decoder) }}

// release clears d, so that its slots keep no decoded string alive, and
// puts it back in the pool.
func (d *decoder) release() {
	clear(d.table)
	*d = decoder{table: d.table[:0]}
	decoders.Put(d)
}

// An encoder holds what one call of Append needs besides its output: the
// body, written before the string table that must precede it, and the
// table.
type encoder struct {
	literal bool // no table: every string written out (AppendLiteral)
	body    []byte
	table   []string // distinct strings, in the order the body first uses them
	// slots find a string's index in table by a hash of it; a slot holds
	// the last string that hashed to it, with its index plus one. A
	// string whose slot another took is added to the table again: the
	// table may repeat a string, never lose one.
	slots [128]struct {
		s string
		i uint64
	}
}

var encoders = sync.Pool{New: func() any { return new(encoder) }}

// ref returns the index of s in e's table, adding it if needed.
func (e *encoder) ref(s string) uint64 {
	slot := &e.slots[stringHash(s)>>57] // the top 7 bits: one of 128 slots
	if slot.i != 0 && slot.s == s {
		return slot.i - 1
	}
	e.table = append(e.table, s)
	slot.s, slot.i = s, uint64(len(e.table))
	return slot.i - 1
}

// release clears e, so that it keeps none of the caller's data (the body
// holds everything the value said, in plaintext; what lies past its
// length was cleared by an earlier release), and puts it back in the pool
// (a body over 64 KiB is dropped).
func (e *encoder) release() {
	clear(e.table)
	clear(e.body)
	body := e.body[:0]
	if cap(body) > 64<<10 {
		body = nil
	}
	*e = encoder{body: body, table: e.table[:0]}
	encoders.Put(e)
}

// stringHash hashes the length and at most 16 bytes of s: a collision
// costs only a repeated table entry or a copy.
func stringHash[S string | []byte](s S) uint64 {
	h := uint64(len(s))
	if len(s) >= 8 {
		h ^= le64(s) ^ le64(s[len(s)-8:])*0x9e3779b97f4a7c15
	} else {
		for i := range len(s) {
			h = h<<8 | uint64(s[i])
		}
	}
	return h * 0x9e3779b97f4a7c15
}

// le64 reads the first 8 bytes of s, little-endian.
func le64[S string | []byte](s S) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func uvarintLen(u uint64) int {
	n := 1
	for ; u >= 0x80; u >>= 7 {
		n++
	}
	return n
}

// str returns b as a string: one decoded before with the same bytes, or a
// new copy.
func (d *decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	slot := &d.seen[stringHash(b)>>58] // the top 6 bits: one of 64 slots
	if *slot == string(b) {            // compares without a copy
		return *slot
	}
	*slot = string(b)
	return *slot
}

// left is what is left of the current window.
func (d *decoder) left() int { return len(d.b) - d.lim }

// uvarint reads a uvarint as binary.Uvarint does, with the lengths most
// common here read directly: one byte (lengths, counts, small numbers)
// and three (field keys: a 16-bit tag and the wire type).
func (d *decoder) uvarint() (uint64, error) {
	b := d.b[:d.left()]
	switch {
	case len(b) > 0 && b[0] < 0x80:
		d.b = d.b[1:]
		return uint64(b[0]), nil
	case len(b) > 2 && b[1] >= 0x80 && b[2] < 0x80:
		d.b = d.b[3:]
		return uint64(b[0]&0x7f) | uint64(b[1]&0x7f)<<7 | uint64(b[2])<<14, nil
	}
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, ErrMalformed
	}
	d.b = d.b[n:]
	return u, nil
}

func (d *decoder) varint(wire int) (uint64, error) {
	if wire != wireVarint {
		return 0, ErrMalformed
	}
	return d.uvarint()
}

// length reads the length of a bytes payload and checks that the window
// holds it.
func (d *decoder) length(wire int) (int, error) {
	if wire != wireBytes {
		return 0, ErrMalformed
	}
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(d.left()) {
		return 0, ErrMalformed
	}
	return int(n), nil
}

func (d *decoder) bytes(wire int) ([]byte, error) {
	n, err := d.length(wire)
	if err != nil {
		return nil, err
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b, nil
}

// enterCount enters a bytes payload, as enter does, and reads the
// element count that starts it (a slice's, the string table's); every
// element takes at least one byte, so a count larger than the window is
// malformed (and allocates nothing).
func (d *decoder) enterCount(wire int) (outer int, n uint64, err error) {
	if outer, err = d.enter(wire); err != nil {
		return outer, 0, err
	}
	if n, err = d.uvarint(); err == nil && n > uint64(d.left()) {
		err = ErrMalformed
	}
	return outer, n, err
}

// ref reads a reference to the string table.
func (d *decoder) ref() (string, error) {
	i, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if i >= uint64(len(d.table)) {
		return "", ErrMalformed
	}
	return d.table[i], nil
}

// bytesOrRef reads a bytes payload or, for a field that was a string
// when the value was written (wire type 3), the bytes of the string it
// refers to: a string field may become a []byte or a text-marshaled
// struct, as it could before the string table.
func (d *decoder) bytesOrRef(wire int) ([]byte, error) {
	if wire == wireRef {
		s, err := d.ref()
		return []byte(s), err
	}
	return d.bytes(wire)
}

// enter makes a bytes payload the current window and returns the window
// it was in, for leave.
func (d *decoder) enter(wire int) (int, error) {
	n, err := d.length(wire)
	if err != nil {
		return 0, err
	}
	outer := d.lim
	d.lim = len(d.b) - n
	return outer, nil
}

// leave checks that the current window was read to its end and returns
// to the outer one.
func (d *decoder) leave(outer int) error {
	if len(d.b) != d.lim {
		return ErrMalformed
	}
	d.lim = outer
	return nil
}

func (d *decoder) skip(wire int) error {
	switch wire {
	case wireVarint:
		_, err := d.uvarint()
		return err
	case wireBytes:
		_, err := d.bytes(wire)
		return err
	case wireRef:
		_, err := d.uvarint()
		return err
	case wireFixed:
		if d.left() < 8 {
			return ErrMalformed
		}
		d.b = d.b[8:]
		return nil
	}
	return ErrMalformed
}
