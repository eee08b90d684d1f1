package identity_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

// TestParsePhoneMixFastMatchesReference runs the fast path and the
// reference path over the workload's whole phone mix (the input of
// scvbench's phone_speedup): wherever the fast path decides, it must give
// the reference's number and the very same error, and it must decide
// nearly every value of each class the mix holds, not only the mobiles.
func TestParsePhoneMixFastMatchesReference(t *testing.T) {
	g, err := workload.New(workload.Config{Records: 20_000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	mix := g.PhoneMix(20_000)
	total, decided := map[string]int{}, map[string]int{}
	var mismatches []string
	for i, raw := range mix {
		rph, rerr := identity.ParsePhoneReference(raw)
		class := phoneClass(raw)
		total[class]++
		fph, ferr, ok := identity.ParsePhoneFast(raw)
		if !ok {
			continue
		}
		decided[class]++
		if fph != rph || ferr != rerr {
			// The values are personal data in real life, not here: the
			// mix is generated.
			mismatches = append(mismatches, fmt.Sprintf("value %d %q: fast %v, %v; reference %v, %v", i, raw, fph, ferr, rph, rerr))
		}
	}
	if diff := cmp.Diff([]string(nil), mismatches); diff != "" {
		t.Errorf("fast path disagrees with the reference (-want +got):\n%s", diff)
	}
	// The share of each class the fast path decides, in percent, at
	// least.
	minShare := map[string]int{"mobile": 99, "landline": 90, "masked": 100, "placeholder": 100, "service": 90, "invalid": 90, "foreign": 95}
	got, want := map[string]bool{}, map[string]bool{}
	for class, n := range total {
		share := 100 * decided[class] / n
		t.Logf("%-11s %5d values, fast path decides %3d%%", class, n, share)
		min, known := minShare[class]
		if !known {
			t.Errorf("class %q has no expected share", class)
		}
		got[class] = share >= min
		want[class] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("classes the fast path decides enough of (-want +got):\n%s", diff)
	}
}
