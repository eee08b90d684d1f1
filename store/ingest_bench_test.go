package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// synth returns n point-of-sale records of n/2 people, two receipts each,
// linked by phone and member number.
func synth(n int) []identity.Record { return synthFrom(0, n) }

// synthFrom returns the records start to start+n-1 of the sequence synth
// starts.
func synthFrom(start, n int) []identity.Record {
	recs := make([]identity.Record, n)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for j := range recs {
		i := start + j
		person := i / 2
		at := base.Add(time.Duration(i) * time.Second)
		recs[j] = identity.Record{
			Channel: identity.ChannelPOS, Source: "pos", ID: fmt.Sprintf("S%07d", i),
			Observed: at,
			Identifiers: []identity.Identifier{
				{Kind: identity.KindPhone, Value: fmt.Sprintf("+86139%08d", person)},
				{Kind: identity.KindMember, Scope: "pos", Value: fmt.Sprintf("M%07d", person)},
			},
			Attributes: identity.Attributes{Name: "王芳", City: "深圳", Province: "广东"},
			Orders:     []identity.Order{{Platform: "pos", ID: fmt.Sprintf("S%07d", i), Status: identity.OrderPaid, AmountFen: 29900, Currency: "CNY", Time: at}},
		}
	}
	return recs
}

// BenchmarkIngest compares, in one run, ingesting records through the
// store (resolution, sealing, indexes, synced commits) with Badger alone
// writing the same number of values of the same mean size per record with
// the same settings: the ratio is how close the store gets to Badger's
// own limit.
func BenchmarkIngest(b *testing.B) {
	const n = 20000
	recs := synth(n)
	var storeNS, rawNS float64
	var perRecord int
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := openTestStore(b, b.TempDir(), crypto.GenerateRootKey())
			b.StartTimer()
			if _, err := s.IngestAll(context.Background(), slices2seq(recs), IngestOptions{}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			perRecord = storedBytes(b, s) / n
			s.Close()
			b.StartTimer()
		}
		storeNS = float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
		b.ReportMetric(storeNS, "ns/record")
		b.ReportMetric(float64(perRecord), "bytes/record")
	})
	b.Run("badger", func(b *testing.B) {
		benchRawBadger(b, n, perRecord)
		rawNS = float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
		b.ReportMetric(rawNS, "ns/record")
	})
	if storeNS > 0 {
		// A parent benchmark's own metrics are not printed; its log is, with -v.
		b.Logf("store rate / badger rate: %.3f", rawNS/storeNS)
	}
}

// BenchmarkSmallIngestCalls measures what a service pays per IngestAll
// call of 64 new records into a store that already holds 100,000, in one
// run: loading the filter of existing keys at the start of every call (a
// scan of every identifier and record key, as IngestAll did before) and
// the default, which loads it only once a call has read
// defaultAbsentAfter records.
func BenchmarkSmallIngestCalls(b *testing.B) {
	const stored, perCall = 100_000, 64
	ctx := context.Background()
	s := openTestStore(b, b.TempDir(), crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, slices2seq(synth(stored)), IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	next := stored
	perVariant := map[string]float64{}
	for _, v := range []struct {
		name  string
		after int
	}{{"scan-every-call", 0}, {"default", defaultAbsentAfter}} {
		b.Run(v.name, func(b *testing.B) {
			s.absentAfter = v.after
			loads := s.absentLoads.Load()
			for b.Loop() {
				b.StopTimer()
				recs := synthFrom(next, perCall)
				next += perCall
				b.StartTimer()
				sum, err := s.IngestAll(ctx, slices2seq(recs), IngestOptions{})
				if err != nil || sum.Accepted != perCall {
					b.Fatalf("accepted %d of %d: %v", sum.Accepted, perCall, err)
				}
			}
			if got, want := s.absentLoads.Load()-loads, int64(0); v.after > perCall && got != want {
				b.Fatalf("%d filter loads in calls of %d records", got, perCall)
			}
			perVariant[v.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perVariant[v.name]/1e6, "ms/call")
		})
	}
	if d := perVariant["default"]; d > 0 {
		// A parent benchmark's own metrics are not printed; its log is, with -v.
		b.Logf("default / scan-every-call: %.1fx faster per call", perVariant["scan-every-call"]/d)
	}
}

func slices2seq(recs []identity.Record) func(func(identity.Record, error) bool) {
	return func(yield func(identity.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func storedBytes(tb testing.TB, s *Store) int {
	tb.Helper()
	total := 0
	err := s.kv.View(context.Background(), func(tx Txn) error {
		for e, err := range tx.Scan(nil, nil, false) {
			if err != nil {
				return err
			}
			total += len(e.Key) + len(e.Value)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return total
}

// benchRawBadger is the baseline of the ingest benchmarks: Badger alone,
// with the store's settings, writing n values of perRecord bytes (key
// included) through one WriteBatch per iteration into a fresh directory.
func benchRawBadger(b *testing.B, n, perRecord int) {
	val := make([]byte, max(perRecord-12, 1))
	for b.Loop() {
		b.StopTimer()
		db, err := badger.Open(badger.DefaultOptions(b.TempDir()).WithLogger(nil).WithSyncWrites(true).
			WithCompression(options.None).WithEncryptionKey(make([]byte, 32)).
			WithIndexCacheSize(64 << 20).WithBlockCacheSize(128 << 20).WithNumMemtables(3))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		wb := db.NewWriteBatch()
		for i := range n {
			if err := wb.Set(fmt.Appendf(nil, "key%08d", i), val); err != nil {
				b.Fatal(err)
			}
		}
		if err := wb.Flush(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}
