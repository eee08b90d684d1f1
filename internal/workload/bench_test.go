package workload_test

import (
	"io"
	"testing"

	"github.com/scv-go/scv/internal/workload"
)

// BenchmarkOpen measures generating the native bytes of a workload, per
// record.
func BenchmarkOpen(b *testing.B) {
	const n = 20000
	g := newGenerator(b, n, 1)
	b.ReportAllocs()
	var size int64
	for b.Loop() {
		size = 0
		for _, f := range workload.Files() {
			m, err := io.Copy(io.Discard, g.Open(f))
			if err != nil {
				b.Fatal(err)
			}
			size += m
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	b.ReportMetric(float64(size)/n, "bytes/record")
}

// BenchmarkRecords measures streaming a workload's records: generation and
// identity.Decode, per record.
func BenchmarkRecords(b *testing.B) {
	const n = 20000
	g := newGenerator(b, n, 1)
	b.ReportAllocs()
	for b.Loop() {
		for _, err := range g.Records() {
			_ = err
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}

// BenchmarkNew measures counting a workload's people.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		newGenerator(b, 100000, 1)
	}
}
