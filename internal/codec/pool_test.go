package codec

import (
	"bytes"
	"testing"
)

// TestPooledBuffersKeepNoPlaintext checks that an encoder and a decoder
// put back in their pools hold nothing of the value they served: the body
// an encoder wrote (bytes, text-marshaled phones, slices of strings) and
// the strings a decoder made.
func TestPooledBuffersKeepNoPlaintext(t *testing.T) {
	type value struct {
		Name string
		Tags []string
		Raw  []byte
	}
	secret := "+8613800138000"
	b, err := Marshal(&value{Name: secret, Tags: []string{secret}, Raw: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	var got value
	if err := Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// In one goroutine the pools hand back what was just put in.
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	if bytes.Contains(e.body[:cap(e.body)], []byte(secret)) {
		t.Error("a pooled encoder's body still holds the last value's bytes")
	}
	for _, s := range e.table[:cap(e.table)] {
		if s != "" {
			t.Errorf("a pooled encoder's table still holds %q", s)
		}
	}
	d := decoders.Get().(*decoder)
	defer decoders.Put(d)
	for _, s := range append(d.seen[:], d.table[:cap(d.table)]...) {
		if s != "" {
			t.Errorf("a pooled decoder still holds %q", s)
		}
	}
}
