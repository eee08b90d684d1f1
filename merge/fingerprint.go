package merge

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// Fingerprint returns a digest of the record's content: every field but
// Line, which says where the record was read and not what it says. Equal
// content gives an equal fingerprint; equal instants in different time
// zones are equal content, and so are nil and empty slices. It is 32
// hexadecimal digits (128 bits of SHA-256) and reveals nothing about the
// record beyond equality.
//
// Profiles store fingerprints and compare them with new ones, so the
// digest never changes: see appendRecord for its encoding.
func Fingerprint(rec *identity.Record) string {
	var stack [1024]byte
	sum := sha256.Sum256(appendRecord(stack[:0], rec))
	var out [32]byte
	hex.Encode(out[:], sum[:16])
	return string(out[:])
}

// appendField appends the index of a struct field: every index is below
// 128, so its uvarint is one byte.
func appendField(b []byte, i byte) []byte { return append(b, i) }

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = binary.AppendVarint(append(b, 1), t.Unix())
	return binary.AppendVarint(b, int64(t.Nanosecond()))
}

// fieldStr, fieldInt, fieldTime and fieldLen append a field's index and
// its value (a slice's length).
func fieldStr(b []byte, i byte, s string) []byte { return appendStr(append(b, i), s) }

func fieldInt(b []byte, i byte, n int64) []byte { return binary.AppendVarint(append(b, i), n) }

func fieldTime(b []byte, i byte, t time.Time) []byte { return appendTime(append(b, i), t) }

func fieldLen(b []byte, i byte, n int) []byte { return binary.AppendUvarint(append(b, i), uint64(n)) }

// appendRecord appends the encoding of r that Fingerprint hashes: the
// one a walk of the record by reflection gives (the first implementation,
// kept in the tests as the reference):
//
//   - a struct is each of its fields in declaration order, each as its
//     index (uvarint) followed by its value; Record skips Line (index 3);
//   - a string is its length (uvarint) and its bytes;
//   - a signed integer is a varint, an unsigned one (identity.Kind) a
//     uvarint, a bool the uvarint 0 or 1;
//   - a slice is its length (uvarint) and its elements;
//   - a time.Time is 0 when zero, else 1, the Unix seconds and the
//     nanoseconds (varints): the instant, not the zone.
//
// The fields are written out by hand, so a field added to identity.Record
// (or to a type in it) must be added to appendRecord, at its index. The
// tests fail until it is: they change every field of a record filled by
// reflection and require a new fingerprint, and compare Fingerprint with
// the reference walk over random records. identity.Phone, whose fields
// are unexported, is walked by reflection (see appendValue).
//
// The functions append to and return a slice, rather than write through
// a pointer, so that Fingerprint's buffer stays on the stack.
func appendRecord(b []byte, r *identity.Record) []byte {
	b = fieldStr(b, 0, string(r.Channel))
	b = fieldStr(b, 1, r.Source)
	b = fieldStr(b, 2, r.ID)
	// 3 is Line: not content.
	b = fieldTime(b, 4, r.Observed)

	b = fieldLen(b, 5, len(r.Identifiers))
	for i := range r.Identifiers {
		id := &r.Identifiers[i]
		b = binary.AppendUvarint(appendField(b, 0), uint64(id.Kind))
		b = fieldStr(b, 1, id.Scope)
		b = fieldStr(b, 2, id.Value)
	}

	b = fieldLen(b, 6, len(r.Withheld))
	for i := range r.Withheld {
		w := &r.Withheld[i]
		b = fieldStr(b, 0, w.Field)
		b = fieldStr(b, 1, string(w.Reason))
		b = fieldStr(b, 2, w.Value)
	}

	b = appendAttributes(appendField(b, 7), &r.Attributes)

	b = fieldLen(b, 8, len(r.Orders))
	for i := range r.Orders {
		b = appendOrder(b, &r.Orders[i])
	}

	b = fieldLen(b, 9, len(r.Interactions))
	for i := range r.Interactions {
		in := &r.Interactions[i]
		b = fieldStr(b, 0, string(in.Type))
		b = fieldStr(b, 1, in.ID)
		b = fieldTime(b, 2, in.Time)
		b = fieldStr(b, 3, in.Text)
		b = fieldStr(b, 4, in.Detail)
	}

	b = fieldLen(b, 10, len(r.Feedback))
	for i := range r.Feedback {
		f := &r.Feedback[i]
		b = fieldStr(b, 0, string(f.Kind))
		b = fieldInt(b, 1, int64(f.Score))
		b = fieldStr(b, 2, f.Text)
		b = fieldTime(b, 3, f.Time)
	}

	b = fieldLen(b, 11, len(r.Referrals))
	for i := range r.Referrals {
		ref := &r.Referrals[i]
		// A pointer to the phone keeps reflect from copying it to the heap.
		b = appendValue(appendField(b, 0), reflect.ValueOf(&ref.Referrer).Elem())
		b = fieldTime(b, 1, ref.Time)
	}

	b = fieldLen(b, 12, len(r.Consent))
	for i := range r.Consent {
		c := &r.Consent[i]
		b = fieldStr(b, 0, string(c.Purpose))
		b = appendBool(appendField(b, 1), c.Granted)
		b = fieldTime(b, 2, c.Time)
	}

	b = fieldLen(b, 13, len(r.Warnings))
	for i := range r.Warnings {
		w := &r.Warnings[i]
		b = fieldStr(b, 0, w.Field)
		b = fieldStr(b, 1, string(w.Reason))
	}

	// Fields added after the first release are hashed only when set, so
	// that the fingerprints of records without them never change.
	if len(r.Receivers) > 0 {
		b = fieldLen(b, 14, len(r.Receivers))
		for i := range r.Receivers {
			id := &r.Receivers[i]
			b = binary.AppendUvarint(appendField(b, 0), uint64(id.Kind))
			b = fieldStr(b, 1, id.Scope)
			b = fieldStr(b, 2, id.Value)
		}
	}
	if len(r.Stated) > 0 {
		b = fieldLen(b, 15, len(r.Stated))
		for i := range r.Stated {
			st := &r.Stated[i]
			b = fieldStr(b, 0, st.Field)
			b = fieldTime(b, 1, st.Time)
		}
	}
	return b
}

func appendAttributes(b []byte, a *identity.Attributes) []byte {
	b = fieldStr(b, 0, a.Name)
	b = fieldStr(b, 1, a.Nickname)
	b = fieldStr(b, 2, string(a.Gender))
	b = appendField(b, 3)
	b = fieldInt(b, 0, int64(a.Birthday.Year))
	b = fieldInt(b, 1, int64(a.Birthday.Month))
	b = fieldInt(b, 2, int64(a.Birthday.Day))
	b = fieldStr(b, 4, a.Country)
	b = fieldStr(b, 5, a.Province)
	b = fieldStr(b, 6, a.City)
	b = fieldStr(b, 7, a.District)
	b = fieldStr(b, 8, a.Language)
	b = fieldStr(b, 9, a.Remark)
	b = fieldStr(b, 10, a.Bio)
	b = fieldLen(b, 11, len(a.Tags))
	for _, t := range a.Tags {
		b = appendStr(b, t)
	}
	b = fieldInt(b, 12, int64(a.Followers))
	return fieldTime(b, 13, a.AccountCreated)
}

func appendOrder(b []byte, o *identity.Order) []byte {
	b = fieldStr(b, 0, o.Platform)
	b = fieldStr(b, 1, o.ID)
	b = fieldStr(b, 2, string(o.Status))
	b = fieldInt(b, 3, o.AmountFen)
	b = fieldStr(b, 4, o.Currency)
	b = fieldTime(b, 5, o.Time)
	b = fieldStr(b, 6, o.Category)
	b = fieldStr(b, 7, o.Store)
	b = fieldLen(b, 8, len(o.Items))
	for i := range o.Items {
		it := &o.Items[i]
		b = fieldStr(b, 0, it.ID)
		b = fieldStr(b, 1, it.Title)
		b = fieldInt(b, 2, int64(it.Quantity))
		b = fieldInt(b, 3, it.PriceFen)
		b = fieldStr(b, 4, it.Category)
	}
	return b
}

var timeType = reflect.TypeFor[time.Time]()

// appendValue appends any value as the reflection walk does: it covers
// identity.Phone, whose fields are unexported, so that a field added to
// it is covered without a change here.
func appendValue(b []byte, v reflect.Value) []byte {
	if v.Type() == timeType && v.CanInterface() {
		return appendTime(b, v.Interface().(time.Time))
	}
	switch v.Kind() {
	case reflect.String:
		return appendStr(b, v.String())
	case reflect.Bool:
		return appendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(b, v.Uint())
	case reflect.Float32, reflect.Float64:
		return binary.AppendUvarint(b, math.Float64bits(v.Float()))
	case reflect.Slice, reflect.Array:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		for i := range v.Len() {
			b = appendValue(b, v.Index(i))
		}
		return b
	case reflect.Struct:
		for i := range v.NumField() {
			b = appendValue(binary.AppendUvarint(b, uint64(i)), v.Field(i))
		}
		return b
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, 0)
		}
		return appendValue(append(b, 1), v.Elem())
	case reflect.Map:
		// Entries in the order of their own digests, so map order never
		// shows.
		type entry struct{ k, v [sha256.Size]byte }
		var entries []entry
		for it := v.MapRange(); it.Next(); {
			entries = append(entries, entry{sha256.Sum256(appendValue(nil, it.Key())), sha256.Sum256(appendValue(nil, it.Value()))})
		}
		slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.k[:], b.k[:]) })
		b = binary.AppendUvarint(b, uint64(len(entries)))
		for _, en := range entries {
			b = append(append(b, en.k[:]...), en.v[:]...)
		}
		return b
	}
	// Funcs and channels carry no content.
	return appendStr(b, v.Kind().String())
}
