package identity_test

import (
	"bytes"
	"io"
	"path"
	"strings"
	"testing"

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
