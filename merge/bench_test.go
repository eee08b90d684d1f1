package merge_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// grown returns a store holding one profile of n records: till receipts
// with one phone, an order each, a like on every third, three names.
func grown(b *testing.B, r *merge.Resolver, n int) *memory {
	b.Helper()
	m := newMemory()
	names := []string{"李梅", "李 梅", "Li Mei"}
	for i := range n {
		at := day(2025, 1, 1).Add(time.Duration(i) * merge.Day / 3)
		rec := paid(named(rec(fmt.Sprintf("r%04d", i), at, phone(1)), names[i%3]), fmt.Sprint("o", i), int64(1000+i), at)
		if i%3 == 0 {
			rec.Interactions = []identity.Interaction{{Type: identity.InteractionLike, ID: fmt.Sprint("m", i), Time: at}}
		}
		if _, err := m.add(r, rec, asOf); err != nil {
			b.Fatal(err)
		}
	}
	if len(m.profiles) != 1 {
		b.Fatalf("%d profiles, want 1", len(m.profiles))
	}
	return m
}

// BenchmarkAdd measures one Add into a profile of n records: a new record
// that folds in (the common case, which reads no record), and an update of
// one of its records, which recomputes the profile from all n records.
// The store's own costs (reads, sealing, writes) are not included; see
// BenchmarkProfileJSON for the size of what it writes.
func BenchmarkAdd(b *testing.B) {
	r := newResolver(b, merge.Options{})
	for _, path := range []string{"fold", "recompute"} {
		for _, n := range []int{1, 10, 100, 1000} {
			b.Run(fmt.Sprintf("%s/records=%d", path, n), func(b *testing.B) {
				m := grown(b, r, n)
				in := paid(rec("new", day(2026, 6, 1), phone(1)), "new", 100, day(2026, 6, 1))
				if path == "recompute" {
					in = m.records[identity.RecordKey{Channel: identity.ChannelPOS, Source: "pos", ID: "r0000"}]
					in.Attributes.City = "深圳"
					in.Observed = in.Observed.Add(merge.Day) // a newer version
				}
				ch, err := r.Add(m, in, m.newID, asOf)
				if err != nil {
					b.Fatal(err)
				}
				if ch.Recomputed != (path == "recompute") {
					b.Fatalf("recomputed %t on the %s path", ch.Recomputed, path)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.Add(m, in, m.newID, asOf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkProfileJSON measures encoding a profile of n records, what a
// store does before sealing it on every change, and reports its size.
func BenchmarkProfileJSON(b *testing.B) {
	r := newResolver(b, merge.Options{})
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			m := grown(b, r, n)
			var p *merge.Profile
			for _, v := range m.decoded {
				p = v
			}
			var size int
			b.ReportAllocs()
			for b.Loop() {
				out, err := json.Marshal(p)
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.ReportMetric(float64(size), "bytes/profile")
		})
	}
}
