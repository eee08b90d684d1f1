package identity

import (
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestDigitDFAMatchesRegexp checks the automaton compiler against the
// regexp package on every pattern of the CN metadata and on the general
// patterns of other regions: full matches and prefix matches must agree
// on random digit strings drawn near the patterns' own example numbers.
func TestDigitDFAMatchesRegexp(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	type pattern struct {
		name, re string
		example  string
	}
	var patterns []pattern
	others := map[string]bool{"US": true, "GB": true, "DE": true, "HK": true, "TW": true, "JP": true, "AU": true, "IN": true, "AR": true, "IT": true}
	for _, md := range coll.GetMetadata() {
		switch {
		case md.GetId() == "CN":
			for name, d := range map[string]*phonenumbers.PhoneNumberDesc{
				"general": md.GetGeneralDesc(), "fixed": md.GetFixedLine(), "mobile": md.GetMobile(),
				"toll free": md.GetTollFree(), "premium": md.GetPremiumRate(), "shared": md.GetSharedCost(),
				"voip": md.GetVoip(), "uan": md.GetUan(),
			} {
				patterns = append(patterns, pattern{"CN " + name, d.GetNationalNumberPattern(), d.GetExampleNumber()})
			}
			patterns = append(patterns,
				pattern{"CN international prefix", md.GetInternationalPrefix(), "00"},
				pattern{"CN national prefix for parsing", md.GetNationalPrefixForParsing(), "17951"})
		case others[md.GetId()]:
			patterns = append(patterns, pattern{md.GetId() + " general", md.GetGeneralDesc().GetNationalNumberPattern(), md.GetFixedLine().GetExampleNumber()},
				pattern{md.GetId() + " mobile", md.GetMobile().GetNationalNumberPattern(), md.GetMobile().GetExampleNumber()})
		}
	}
	if len(patterns) < 20 {
		t.Fatalf("found only %d patterns", len(patterns))
	}
	draws := 5000
	if raceEnabled() {
		draws = 1000
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range patterns {
		t.Run(p.name, func(t *testing.T) {
			dfa, err := compileDigitDFA(p.re)
			if err != nil {
				t.Fatal(err)
			}
			full := regexp.MustCompile("^(?:" + p.re + ")$")
			matched := 0
			for range draws {
				s := nearExample(r, p.example)
				want := full.MatchString(s)
				if got := dfa.full([]byte(s)); got != want {
					t.Fatalf("full match of %q: automaton %v, regexp %v", s, got, want)
				}
				if want {
					matched++
				}
				var wantSet uint64
				for k := 0; k <= len(s); k++ {
					if full.MatchString(s[:k]) {
						wantSet |= 1 << k
					}
				}
				if got := dfa.prefixes([]byte(s)); got != wantSet {
					t.Fatalf("prefixes of %q: automaton %b, regexp %b", s, got, wantSet)
				}
			}
			if p.example != "" && matched == 0 && full.MatchString(p.example) {
				t.Errorf("no generated string matched: the test draws too far from %q", p.example)
			}
		})
	}
}

// nearExample returns a digit string close to example: the example
// itself, a prefix of it, or it with some digits changed, added or cut.
func nearExample(r *rand.Rand, example string) string {
	b := []byte(example)
	if len(b) == 0 || r.IntN(8) == 0 {
		b = []byte(digitString(r, r.IntN(15)))
	}
	for n := r.IntN(4); n > 0 && len(b) > 0; n-- {
		b[r.IntN(len(b))] = byte('0' + r.IntN(10))
	}
	switch r.IntN(4) {
	case 0:
		b = b[:r.IntN(len(b)+1)]
	case 1:
		b = append(b, digitString(r, 1+r.IntN(3))...)
	}
	return string(b)
}

func TestDigitDFARefusesAnchors(t *testing.T) {
	for _, p := range []string{`^1\d{10}`, `1\d{10}$`, `\b1\d+`} {
		if _, err := compileDigitDFA(p); err == nil {
			t.Errorf("compileDigitDFA(%q) succeeded; anchors must turn the fast path off", p)
		}
	}
}

func TestFastTablesFromMetadata(t *testing.T) {
	tab, err := cnFastTables()
	if err != nil {
		t.Fatalf("fast path is off: %v", err)
	}
	if tab.trunk != "0" {
		t.Errorf("trunk prefix = %q, want 0", tab.trunk)
	}
	// Every example number of the CN metadata gets the type phonenumbers
	// gives it.
	coll, _ := phonenumbers.MetadataCollection()
	for _, md := range coll.GetMetadata() {
		if md.GetId() != "CN" {
			continue
		}
		for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetFixedLine(), md.GetMobile(), md.GetTollFree(), md.GetPremiumRate(), md.GetSharedCost()} {
			ex := d.GetExampleNumber()
			if ex == "" {
				continue
			}
			n, err := phonenumbers.Parse("+86"+ex, "CN")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tab.numberType([]byte(ex)), phonenumbers.GetNumberType(n); got != want {
				t.Errorf("type of %s: fast %v, phonenumbers %v", ex, got, want)
			}
		}
	}
}
