package codec_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/codec"
	"github.com/scv-go/scv/merge"
)

// goldenProfiles returns the merge package's golden profiles of the
// fixture cast: realistic values with every field in use.
func goldenProfiles(t testing.TB) []*merge.Profile {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/golden/merge/*.json")
	var out []*merge.Profile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ps []*merge.Profile
		if err := json.Unmarshal(b, &ps); err != nil {
			continue // not a list of profiles
		}
		out = append(out, ps...)
	}
	if len(out) < 30 {
		t.Fatalf("found %d golden profiles, want the fixture cast", len(out))
	}
	return out
}

// fixtureRecords decodes every fixture file.
func fixtureRecords(t testing.TB) []identity.Record {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/*/*")
	var out []identity.Record
	for _, path := range files {
		format, err := identity.ParseFormat(filepath.Base(filepath.Dir(path)))
		if err != nil || strings.HasSuffix(path, ".map") {
			continue
		}
		var opts identity.Options
		if m, err := os.ReadFile(strings.TrimSuffix(path, filepath.Ext(path)) + ".map"); err == nil {
			opts.Mapping, _ = identity.ParseMapping(strings.TrimSpace(string(m)))
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for rec, err := range identity.Decode(f, format, opts) {
			if err == nil {
				out = append(out, rec)
			}
		}
		f.Close()
	}
	if len(out) < 100 {
		t.Fatalf("decoded %d fixture records", len(out))
	}
	return out
}

// instants compares times by instant: the codec keeps instants, not zones.
var instants = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func TestRoundTripProfiles(t *testing.T) {
	var jsonBytes, codecBytes int
	for _, p := range goldenProfiles(t) {
		b, err := codec.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var got merge.Profile
		if err := codec.Unmarshal(b, &got); err != nil {
			t.Fatalf("profile %s: %v", p.ID, err)
		}
		if diff := cmp.Diff(p, &got, instants); diff != "" {
			t.Fatalf("profile %s round trip (-want +got):\n%s", p.ID, diff)
		}
		again, _ := codec.Marshal(&got)
		if string(again) != string(b) {
			t.Fatalf("profile %s: encoding is not deterministic", p.ID)
		}
		j, _ := json.Marshal(p)
		jsonBytes += len(j)
		codecBytes += len(b)
	}
	t.Logf("golden profiles: %d bytes as JSON, %d encoded (%.0f%%)", jsonBytes, codecBytes, 100*float64(codecBytes)/float64(jsonBytes))
	if codecBytes*10 > jsonBytes*6 {
		t.Errorf("encoding is %d bytes, JSON %d: want at most 60%%", codecBytes, jsonBytes)
	}
}

func TestRoundTripRecords(t *testing.T) {
	for _, r := range fixtureRecords(t) {
		b, err := codec.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		var got identity.Record
		if err := codec.Unmarshal(b, &got); err != nil {
			t.Fatalf("record %s: %v", r.ID, err)
		}
		if diff := cmp.Diff(r, got, instants, cmp.AllowUnexported(identity.Phone{})); diff != "" {
			t.Fatalf("record %s round trip (-want +got):\n%s", r.ID, diff)
		}
		if merge.Fingerprint(&r) != merge.Fingerprint(&got) {
			t.Fatalf("record %s: fingerprint changed in the round trip", r.ID)
		}
	}
}

type v1 struct {
	Name  string
	Note  string // dropped in v2: a string reference the decoder skips
	Count int
	Tags  []string
	When  time.Time
	Inner []inner
}

type inner struct {
	A string
	B int64
}

// v2 is v1 a schema change later: a field removed, one added, order changed.
type v2 struct {
	Inner []inner
	Added float64
	Name  string
	When  time.Time
	Tags  []string
}

func TestSchemaEvolution(t *testing.T) {
	when := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	b, err := codec.Marshal(&v1{Name: "王芳", Note: "a note", Count: -3, Tags: []string{"vip", ""}, When: when, Inner: []inner{{A: "x", B: -1 << 40}, {}}})
	if err != nil {
		t.Fatal(err)
	}
	var got v2
	if err := codec.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := v2{Name: "王芳", Tags: []string{"vip", ""}, When: when, Inner: []inner{{A: "x", B: -1 << 40}, {}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decoding v1 bytes into v2 (-want +got):\n%s", diff)
	}
}

// roundTrip encodes in and decodes the bytes into a zero T, failing the
// test on an error; it returns the decoded value and the bytes.
func roundTrip[T any](t *testing.T, in *T) (T, []byte) {
	t.Helper()
	b, err := codec.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if err := codec.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	return got, b
}

func TestFarTimes(t *testing.T) {
	type s struct{ T, U time.Time }
	in := s{T: time.Date(1, 2, 3, 4, 5, 6, 7, time.UTC), U: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	got, _ := roundTrip(t, &in)
	if !got.T.Equal(in.T) || !got.U.Equal(in.U) {
		t.Fatalf("far times: got %v, want %v", got, in)
	}
}

func TestRefusesLossyTypes(t *testing.T) {
	type hidden struct {
		Visible string
		secret  string
	}
	if _, err := codec.Marshal(&hidden{Visible: "a", secret: "b"}); err == nil {
		t.Fatal("a struct with an unexported field encoded without error: its value would be lost")
	}
	type withMap struct{ M map[string]int }
	if _, err := codec.Marshal(&withMap{}); err == nil {
		t.Fatal("a map encoded without error")
	}
	if _, err := codec.Marshal(struct{}{}); err == nil {
		t.Fatal("a non-pointer encoded without error")
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, p := range goldenProfiles(f)[:5] {
		b, _ := codec.Marshal(p)
		f.Add(b)
	}
	for _, r := range fixtureRecords(f)[:10] {
		b, _ := codec.Marshal(&r)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Every slice element takes at least one byte, but decodes to a
		// struct of up to 200: a large input of empty elements only makes
		// each run slow (comparing 100k elements takes seconds), and the
		// fuzzer stalls on it. Stored profiles are a few KiB.
		if len(b) > 16<<10 {
			return
		}
		var p merge.Profile
		if err := codec.Unmarshal(b, &p); err != nil {
			return
		}
		// What decodes, re-encodes and decodes to the same value.
		again, err := codec.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		var q merge.Profile
		if err := codec.Unmarshal(again, &q); err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if !cmp.Equal(&p, &q, instants) {
			t.Fatalf("(-first +second):\n%s", cmp.Diff(&p, &q, instants))
		}
		var r identity.Record
		codec.Unmarshal(b, &r) // must not panic
	})
}

func BenchmarkProfile(b *testing.B) {
	ps := goldenProfiles(b)
	for _, tc := range []struct {
		name   string
		encode func(*merge.Profile) []byte
		decode func([]byte) error
	}{
		{"codec", func(p *merge.Profile) []byte { x, _ := codec.Marshal(p); return x },
			func(x []byte) error { var p merge.Profile; return codec.Unmarshal(x, &p) }},
		{"json", func(p *merge.Profile) []byte { x, _ := json.Marshal(p); return x },
			func(x []byte) error { var p merge.Profile; return json.Unmarshal(x, &p) }},
	} {
		b.Run(tc.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, p := range ps {
					n += len(tc.encode(p))
				}
			}
			b.ReportMetric(float64(n)/float64(b.N)/float64(len(ps)), "bytes/profile")
		})
		b.Run(tc.name+"/decode", func(b *testing.B) {
			enc := make([][]byte, len(ps))
			for i, p := range ps {
				enc[i] = tc.encode(p)
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, x := range enc {
					if err := tc.decode(x); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestFirstFormat decodes profiles encoded by the first format, whose
// strings are all literals and which has no string table (made by the
// encoder before the table; testdata/format1.json is what they hold),
// and checks that this encoder writes them shorter.
func TestFirstFormat(t *testing.T) {
	raw, err := os.ReadFile("testdata/format1.bin")
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile("testdata/format1.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []*merge.Profile
	if err := json.Unmarshal(j, &want); err != nil {
		t.Fatal(err)
	}
	var got []*merge.Profile
	oldSize, newSize := 0, 0
	for len(raw) > 0 {
		n, k := binary.Uvarint(raw)
		if k <= 0 || uint64(len(raw)-k) < n {
			t.Fatal("testdata/format1.bin is cut short")
		}
		var p merge.Profile
		if err := codec.Unmarshal(raw[k:k+int(n)], &p); err != nil {
			t.Fatalf("profile %d of the first format: %v", len(got), err)
		}
		b, err := codec.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		oldSize, newSize = oldSize+int(n), newSize+len(b)
		got = append(got, &p)
		raw = raw[k+int(n):]
	}
	if diff := cmp.Diff(want, got, instants); diff != "" {
		t.Fatalf("first-format profiles (-want +got):\n%s", diff)
	}
	if newSize >= oldSize {
		t.Fatalf("%d profiles: %d bytes with the string table, %d without", len(got), newSize, oldSize)
	}
	t.Logf("%d profiles: %d bytes with the string table, %d without", len(got), newSize, oldSize)
}

// splitValues splits a testdata file of uvarint-length-prefixed values.
func splitValues(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for len(raw) > 0 {
		n, k := binary.Uvarint(raw)
		if k <= 0 || uint64(len(raw)-k) < n {
			t.Fatalf("%s is cut short", path)
		}
		out = append(out, raw[k:k+int(n)])
		raw = raw[k+int(n):]
	}
	return out
}

// TestLiteralIsFirstFormat checks that AppendLiteral writes the first
// format byte for byte: the fixture records as the encoder before the
// string table wrote them (testdata/format1-records.bin) decode and
// encode again to the same bytes. The store keys content tags on these
// bytes; if they changed, every unchanged record re-ingested into an
// older database would miss the fast path for good.
func TestLiteralIsFirstFormat(t *testing.T) {
	vals := splitValues(t, "testdata/format1-records.bin")
	if len(vals) < 100 {
		t.Fatalf("%d records in testdata/format1-records.bin", len(vals))
	}
	for i, b := range vals {
		var r identity.Record
		if err := codec.Unmarshal(b, &r); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		again, err := codec.AppendLiteral(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("record %d (%s): AppendLiteral wrote %d bytes unlike the first format's %d", i, r.ID, len(again), len(b))
		}
	}
}

// TestMalformedTables checks that a string table or a reference that does
// not fit is an error, never a panic or a wrong string.
func TestMalformedTables(t *testing.T) {
	type one struct{ S string }
	type num struct{ S int }
	good, err := codec.Marshal(&one{S: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	sKey := keyOfS(t, good)
	ref := func(i byte) []byte { return append(append([]byte(nil), sKey...), i) }
	table := func(count byte, strs ...string) []byte {
		var p []byte
		p = append(p, count)
		for _, s := range strs {
			p = append(p, byte(len(s)))
			p = append(p, s...)
		}
		return append([]byte{0x01, byte(len(p))}, p...)
	}
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"index equal to the count", cat(table(1, "abc"), ref(1))},
		{"reference without a table", ref(0)},
		{"count larger than the table", cat(table(3, "abc"), ref(0))},
		{"huge count", cat([]byte{0x01, 0x03, 0xff, 0xff, 0x7f}, ref(0))},
		{"table not first", cat(ref(0), table(1, "abc"))},
		{"table cut short", cat(table(1, "abc")[:4])},
		{"bytes after the table's strings", cat([]byte{0x01, 0x07, 0x01, 0x03, 'a', 'b', 'c', 0x00, 0x00}, ref(0))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got one
			if err := codec.Unmarshal(tc.in, &got); !errors.Is(err, codec.ErrMalformed) {
				t.Fatalf("got %+v, %v; want ErrMalformed", got, err)
			}
		})
	}
	// A reference where an integer is expected.
	var n num
	if err := codec.Unmarshal(good, &n); !errors.Is(err, codec.ErrMalformed) {
		t.Fatalf("string reference into an int field: got %+v, %v; want ErrMalformed", n, err)
	}
	// The well-formed value decodes, and a string field read as bytes
	// or as a text-marshaled struct gets the string it refers to.
	var got one
	if err := codec.Unmarshal(good, &got); err != nil || got.S != "abc" {
		t.Fatalf("good value: %+v, %v", got, err)
	}
	type raw struct{ S []byte }
	var r raw
	if err := codec.Unmarshal(good, &r); err != nil || string(r.S) != "abc" {
		t.Fatalf("string field read as []byte: %+v, %v", r, err)
	}
}

// keyOfS returns the key of the string field S in a value that holds a
// table and then that one field, as Marshal writes it.
func keyOfS(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 2 || b[0] != 0x01 {
		t.Fatalf("no string table at the start of % x", b)
	}
	body := b[2+int(b[1]):]
	k, n := binary.Uvarint(body)
	if n <= 0 || k&7 != 3 {
		t.Fatalf("the field after the table is not a string reference: % x", body)
	}
	return body[:n]
}

// TestTruncated cuts an encoded profile at every length: exactly the cuts
// between two top-level fields decode (to fewer fields); every cut inside
// a field, nested values included, must fail, never read past its window
// or panic.
func TestTruncated(t *testing.T) {
	p := goldenProfiles(t)[0]
	b, err := codec.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	// The top-level field boundaries, by walking keys and payloads.
	boundary := map[int]bool{0: true}
	for at := 0; at < len(b); {
		k, n := binary.Uvarint(b[at:])
		at += n
		switch k & 7 {
		case 0, 3: // a varint, a string reference
			_, n = binary.Uvarint(b[at:])
			at += n
		case 1:
			l, n := binary.Uvarint(b[at:])
			at += n + int(l)
		case 2:
			at += 8
		}
		boundary[at] = true
	}
	for n := range len(b) + 1 {
		var q merge.Profile
		err := codec.Unmarshal(b[:n], &q)
		if (err == nil) != boundary[n] {
			t.Fatalf("cut at %d of %d: error %v, at a field boundary: %v", n, len(b), err, boundary[n])
		}
	}
}

// every holds a field of each kind the codec writes through its own
// layout: narrow integers, floats, bytes, pointers, nested slices.
type every struct {
	// Each narrow integer is followed by a zero one of its size, which
	// is not encoded: a decoder that wrote more bytes than the field
	// holds would change it.
	I8   int8
	Z8   int8
	I16  int16
	Z16  int16
	I32  int32
	Z32  int32
	I64  int64
	I    int
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	F32  float32
	F64  float64
	B    bool
	Raw  []byte
	Name identity.Channel
	Ptr  *inner
	Nest [][]inner
	When time.Time
	Tags []string
}

func TestEveryKind(t *testing.T) {
	in := every{
		I8: -128, I16: -32768, I32: -1 << 31, I64: -1 << 63, I: 1<<63 - 1,
		U8: 255, U16: 65535, U32: 1<<32 - 1, U64: 1<<64 - 1,
		F32: 1.5, F64: -2.25e300, B: true, Raw: []byte{0, 1, 2},
		Name: identity.ChannelWeChat, Ptr: &inner{A: "p", B: 7},
		Nest: [][]inner{{{A: "a"}, {B: 1}}, nil, {{A: "a", B: 2}}},
		When: time.Date(2026, 12, 3, 8, 0, 0, 1, time.UTC),
		Tags: []string{"同一", "同一", "same", "same", ""},
	}
	got, b := roundTrip(t, &in)
	// The empty inner slice is encoded from nil and decodes as nil.
	if diff := cmp.Diff(in, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	// Decoding into a pointer that is already set fills what it points to.
	keep := &inner{A: "old", B: 9}
	into := every{Ptr: keep}
	if err := codec.Unmarshal(b, &into); err != nil {
		t.Fatal(err)
	}
	if into.Ptr != keep || *keep != (inner{A: "p", B: 7}) {
		t.Fatalf("pointer field: got %p %+v, want %p {p 7}", into.Ptr, *into.Ptr, keep)
	}
}

func TestNarrowIntegersRefuseOverflow(t *testing.T) {
	type wide struct {
		I8  int64
		U16 uint64
	}
	type narrow struct {
		I8  int8
		U16 uint16
	}
	for _, tc := range []struct {
		name string
		in   wide
		ok   bool
	}{
		{"in range", wide{I8: -128, U16: 65535}, true},
		{"int8 below", wide{I8: -129}, false},
		{"int8 above", wide{I8: 128}, false},
		{"uint16 above", wide{U16: 65536}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := codec.Marshal(&tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var got narrow
			err = codec.Unmarshal(b, &got)
			if tc.ok {
				if err != nil || int64(got.I8) != tc.in.I8 || uint64(got.U16) != tc.in.U16 {
					t.Fatalf("got %+v, %v; want %+v", got, err, tc.in)
				}
				return
			}
			if !errors.Is(err, codec.ErrMalformed) {
				t.Fatalf("got %+v, %v; want ErrMalformed", got, err)
			}
		})
	}
}

// withStruct has a struct field held by value, whose zero value is
// every field of it zero.
type withStruct struct {
	In inner
	N  int8
}

// TestZeroFieldsLeftOut checks which fields a value leaves out: those
// holding their type's zero value as reflect.Value.IsZero says (a
// negative zero among them), and empty slices; a zone without an
// instant and a struct with one field set are written. Stored bytes,
// and the MACs of records' literal encodings, depend on it.
func TestZeroFieldsLeftOut(t *testing.T) {
	negZero := math.Copysign(0, -1)
	empty := []any{
		&every{},
		&every{Raw: []byte{}, Tags: []string{}, Nest: [][]inner{}},
		&every{F64: negZero, F32: float32(negZero)},
		&withStruct{},
	}
	for _, v := range empty {
		b, err := codec.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 0 {
			t.Errorf("%#v encodes to %d bytes, want none", v, len(b))
		}
	}
	got, _ := roundTrip(t, &every{F64: -1e-300, I8: -1, U16: 1})
	if got.F64 != -1e-300 || got.I8 != -1 || got.U16 != 1 {
		t.Errorf("small numbers: got F64 %v I8 %d U16 %d", got.F64, got.I8, got.U16)
	}
	shanghai := time.FixedZone("CST", 8*3600)
	zoned, b := roundTrip(t, &every{When: time.Time{}.In(shanghai)})
	if len(b) == 0 || !zoned.When.Equal(time.Time{}) {
		t.Errorf("a zero instant in a zone: %d bytes, decoded %v; want it written and the instant kept", len(b), zoned.When)
	}
	in := withStruct{In: inner{B: -3}, N: -128}
	if got, _ := roundTrip(t, &in); got != in {
		t.Errorf("struct field: got %+v, want %+v", got, in)
	}
}

// TestNilElementPanics checks that a nil pointer where no field can be
// left out (a slice's element) stops the encoding with a message naming
// its type, rather than a nil dereference or bytes no one wrote.
func TestNilElementPanics(t *testing.T) {
	type ptrs struct{ P []*string }
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "nil *string") {
			t.Errorf("encoding a nil element: recovered %q, want a message naming *string", msg)
		}
	}()
	codec.Marshal(&ptrs{P: []*string{nil}})
}
