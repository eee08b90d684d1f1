package codec_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/codec"
	"github.com/scv-go/scv/merge"
)

// order and line are a stored type as one release declares it.
type order struct {
	Buyer string    `codec:"1"`
	Fen   int64     `codec:"2"`
	At    time.Time `codec:"3"`
	Lines []line    `codec:"4"`
	Note  *string   `codec:"40213"` // a number as large as a pinned name hash
}

type line struct {
	SKU string `codec:"1"`
	Qty int    `codec:"2"`
}

// renamedOrder is order a release later: every Go field renamed and
// moved, the numbers kept.
type renamedOrder struct {
	Remark    *string      `codec:"40213"`
	Items     []renamedRow `codec:"4"`
	PlacedAt  time.Time    `codec:"3"`
	AmountFen int64        `codec:"2"`
	Customer  string       `codec:"1"`
}

type renamedRow struct {
	Count int    `codec:"2"`
	Code  string `codec:"1"`
}

// TestRenameKeepsData encodes a value and decodes it into a type whose
// fields all have other Go names, in another order, with the same
// numbers: nothing is lost, in either form of the encoding.
func TestRenameKeepsData(t *testing.T) {
	note := "gift wrap"
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	in := order{Buyer: "王芳", Fen: 12900, At: at, Lines: []line{{SKU: "A-1", Qty: 2}, {SKU: "王芳"}}, Note: &note}
	want := renamedOrder{Customer: "王芳", AmountFen: 12900, PlacedAt: at, Items: []renamedRow{{Code: "A-1", Count: 2}, {Code: "王芳"}}, Remark: &note}
	for _, tc := range []struct {
		name   string
		encode func(*order) ([]byte, error)
	}{
		{"string table", func(o *order) ([]byte, error) { return codec.Marshal(o) }},
		{"literal", func(o *order) ([]byte, error) { return codec.AppendLiteral(nil, o) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.encode(&in)
			if err != nil {
				t.Fatal(err)
			}
			var got renamedOrder
			if err := codec.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("decoding into renamed fields (-want +got):\n%s", diff)
			}
			// And back: what the renamed type writes, the old one reads.
			again, err := codec.Marshal(&got)
			if err != nil {
				t.Fatal(err)
			}
			var back order
			if err := codec.Unmarshal(again, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(in, back); diff != "" {
				t.Fatalf("decoding the renamed type's bytes into the old type (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNumberIsTheKey checks the wire form: a field's key is its number
// and wire type, whatever its Go name.
func TestNumberIsTheKey(t *testing.T) {
	type one struct {
		Spend int `codec:"5"`
	}
	b, err := codec.Marshal(&one{Spend: -2})
	if err != nil {
		t.Fatal(err)
	}
	// The key is number 5, wire type 0 (varint); zig-zag -2 is 3.
	if want := []byte{5 << 3, 3}; !bytes.Equal(b, want) {
		t.Fatalf("encoding: % x, want % x", b, want)
	}
}

// TestNumbersChecked checks that a struct with a missing, repeated or
// malformed field number is refused when its codec is built, before
// anything is written or read.
func TestNumbersChecked(t *testing.T) {
	type missing struct {
		A string `codec:"1"`
		B string // a field added without a number would be keyed by its name
	}
	type repeated struct {
		A string `codec:"1"`
		B int    `codec:"1"`
	}
	type zero struct {
		A string `codec:"0"`
	}
	type tooLarge struct {
		A string `codec:"65536"`
	}
	type notANumber struct {
		A string `codec:"a"`
	}
	type skipped struct { // fine: a skipped field needs no number
		A string `codec:"1"`
		B string `codec:"-"`
	}
	for _, tc := range []struct {
		name string
		v    any
		want string // in the error; "" for none
	}{
		{"missing", &missing{}, "missing.B has no field number"},
		{"repeated", &repeated{}, "fields A and B have one number, 1"},
		{"zero", &zero{}, `zero.A: bad field number "0"`},
		{"too large", &tooLarge{}, `tooLarge.A: bad field number "65536"`},
		{"not a number", &notANumber{}, `notANumber.A: bad field number "a"`},
		{"skipped", &skipped{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codec.Marshal(tc.v)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Marshal: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "codec: ") {
				t.Fatalf("Marshal: %v, want an error with %q", err, tc.want)
			}
			if err := codec.Unmarshal([]byte{}, tc.v); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Unmarshal: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestStoredTypesNumbered checks that every struct in a profile and in a
// record has numbered fields, so that no rename can drop stored data, and
// that CheckNumbered finds a struct keyed by names, however deep.
func TestStoredTypesNumbered(t *testing.T) {
	for _, v := range []any{&merge.Profile{}, &identity.Record{}} {
		if err := codec.CheckNumbered(v); err != nil {
			t.Errorf("%T: %v", v, err)
		}
	}
	type byName struct{ A string }
	type outer struct {
		In []*byName `codec:"1"`
	}
	err := codec.CheckNumbered(&outer{})
	if err == nil || !strings.Contains(err.Error(), "byName") {
		t.Fatalf("CheckNumbered of a struct holding one keyed by names: %v, want an error naming byName", err)
	}
}

// TestNumbersKeepFormat decodes values written before fields had numbers,
// when every key was a hash of the field's name
// (testdata/format2-profiles.bin and format2-records.bin: a profile and
// a record with every field set, in both forms, then golden profiles and
// fixture records that together use every field), and checks that they
// encode again to the same bytes. The numbers of those fields are the
// hashes of their names of the time, so no stored byte changed: a
// database written before opens as it is, and the content tags the store
// keys on a record's literal encoding still match. A field whose number
// differed from its old key would be skipped as unknown, or land in
// another field, and change the bytes.
func TestNumbersKeepFormat(t *testing.T) {
	for _, tc := range []struct {
		file   string
		decode func([]byte) (any, error)
	}{
		{"testdata/format2-profiles.bin", func(b []byte) (any, error) { var p merge.Profile; return &p, codec.Unmarshal(b, &p) }},
		{"testdata/format2-records.bin", func(b []byte) (any, error) { var r identity.Record; return &r, codec.Unmarshal(b, &r) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			vals := splitValues(t, tc.file)
			if len(vals) < 5 {
				t.Fatalf("%d values in %s", len(vals), tc.file)
			}
			for i, b := range vals {
				v, err := tc.decode(b)
				if err != nil {
					t.Fatalf("value %d: %v", i, err)
				}
				var again []byte
				if b[0] == 0x01 { // a string table: written by Append
					again, err = codec.Marshal(v)
				} else {
					again, err = codec.AppendLiteral(nil, v)
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, b) {
					t.Fatalf("value %d: encodes again to %d bytes unlike the %d written before numbers:\n% x\n% x", i, len(again), len(b), again, b)
				}
			}
		})
	}
}
