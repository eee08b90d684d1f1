package codec

import (
	"cmp"
	"encoding"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// A codec encodes and decodes values of one type.
type codec struct {
	wire     int
	isTime   bool
	isString bool // a string kind: as a struct field, a reference to the string table
	// encode appends the payload (without a key) of the value of the
	// codec's type at p, read without reflection as decode writes.
	encode func(e *encoder, dst []byte, p unsafe.Pointer) []byte
	// decode decodes a payload into the value of the codec's type at p.
	// It writes through p without reflection: the layout comes from the
	// type's reflect data (field offsets, element sizes), read once when
	// the codec is built.
	decode func(d *decoder, wire int, p unsafe.Pointer) error
	// zero reports whether the value at p is left out as a field: it
	// is the zero value of its type, as reflect.Value.IsZero says.
	zero func(p unsafe.Pointer) bool
}

type field struct {
	index  int
	offset uintptr
	key    uint64 // the field's number
	c      *codec
}

type structPlan struct {
	fields []field
	byKey  map[uint64]int // field number -> position in fields
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

func (c *codecWithPlan) fillStruct(t reflect.Type, building map[reflect.Type]*codecWithPlan) error {
	plan := &structPlan{byKey: map[uint64]int{}}
	c.plan = plan
	c.wire = wireBytes
	nums, numbered, err := fieldNumbers(t)
	if err != nil {
		return err
	}
	names := map[uint64]string{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if nums[i] == 0 {
			continue // codec:"-"
		}
		fc, err := build(sf.Type, building)
		if err != nil {
			return fmt.Errorf("%v.%s: %w", t, sf.Name, err)
		}
		n := nums[i]
		if other, dup := names[n]; dup {
			if numbered {
				return fmt.Errorf("codec: %v: fields %s and %s have one number, %d", t, other, sf.Name, n)
			}
			return fmt.Errorf("codec: %v: fields %s and %s hash to one tag; number the fields", t, other, sf.Name)
		}
		names[n] = sf.Name
		plan.byKey[n] = len(plan.fields)
		plan.fields = append(plan.fields, field{index: i, offset: sf.Offset, key: n, c: &fc.codec})
	}
	c.encode = func(e *encoder, dst []byte, p unsafe.Pointer) []byte {
		dst, start := beginLength(dst)
		return endLength(plan.encode(e, dst, p), start)
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
	return nil
}

// fieldNumbers returns the number of each field of struct t by field
// index, 0 for a field left out (codec:"-"), and whether the numbers are
// the ones in the fields' tags (numbered is false when no field has one:
// the numbers are then hashes of the names, see fieldTag). A struct
// numbers every field or none: a field added without a number to a
// numbered struct is an error, never a silent hash of its name.
func fieldNumbers(t reflect.Type) (nums []uint64, numbered bool, err error) {
	nums = make([]uint64, t.NumField())
	var withNumber, without string // the first field of each kind
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			return nil, false, fmt.Errorf("codec: cannot encode %v: unexported field %s would be lost", t, sf.Name)
		}
		switch tag := sf.Tag.Get("codec"); tag {
		case "-":
		case "":
			nums[i] = fieldTag(sf.Name)
			without = cmp.Or(without, sf.Name)
		default:
			n, err := strconv.ParseUint(tag, 10, 16)
			if err != nil || n == 0 {
				return nil, false, fmt.Errorf("codec: %v.%s: bad field number %q: want 1 to 65535", t, sf.Name, tag)
			}
			nums[i] = n
			withNumber = cmp.Or(withNumber, sf.Name)
		}
	}
	if withNumber != "" && without != "" {
		return nil, false, fmt.Errorf("codec: %v.%s has no field number (codec:\"N\"), unlike %s", t, without, withNumber)
	}
	return nums, withNumber != "", nil
}

// fieldTag returns the 16-bit hash of a field name, never 0: the number
// of a field of a struct without numbers.
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

// CheckNumbered returns an error naming the first struct type reachable
// from the type of v (through its fields, pointers and slices) whose
// fields are keyed by hashes of their names rather than by numbers, or
// whose codec cannot be built; nil when every struct is numbered. The
// tests of the types a store keeps call it, so that no stored struct
// loses its values to a rename.
func CheckNumbered(v any) error {
	t := reflect.TypeOf(v)
	if _, err := codecFor(t); err != nil {
		return err
	}
	return checkNumbered(t, map[reflect.Type]bool{})
}

func checkNumbered(t reflect.Type, seen map[reflect.Type]bool) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeTyp || t.Implements(textTyp) || seen[t] {
		return nil
	}
	seen[t] = true
	nums, numbered, err := fieldNumbers(t)
	if err != nil {
		return err
	}
	for i := range t.NumField() {
		if nums[i] == 0 {
			continue
		}
		if !numbered {
			return fmt.Errorf("codec: %v is keyed by field names: give its fields numbers (codec:\"N\")", t)
		}
		if err := checkNumbered(t.Field(i).Type, seen); err != nil {
			return err
		}
	}
	return nil
}

func (p *structPlan) encode(e *encoder, dst []byte, v unsafe.Pointer) []byte {
	for _, f := range p.fields {
		fp := unsafe.Add(v, f.offset)
		if f.c.zero(fp) {
			continue
		}
		if f.c.isTime {
			dst = appendTimeField(dst, f.key, *(*time.Time)(fp))
			continue
		}
		if f.c.isString && !e.literal { // a reference to the value's string table
			dst = binary.AppendUvarint(dst, f.key<<3|wireRef)
			dst = binary.AppendUvarint(dst, e.ref(*(*string)(fp)))
			continue
		}
		dst = binary.AppendUvarint(dst, f.key<<3|uint64(f.c.wire))
		dst = f.c.encode(e, dst, fp)
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
		wire, num := int(k&7), k>>3
		i := next
		if i >= len(p.fields) || p.fields[i].key != num {
			var ok bool
			if i, ok = p.byKey[num]; !ok {
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
