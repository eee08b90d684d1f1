package identity

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// benchMobiles returns a realistic mix of mainland mobile spellings, as
// they arrive from POS terminals, marketplaces, WeChat and CRM exports:
// mostly bare digits, then +86 forms, grouped forms, full-width digits and
// the occasional 0086, bare 86 or IP-dialling prefix. Every input is a
// valid mobile for both ParsePhone and phonenumbers.
func benchMobiles(tb testing.TB) []string {
	tb.Helper()
	spellings := []string{
		"%[1]s", "%[1]s", "%[1]s", "%[1]s", "%[1]s", "%[1]s",
		"+86%[1]s", "+86%[1]s", "+86 %[1]s",
		"%[2]s %[3]s %[4]s", "%[2]s-%[3]s-%[4]s",
		"(+86) %[2]s %[3]s %[4]s",
		"0086%[1]s", "86%[1]s", "17951%[1]s",
		"%[5]s",
	}
	r := rand.New(rand.NewPCG(7, 11))
	var in []string
	for tries := 0; len(in) < 256; tries++ {
		if tries > 10_000 {
			tb.Fatal("cannot generate benchmark inputs")
		}
		nsn := fmt.Sprintf("1%d%d%s", 3+r.IntN(7), r.IntN(10), digitString(r, 8))
		raw := fmt.Sprintf(spellings[len(in)%len(spellings)], nsn, nsn[:3], nsn[3:7], nsn[7:], fullWidth(r, nsn))
		ph, err := ParsePhone(raw, "CN")
		if err != nil || !ph.Mobile() {
			continue // an unassigned block or a placeholder
		}
		n, err := phonenumbers.Parse(raw, "CN")
		if err != nil || phonenumbers.Format(n, phonenumbers.E164) != ph.String() {
			tb.Fatalf("phonenumbers disagrees on %q", raw)
		}
		in = append(in, raw)
	}
	return in
}

// BenchmarkParsePhone compares ParsePhone (its fast path) with what it
// replaces, phonenumbers.Parse + Format, and with its own reference path,
// on the same inputs.
func BenchmarkParsePhone(b *testing.B) {
	in := benchMobiles(b)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := ParsePhone(in[i%len(in)], "CN"); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("phonenumbers", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			n, err := phonenumbers.Parse(in[i%len(in)], "CN")
			if err != nil {
				b.Fatal(err)
			}
			_ = phonenumbers.Format(n, phonenumbers.E164)
			i++
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := parseReference(in[i%len(in)], "CN", defaultPlaceholdersOnly); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkParsePhoneSpeedup runs both sides over the whole input set in
// every iteration and reports how many times faster ParsePhone is than
// phonenumbers.Parse + Format ("speedup"), with the time per input of each.
func BenchmarkParsePhoneSpeedup(b *testing.B) {
	in := benchMobiles(b)
	var fast, pn time.Duration
	for b.Loop() {
		start := time.Now()
		for _, raw := range in {
			if _, err := ParsePhone(raw, "CN"); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		for _, raw := range in {
			n, err := phonenumbers.Parse(raw, "CN")
			if err != nil {
				b.Fatal(err)
			}
			_ = phonenumbers.Format(n, phonenumbers.E164)
		}
		fast += mid.Sub(start)
		pn += time.Since(mid)
	}
	b.ReportMetric(float64(pn)/float64(fast), "speedup")
	b.ReportMetric(float64(fast.Nanoseconds())/float64(b.N*len(in)), "fast-ns/input")
	b.ReportMetric(float64(pn.Nanoseconds())/float64(b.N*len(in)), "phonenumbers-ns/input")
}
