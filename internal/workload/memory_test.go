//go:build !race

package workload_test

import (
	"runtime"
	"testing"
)

// TestRecordsStreams checks that streaming a workload holds neither its
// records nor its bytes: the live heap stays flat while 100,000 records
// (about 40 MB of native files, several times that as decoded records) go
// by. It is left out under the race detector, which is too slow for it.
func TestRecordsStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100,000 records")
	}
	const n = 100_000
	g := newGenerator(t, n, 1)
	var ms runtime.MemStats
	peak, seen := uint64(0), 0
	for range g.Records() {
		seen++
		if seen%10_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if seen != n {
		t.Fatalf("streamed %d records, want %d", seen, n)
	}
	if peak > 16<<20 {
		t.Errorf("live heap reached %d MiB while streaming, want under 16 MiB", peak>>20)
	}
}
