package workload_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
)

// TestPhoneMix checks that the mix is deterministic and holds what a
// phone column holds, in about the documented shares: valid mainland
// mobiles (most of them), landlines and foreign numbers that parse, and
// masked, placeholder, service and invalid values that do not.
func TestPhoneMix(t *testing.T) {
	g := newGenerator(t, 5000, 9)
	mix := g.PhoneMix(10_000)
	if diff := cmp.Diff(mix, g.PhoneMix(10_000)); diff != "" {
		t.Fatalf("two calls differ (-first +second):\n%s", diff)
	}
	got := map[string]int{}
	for _, s := range mix {
		p, err := identity.ParsePhone(s, "CN")
		e164 := p.String()
		switch {
		case err == nil && strings.HasPrefix(e164, "+861"):
			got["mobile"]++
		case err == nil && strings.HasPrefix(e164, "+86"):
			got["landline"]++
		case err == nil:
			got["foreign"]++
		case errors.Is(err, identity.ErrMaskedPhone):
			got["masked"]++
		case errors.Is(err, identity.ErrPlaceholderPhone):
			got["placeholder"]++
		case errors.Is(err, identity.ErrServicePhone):
			got["service"]++
		case errors.Is(err, identity.ErrInvalidPhone):
			got["invalid"]++
		default:
			t.Fatalf("ParsePhone: an error of no known kind: %v", err)
		}
	}
	// Shares in percent, within 2 points; hub numbers are valid mobiles
	// (only the merge step's hub rule catches them), typos and junk are
	// invalid.
	for kind, want := range map[string]int{"mobile": 72, "landline": 5, "foreign": 4, "masked": 8, "placeholder": 2, "service": 3, "invalid": 6} {
		if share := got[kind] * 100 / len(mix); share < want-2 || share > want+2 {
			t.Errorf("%s: %d%% of the mix, want about %d%% (all: %v)", kind, share, want, got)
		}
	}
}
