package codec

import (
	"encoding/binary"
	"sync"
	"time"
	"unsafe"
)

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
// and three (field keys: a number up to 16 bits and the wire type).
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

// getBits reads the integer of bits bits at p, zero-extended.
func getBits(p unsafe.Pointer, bits int) uint64 {
	switch bits {
	case 8:
		return uint64(*(*uint8)(p))
	case 16:
		return uint64(*(*uint16)(p))
	case 32:
		return uint64(*(*uint32)(p))
	default:
		return *(*uint64)(p)
	}
}
