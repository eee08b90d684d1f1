package identity

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// The JSON adapters read each object into a jsonObject and pull fields out
// one by one, so that a field of the wrong type is reported by its name and
// never by the messages of a JSON library, which quote the input.
//
// Objects are cut with jsontext (github.com/go-json-experiment/json), which
// validates the object and hands back each member's value as a slice of
// the input, where encoding/json built a map and copied every value: the
// JSON formats decode 2.2 to 2.9 times as fast with a third of the
// allocations (BenchmarkDecodeWorkload). The grammar accepted is
// encoding/json's, as TestJSONObjectMatchesEncodingJSON and FuzzJSONObject
// check: duplicate names (the last one wins), escapes that are not valid
// UTF-16 (read as U+FFFD), and nesting up to 10,000 levels.

// jsonObject is one JSON object: its members in input order, their values
// still raw and sharing the input's memory.
type jsonObject []jsonMember

// jsonMember is one member of a jsonObject.
type jsonMember struct {
	name  []byte // unquoted
	value []byte // raw JSON, as in the input
}

// jsonOptions are encoding/json's grammar: duplicate names allowed, and
// escapes of lone surrogates accepted. The input is checked to be UTF-8
// before it is parsed.
var jsonOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// jsonDecoders recycles decoders, which are large to allocate.
var jsonDecoders = sync.Pool{New: func() any { return jsontext.NewDecoder(new(bytes.Buffer)) }}

// parseObject parses raw as a JSON object. Duplicate keys keep the last
// value. The object's members share raw's memory.
func parseObject(raw []byte) (jsonObject, bool) {
	var o jsonObject
	ok := walkJSON(raw, '{', func(d *jsontext.Decoder) bool {
		name, err := d.ReadValue()
		if err != nil {
			return false
		}
		value, err := d.ReadValue()
		if err != nil {
			return false
		}
		o = append(o, jsonMember{name: unquote(name), value: value})
		return true
	})
	if !ok {
		return nil, false
	}
	if o == nil {
		o = jsonObject{}
	}
	return o, true
}

// parseArray parses raw as a JSON array and returns its elements, which
// share raw's memory.
func parseArray(raw []byte) ([][]byte, bool) {
	var a [][]byte
	ok := walkJSON(raw, '[', func(d *jsontext.Decoder) bool {
		v, err := d.ReadValue()
		a = append(a, v)
		return err == nil
	})
	return a, ok
}

// walkJSON reads raw, which must hold one JSON object or array (open is
// '{' or '[') and nothing else but white space, calling member for each of
// its members or elements. Values read by member are slices of raw.
func walkJSON(raw []byte, open jsontext.Kind, member func(*jsontext.Decoder) bool) bool {
	end := jsontext.Kind('}')
	if open == '[' {
		end = ']'
	}
	d := jsonDecoders.Get().(*jsontext.Decoder)
	defer jsonDecoders.Put(d)
	// A bytes.Buffer is parsed in place: the values read are raw's bytes.
	d.Reset(bytes.NewBuffer(raw), jsonOptions...)
	t, err := d.ReadToken()
	if err != nil || t.Kind() != open {
		return false
	}
	for d.PeekKind() != end {
		if !member(d) {
			return false
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return false
	}
	_, err = d.ReadToken()
	return err == io.EOF
}

// unquote returns the contents of the JSON string s, a slice of s when it
// holds no escape.
func unquote(s []byte) []byte {
	if inner := s[1 : len(s)-1]; bytes.IndexByte(inner, '\\') < 0 {
		return inner
	}
	// Lone surrogates become U+FFFD, reported by an error the caller,
	// like encoding/json, ignores.
	u, _ := jsontext.AppendUnquote(nil, s)
	return u
}

// get returns the raw value of the last member named key.
func (o jsonObject) get(key string) ([]byte, bool) {
	for i := len(o) - 1; i >= 0; i-- {
		if string(o[i].name) == key {
			return o[i].value, true
		}
	}
	return nil, false
}

// has reports whether key is present and not null.
func (o jsonObject) has(key string) bool {
	v, ok := o.get(key)
	return ok && !bytes.Equal(v, jsonNull)
}

var jsonNull = []byte("null")

// str returns the value of key as text: a JSON string's contents, or the
// literal text of a number or boolean (so that a 19-digit id keeps every
// digit). It returns "" for an absent or null key, and ok false for an
// object or an array.
func (o jsonObject) str(key string) (s string, ok bool) {
	v, present := o.get(key)
	if !present {
		return "", true
	}
	return rawString(v)
}

// rawString is str for one raw value, already validated.
func rawString(v []byte) (string, bool) {
	if len(v) == 0 {
		return "", true
	}
	switch v[0] {
	case '"':
		return string(unquote(v)), true
	case '{', '[':
		return "", false
	case 'n':
		return "", true
	default: // number, true, false: the literal as written
		return string(v), true
	}
}

// object returns the object under key; nil, true when absent or null.
func (o jsonObject) object(key string) (jsonObject, bool) {
	if !o.has(key) {
		return nil, true
	}
	v, _ := o.get(key)
	if v[0] != '{' {
		return nil, false
	}
	return parseObject(v)
}

// array returns the elements of the array under key; nil, true when absent
// or null.
func (o jsonObject) array(key string) ([][]byte, bool) {
	if !o.has(key) {
		return nil, true
	}
	v, _ := o.get(key)
	if v[0] != '[' {
		return nil, false
	}
	return parseArray(v)
}

// errNotScalar reports an object or array where a string or number belongs.
var errNotScalar = errors.New("not a string or number")

// parseInt parses a JSON number or string holding a whole number. It never
// returns the strconv error, whose text quotes the input.
func parseInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
