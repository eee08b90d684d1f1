package codec

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"time"
	"unsafe"
)

// fill makes c the codec of t: a codec of each kind of type is built by
// one of the functions below, a struct's by fillStruct.
func (c *codecWithPlan) fill(t reflect.Type, building map[reflect.Type]*codecWithPlan) error {
	// What reflect calls zero, for the kinds that have no test of
	// their own below (structs).
	c.zero = func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().IsZero() }
	switch {
	case t == timeTyp:
		// Times are struct fields only (see structPlan.encode): their
		// wire type depends on the value. Every field zero is
		// reflect's zero, which is not time.Time.IsZero.
		c.wire, c.isTime, c.decode = wireVarint, true, decodeTime
		c.zero = func(p unsafe.Pointer) bool { return *(*time.Time)(p) == time.Time{} }
		c.encode = func(*encoder, []byte, unsafe.Pointer) []byte { panic("codec: time outside a struct field") }
		return nil
	case t.Kind() == reflect.Struct && t.Implements(textTyp) && reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()):
		// A struct that knows its own text form (its fields may be
		// unexported), such as identity.Phone.
		c.fillText(t)
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		c.fillBool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.fillInt(t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.fillUint(t)
	case reflect.Float32, reflect.Float64:
		c.fillFloat(t)
	case reflect.String:
		c.fillString()
	case reflect.Pointer:
		return c.fillPointer(t, building)
	case reflect.Slice:
		return c.fillSlice(t, building)
	case reflect.Struct:
		return c.fillStruct(t, building)
	default:
		return fmt.Errorf("codec: cannot encode %v", t)
	}
	return nil
}

func (c *codecWithPlan) fillText(t reflect.Type) {
	c.wire = wireBytes
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte {
		b, err := reflect.NewAt(t, p).Interface().(encoding.TextMarshaler).MarshalText()
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
}

func (c *codecWithPlan) fillBool() {
	c.wire = wireVarint
	c.zero = func(p unsafe.Pointer) bool { return !*(*bool)(p) }
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte {
		if *(*bool)(p) {
			return append(dst, 1)
		}
		return append(dst, 0)
	}
	c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
		u, err := d.varint(wire)
		*(*bool)(p) = u != 0
		return err
	}
}

func (c *codecWithPlan) fillInt(t reflect.Type) {
	c.wire = wireVarint
	bits := t.Bits()
	c.zero = func(p unsafe.Pointer) bool { return getBits(p, bits) == 0 }
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte {
		u := getBits(p, bits)
		return binary.AppendVarint(dst, int64(u<<(64-bits))>>(64-bits)) // sign-extended
	}
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
}

func (c *codecWithPlan) fillUint(t reflect.Type) {
	c.wire = wireVarint
	bits := t.Bits()
	c.zero = func(p unsafe.Pointer) bool { return getBits(p, bits) == 0 }
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte {
		return binary.AppendUvarint(dst, getBits(p, bits))
	}
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
}

func (c *codecWithPlan) fillFloat(t reflect.Type) {
	c.wire = wireFixed
	single := t.Kind() == reflect.Float32
	float := func(p unsafe.Pointer) float64 {
		if single {
			return float64(*(*float32)(p))
		}
		return *(*float64)(p)
	}
	c.zero = func(p unsafe.Pointer) bool { return float(p) == 0 } // -0 too, as reflect says
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte {
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(float(p)))
	}
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
}

func (c *codecWithPlan) fillString() {
	c.wire, c.isString = wireBytes, true
	c.zero = func(p unsafe.Pointer) bool { return len(*(*string)(p)) == 0 }
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte { return appendString(dst, *(*string)(p)) }
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
}

func (c *codecWithPlan) fillPointer(t reflect.Type, building map[reflect.Type]*codecWithPlan) error {
	elem, err := build(t.Elem(), building)
	if err != nil {
		return err
	}
	if elem.isTime {
		return fmt.Errorf("codec: cannot encode %v: times only as struct fields", t)
	}
	c.wire = elem.wire
	c.zero = func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil }
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte {
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			// A nil field is left out (see zero); a nil element of a
			// slice, or behind another pointer, has no encoding.
			panic(fmt.Sprintf("codec: cannot encode a nil %v in a slice or behind a pointer", t))
		}
		return elem.encode(e, dst, q)
	}
	c.decode = func(d *decoder, wire int, p unsafe.Pointer) error {
		q := (*unsafe.Pointer)(p)
		if *q == nil {
			*q = reflect.New(t.Elem()).UnsafePointer()
		}
		return elem.decode(d, wire, *q)
	}
	return nil
}

func (c *codecWithPlan) fillSlice(t reflect.Type, building map[reflect.Type]*codecWithPlan) error {
	c.wire = wireBytes
	c.zero = func(p unsafe.Pointer) bool { return (*sliceHeader)(p).len == 0 }
	if t.Elem().Kind() == reflect.Uint8 {
		c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte { return appendBytes(dst, *(*[]byte)(p)) }
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
	size := t.Elem().Size()
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte {
		h := (*sliceHeader)(p)
		dst, start := beginLength(dst)
		dst = binary.AppendUvarint(dst, uint64(h.len))
		for i := range uintptr(h.len) {
			dst = elem.encode(e, dst, unsafe.Add(h.data, i*size))
		}
		return endLength(dst, start)
	}
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
	return nil
}
