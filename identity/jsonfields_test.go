package identity

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// The JSON adapters read objects with jsontext; these tests hold it to
// what encoding/json, which they used before, made of the same input.

// jsonView is what the adapters can learn of one object: per member name,
// its text (str), whether it is present and not null (has), and what
// object and array make of it, recursively.
type jsonView map[string]jsonMemberView

type jsonMemberView struct {
	Str      string
	StrOK    bool
	Has      bool
	Object   jsonView // when the value is an object
	ObjectOK bool
	Array    []jsonElemView // when the value is an array
	ArrayOK  bool
}

type jsonElemView struct {
	Str   string
	StrOK bool
}

// viewNew reads raw as the adapters do, descending into objects up to
// depth levels (the adapters read two).
func viewNew(raw []byte, depth int) (jsonView, bool) {
	o, ok := parseObject(raw)
	if !ok {
		return nil, false
	}
	v := jsonView{}
	for _, m := range o {
		key := string(m.name)
		mv := jsonMemberView{Has: o.has(key)}
		mv.Str, mv.StrOK = o.str(key)
		b, _ := o.get(key)
		if obj, ok := o.object(key); obj != nil && depth > 0 {
			mv.Object, mv.ObjectOK = viewNew(b, depth-1)
		} else if b[0] != 'n' {
			mv.ObjectOK = ok && b[0] == '{'
		}
		if arr, ok := o.array(key); b[0] == '[' {
			mv.ArrayOK = ok
			for _, e := range arr {
				var ev jsonElemView
				ev.Str, ev.StrOK = rawString(e)
				mv.Array = append(mv.Array, ev)
			}
		}
		v[key] = mv
	}
	return v, true
}

// viewOld reads raw as the adapters did with encoding/json: into a map of
// raw messages, strings unmarshalled one by one.
func viewOld(raw []byte, depth int) (jsonView, bool) {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		return nil, false
	}
	str := func(v json.RawMessage) (string, bool) {
		switch {
		case len(v) == 0, v[0] == 'n':
			return "", true
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return "", false
			}
			return s, true
		case v[0] == '{', v[0] == '[':
			return "", false
		}
		return string(v), true
	}
	v := jsonView{}
	for key, raw := range o {
		mv := jsonMemberView{Has: !bytes.Equal(raw, []byte("null"))}
		mv.Str, mv.StrOK = str(raw)
		if mv.Has && raw[0] == '{' {
			if depth > 0 {
				mv.Object, mv.ObjectOK = viewOld(raw, depth-1)
			} else {
				var m map[string]json.RawMessage
				mv.ObjectOK = json.Unmarshal(raw, &m) == nil && m != nil
			}
		}
		if mv.Has && raw[0] == '[' {
			var a []json.RawMessage
			mv.ArrayOK = json.Unmarshal(raw, &a) == nil
			for _, e := range a {
				var ev jsonElemView
				ev.Str, ev.StrOK = str(e)
				mv.Array = append(mv.Array, ev)
			}
		}
		v[key] = mv
	}
	return v, true
}

// checkSameJSON fails t when the adapters' view of raw differs from what
// encoding/json made of it. Like Decode, it only parses UTF-8.
func checkSameJSON(t *testing.T, raw []byte) {
	t.Helper()
	if !utf8.Valid(raw) {
		return
	}
	want, wantOK := viewOld(raw, 2)
	got, gotOK := viewNew(raw, 2)
	if wantOK != gotOK {
		t.Fatalf("%q: parsed %v, encoding/json parsed %v", raw, gotOK, wantOK)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%q: (-encoding/json +jsontext):\n%s", raw, diff)
	}
}

var jsonCases = []struct {
	name, raw string
}{
	{"empty object", `{}`},
	{"spaces", " \t\r\n{ \"a\" : 1 } \n"},
	{"strings and numbers", `{"openid":"o1","tid":123456789012345678901,"payment":-0.5e3,"b":true,"f":false,"n":null}`},
	{"duplicate names keep the last", `{"a":"1","a":"2","b":{"c":1},"b":null}`},
	{"escaped name", `{"open\u0069d":"x","\"":"q"}`},
	{"escapes", `{"a":"\u738b\u82b3\n\t\\\/\"","b":"\ud83d\ude00"}`},
	{"lone surrogates", `{"a":"\ud800","b":"\udc00x","c":"\ud800\u0041","d":"\ud800\ud800"}`},
	{"nested", `{"phone_info":{"purePhoneNumber":"139","countryCode":86},"orders":[{"oid":1},2,"3",null,[4]],"e":[]}`},
	{"wrong types", `{"phone_info":"x","orders":{"a":1},"tagid_list":"1"}`},
	{"not an object", `[1,2]`},
	{"null", `null`},
	{"string", `"x"`},
	{"trailing data", `{"a":1} {"b":2}`},
	{"trailing comma", `{"a":1,}`},
	{"missing value", `{"a":}`},
	{"name not a string", `{1:2}`},
	{"bad number", `{"a":01}`},
	{"bad literal", `{"a":nul}`},
	{"control character", "{\"a\":\"x\ty\"}"},
	{"bad escape", `{"a":"\x"}`},
	{"truncated", `{"a":"1"`},
	{"unmatched", `{"a":[1}`},
	{"empty", ``},
	{"bom", "\uFEFF{}"},
}

func TestJSONObjectMatchesEncodingJSON(t *testing.T) {
	for _, tc := range jsonCases {
		t.Run(tc.name, func(t *testing.T) {
			checkSameJSON(t, []byte(tc.raw))
		})
	}
	// Both stop at 10,000 levels of nesting.
	for _, depth := range []int{9_998, 9_999, 10_000, 10_001} {
		raw := `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
		t.Run("depth", func(t *testing.T) { checkSameJSON(t, []byte(raw)) })
		raw = strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
		t.Run("depth objects", func(t *testing.T) { checkSameJSON(t, []byte(raw)) })
	}
}

func FuzzJSONObject(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add([]byte(tc.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkSameJSON(t, raw) })
}
