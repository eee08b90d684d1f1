package codec

import (
	"encoding/binary"
	"sync"
	"time"
)

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

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
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
