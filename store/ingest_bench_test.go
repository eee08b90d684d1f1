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
func synth(n int) []identity.Record {
	recs := make([]identity.Record, n)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		person := i / 2
		at := base.Add(time.Duration(i) * time.Second)
		recs[i] = identity.Record{
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
		rawNS = float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
		b.ReportMetric(rawNS, "ns/record")
	})
	if storeNS > 0 {
		b.ReportMetric(rawNS/storeNS, "store/badger-rate")
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
