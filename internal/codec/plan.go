package codec

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"sync"
	"time"
	"unsafe"
)

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
