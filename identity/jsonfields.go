package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// The JSON adapters read each object into a jsonObject and pull fields out
// one by one, so that a field of the wrong type is reported by its name and
// never by the messages of encoding/json, which quote the input.

// jsonObject is one JSON object, its values still raw.
type jsonObject map[string]json.RawMessage

// parseObject parses raw as a JSON object. Duplicate keys keep the last value.
func parseObject(raw []byte) (jsonObject, bool) {
	var o jsonObject
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		return nil, false
	}
	return o, true
}

// has reports whether key is present and not null.
func (o jsonObject) has(key string) bool {
	v, ok := o[key]
	return ok && !bytes.Equal(v, jsonNull)
}

var jsonNull = []byte("null")

// str returns the value of key as text: a JSON string's contents, or the
// literal text of a number or boolean (so that a 19-digit id keeps every
// digit). It returns "" for an absent or null key, and ok false for an
// object or an array.
func (o jsonObject) str(key string) (s string, ok bool) {
	v, present := o[key]
	if !present {
		return "", true
	}
	return rawString(v)
}

func rawString(v json.RawMessage) (string, bool) {
	if len(v) == 0 {
		return "", true
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false
		}
		return s, true
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
	v := o[key]
	if v[0] != '{' {
		return nil, false
	}
	return parseObject(v)
}

// array returns the elements of the array under key; nil, true when absent
// or null.
func (o jsonObject) array(key string) ([]json.RawMessage, bool) {
	if !o.has(key) {
		return nil, true
	}
	v := o[key]
	if v[0] != '[' {
		return nil, false
	}
	var a []json.RawMessage
	if err := json.Unmarshal(v, &a); err != nil {
		return nil, false
	}
	return a, true
}

// errNotScalar reports an object or array where a string or number belongs.
var errNotScalar = errors.New("not a string or number")

// parseInt parses a JSON number or string holding a whole number. It never
// returns the strconv error, whose text quotes the input.
func parseInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
