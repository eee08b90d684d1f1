package identity

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
)

// TestAreaCodeLenMatchesPhonenumbers checks the two stand-ins for
// phonenumbers.GetLengthOfGeographicalAreaCode on mainland fixed lines:
// the reference path's cnAreaCodeLen (which skips the number types
// phonenumbers works out again) and the fast path's automata over the
// international formats. Both must give phonenumbers' length on every
// generated fixed line, and the inputs must cover area codes of two,
// three and four digits.
func TestAreaCodeLenMatchesPhonenumbers(t *testing.T) {
	tables, err := cnFastTables()
	if err != nil {
		t.Fatal(err)
	}
	if tables.formats == nil {
		t.Fatal("the CN formats did not compile")
	}
	r := rand.New(rand.NewPCG(5, 8))
	type mismatch struct{ NSN, Func string }
	var mismatches []mismatch
	lengths := map[int]int{}
	for range 20_000 {
		nsn := genLandline(r)
		if r.IntN(10) == 0 {
			nsn = pick(r, "10", "21", "755", "8078") + pick(r, "95588", "12345", "10086", "110", "114", "96110")
		}
		n, err := phonenumbers.Parse("0"+nsn, "CN")
		if err != nil {
			continue
		}
		if typ := phonenumbers.GetNumberType(n); typ != phonenumbers.FIXED_LINE && typ != phonenumbers.FIXED_LINE_OR_MOBILE {
			continue
		}
		want := phonenumbers.GetLengthOfGeographicalAreaCode(n)
		lengths[want]++
		if got := cnAreaCodeLen(n); got != want {
			mismatches = append(mismatches, mismatch{nsn, "cnAreaCodeLen"})
		}
		if got, ok := tables.areaCodeLen([]byte(phonenumbers.GetNationalSignificantNumber(n))); !ok || got != want {
			mismatches = append(mismatches, mismatch{nsn, "areaCodeLen"})
		}
	}
	if diff := cmp.Diff([]mismatch(nil), mismatches); diff != "" {
		t.Errorf("area code lengths differ from phonenumbers' (-want +got):\n%s", diff)
	}
	for _, l := range []int{2, 3, 4} {
		if lengths[l] < 100 {
			t.Errorf("only %d fixed lines with a %d-digit area code (all: %v)", lengths[l], l, lengths)
		}
	}
}
