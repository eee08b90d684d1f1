package merge

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// referenceFingerprint is Fingerprint as it was first written: a walk of
// the record by reflection, streamed into SHA-256. Fingerprints stored in
// profiles were made by it, so merge.Fingerprint must give exactly the
// same digest for every record; the tests compare the two. Do not change
// it.
func referenceFingerprint(rec *identity.Record) string {
	h := sha256.New()
	e := refDigester{h: h}
	v := reflect.ValueOf(rec).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Name == "Line" {
			continue
		}
		// Fields added after the first release are hashed only when set.
		if i >= 14 && v.Field(i).Len() == 0 {
			continue
		}
		e.uint(uint64(i))
		e.value(v.Field(i))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

var refTimeType = reflect.TypeFor[time.Time]()

type refDigester struct {
	h   hash.Hash
	buf [binary.MaxVarintLen64]byte
}

func (e *refDigester) uint(u uint64) {
	n := binary.PutUvarint(e.buf[:], u)
	e.h.Write(e.buf[:n])
}

func (e *refDigester) int(i int64) {
	n := binary.PutVarint(e.buf[:], i)
	e.h.Write(e.buf[:n])
}

func (e *refDigester) bytes(b []byte) {
	e.uint(uint64(len(b)))
	e.h.Write(b)
}

func (e *refDigester) value(v reflect.Value) {
	if v.Type() == refTimeType && v.CanInterface() {
		t := v.Interface().(time.Time)
		if t.IsZero() {
			e.uint(0)
			return
		}
		e.uint(1)
		e.int(t.Unix())
		e.int(int64(t.Nanosecond()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		e.bytes([]byte(v.String()))
	case reflect.Bool:
		if v.Bool() {
			e.uint(1)
		} else {
			e.uint(0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.int(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.uint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.uint(math.Float64bits(v.Float()))
	case reflect.Slice, reflect.Array:
		e.uint(uint64(v.Len()))
		for i := range v.Len() {
			e.value(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			e.uint(uint64(i))
			e.value(v.Field(i))
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.uint(0)
			return
		}
		e.uint(1)
		e.value(v.Elem())
	case reflect.Map:
		type entry struct{ k, v []byte }
		var entries []entry
		for it := v.MapRange(); it.Next(); {
			entries = append(entries, entry{refSub(it.Key()), refSub(it.Value())})
		}
		slices.SortFunc(entries, func(a, b entry) int { return slices.Compare(a.k, b.k) })
		e.uint(uint64(len(entries)))
		for _, en := range entries {
			e.h.Write(en.k)
			e.h.Write(en.v)
		}
	default:
		e.bytes([]byte(v.Kind().String()))
	}
}

func refSub(v reflect.Value) []byte {
	h := sha256.New()
	d := refDigester{h: h}
	d.value(v)
	return h.Sum(nil)
}
