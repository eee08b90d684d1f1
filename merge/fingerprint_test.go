package merge

import (
	"reflect"
	"testing"
	"time"

	"github.com/scv-go/scv/identity"
)

// fill sets every leaf under v to a value derived from n, and every slice
// to one element, so that each leaf can then be changed alone.
func fill(t *testing.T, v reflect.Value, n int) {
	t.Helper()
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 1, 1+n, 0, 0, 0, 0, time.UTC)))
		return
	case v.Type() == reflect.TypeFor[identity.Phone]():
		p, err := identity.ParsePhone([]string{"+8613912340001", "+8613912340002"}[n%2], "CN")
		if err != nil {
			t.Fatal(err)
		}
		v.Set(reflect.ValueOf(p))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString([]string{"a", "b"}[n%2])
	case reflect.Bool:
		v.SetBool(n%2 == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(1 + n))
	case reflect.Uint8:
		v.SetUint(uint64(1 + n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), n)
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), n)
		}
	default:
		t.Fatalf("fill: unhandled %s", v.Type())
	}
}

// leaves calls f with a path and a setter for every leaf under v.
func leaves(v reflect.Value, path string, f func(path string, leaf reflect.Value)) {
	if v.Type() == reflect.TypeFor[time.Time]() || v.Type() == reflect.TypeFor[identity.Phone]() {
		f(path, v)
		return
	}
	switch v.Kind() {
	case reflect.Slice:
		leaves(v.Index(0), path+"[0]", f)
	case reflect.Struct:
		for i := range v.NumField() {
			leaves(v.Field(i), path+"."+v.Type().Field(i).Name, f)
		}
	default:
		f(path, v)
	}
}

// TestFingerprintCoversEveryField changes each field of a record alone
// and requires a new fingerprint, except for Line. A field added to
// identity.Record is covered (and tested) without a change here.
func TestFingerprintCoversEveryField(t *testing.T) {
	var base identity.Record
	fill(t, reflect.ValueOf(&base).Elem(), 0)
	want := Fingerprint(&base)
	seen := map[string]string{want: "base"}
	count := 0
	leaves(reflect.ValueOf(&base).Elem(), "Record", func(path string, _ reflect.Value) {
		count++
		var changed identity.Record
		fill(t, reflect.ValueOf(&changed).Elem(), 0)
		leaves(reflect.ValueOf(&changed).Elem(), "Record", func(p string, leaf reflect.Value) {
			if p == path {
				fill(t, leaf, 1)
			}
		})
		got := Fingerprint(&changed)
		if path == "Record.Line" {
			if got != want {
				t.Errorf("Line changed the fingerprint")
			}
			return
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("changing %s gives the fingerprint of %s", path, prev)
		}
		seen[got] = path
	})
	if count < 50 {
		t.Errorf("only %d leaves visited", count)
	}
	// Equal instants in another time zone are equal content.
	zoned := base
	zoned.Observed = base.Observed.In(time.FixedZone("CST", 8*3600))
	if Fingerprint(&zoned) != want {
		t.Error("the time zone changed the fingerprint")
	}
	// Nil and empty slices are equal content.
	a, b := identity.Record{ID: "x"}, identity.Record{ID: "x", Orders: []identity.Order{}}
	if Fingerprint(&a) != Fingerprint(&b) {
		t.Error("an empty slice changed the fingerprint")
	}
}

func TestMulDivRound(t *testing.T) {
	tests := []struct{ a, b, d, want int64 }{
		{3, 1, 2, 2},     // 1.5 rounds up
		{301, 1, 3, 100}, // 100.33 rounds down
		{10000, 1095, 365, 30000},
		{1 << 62, 1095, 365, 1<<63 - 1}, // saturates
		{0, 1095, 365, 0},
	}
	for _, tc := range tests {
		if got := mulDivRound(tc.a, tc.b, tc.d); got != tc.want {
			t.Errorf("mulDivRound(%d, %d, %d) = %d, want %d", tc.a, tc.b, tc.d, got, tc.want)
		}
	}
	if got := addSat(1<<62, 1<<62); got != 1<<63-1 {
		t.Errorf("addSat overflow = %d", got)
	}
}
