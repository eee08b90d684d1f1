package identity_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

// BenchmarkDecodeWorkload decodes each native file of a 20,000-record
// workload (the files scvbench ingests), reporting MB/s and records/s per
// file: WeChat followers and mini-program users, Weibo fans and leads,
// Taobao trades as JSON Lines, JD orders as one JSON array, and the POS,
// CRM and survey CSVs.
func BenchmarkDecodeWorkload(b *testing.B) {
	g, err := workload.New(workload.Config{Records: 20_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range workload.Files() {
		data, err := io.ReadAll(g.Open(f))
		if err != nil {
			b.Fatal(err)
		}
		name := strings.TrimSuffix(path.Base(f.Name), path.Ext(f.Name))
		b.Run(string(f.Format)+"/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			n := 0
			for b.Loop() {
				for range identity.Decode(bytes.NewReader(data), f.Format, f.Options()) {
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkParsePhoneMix parses the workload's mix of phone values
// (workload.PhoneMix: its mobiles in their spellings, and the masked
// numbers, typos, placeholders, landlines, foreign and service numbers and
// junk that phone columns also hold), the input of scvbench's
// phone_speedup.
func BenchmarkParsePhoneMix(b *testing.B) {
	g, err := workload.New(workload.Config{Records: 20_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	mix := g.PhoneMix(4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = identity.ParsePhone(mix[i%len(mix)], "CN")
		i++
	}
}

// BenchmarkParsePhoneMixByClass splits the workload's phone mix by what
// ParsePhone makes of each value (a mainland mobile or landline, a
// foreign number, or a masked, placeholder, service or invalid value) and
// times, per class and for the whole mix ("all"), ParsePhone against
// phonenumbers.Parse + Format on the same inputs in the same iteration.
// It reports "speedup" (how many times faster ParsePhone is) and the time
// per input of each side.
func BenchmarkParsePhoneMixByClass(b *testing.B) {
	g, err := workload.New(workload.Config{Records: 20_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	mix := g.PhoneMix(8192)
	classes := map[string][]string{"all": mix}
	for _, s := range mix {
		c := phoneClass(s)
		classes[c] = append(classes[c], s)
	}
	for _, c := range []string{"all", "mobile", "landline", "foreign", "masked", "placeholder", "service", "invalid"} {
		in := classes[c]
		if len(in) == 0 {
			b.Fatalf("no %s values in the mix", c)
		}
		b.Run(c, func(b *testing.B) {
			var fast, pn time.Duration
			sink := 0
			for b.Loop() {
				start := time.Now()
				for _, raw := range in {
					ph, _ := identity.ParsePhone(raw, "CN")
					sink += len(ph.String())
				}
				mid := time.Now()
				for _, raw := range in {
					if n, err := phonenumbers.Parse(raw, "CN"); err == nil {
						sink += len(phonenumbers.Format(n, phonenumbers.E164))
					}
				}
				fast += mid.Sub(start)
				pn += time.Since(mid)
			}
			if sink == 0 && c != "masked" && c != "invalid" && c != "placeholder" && c != "service" {
				b.Fatal("nothing parsed")
			}
			calls := float64(b.N * len(in))
			b.ReportMetric(float64(pn)/float64(fast), "speedup")
			b.ReportMetric(float64(fast.Nanoseconds())/calls, "fast-ns/input")
			b.ReportMetric(float64(pn.Nanoseconds())/calls, "phonenumbers-ns/input")
			b.ReportMetric(float64(len(in))/float64(len(mix))*100, "%mix")
		})
	}
}

// phoneClass names what ParsePhone makes of raw: "mobile" or "landline"
// for a mainland number it accepts, "foreign" for another it accepts, or
// the kind of its refusal.
func phoneClass(raw string) string {
	p, err := identity.ParsePhone(raw, "CN")
	switch {
	case err == nil && p.Region() == "CN" && p.Mobile():
		return "mobile"
	case err == nil && p.Region() == "CN":
		return "landline"
	case err == nil:
		return "foreign"
	case errors.Is(err, identity.ErrMaskedPhone):
		return "masked"
	case errors.Is(err, identity.ErrPlaceholderPhone):
		return "placeholder"
	case errors.Is(err, identity.ErrServicePhone):
		return "service"
	}
	return "invalid"
}

// BenchmarkDecodeWorkers decodes the largest JSON Lines and CSV files of
// a 100,000-record workload on 1, 2 and 4 workers ([identity.Options]
// Workers), reporting records/s: the speed-up of one file's decoding on
// several cores.
func BenchmarkDecodeWorkers(b *testing.B) {
	g, err := workload.New(workload.Config{Records: 100_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	largest := map[bool]workload.File{} // by whether it is CSV
	var data = map[bool][]byte{}
	for _, f := range workload.Files() {
		csv := f.Format == identity.FormatPOS || f.Format == identity.FormatCSV
		d, err := io.ReadAll(g.Open(f))
		if err != nil {
			b.Fatal(err)
		}
		if bytes.HasPrefix(d, []byte("[")) {
			continue // the JSON array: its elements are cut as the lines are
		}
		if len(d) > len(data[csv]) {
			largest[csv], data[csv] = f, d
		}
	}
	for _, csv := range []bool{false, true} {
		f := largest[csv]
		for _, workers := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d", f.Format, workers), func(b *testing.B) {
				opts := f.Options()
				opts.Workers = workers
				b.SetBytes(int64(len(data[csv])))
				n := 0
				for b.Loop() {
					for range identity.Decode(bytes.NewReader(data[csv]), f.Format, opts) {
						n++
					}
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
