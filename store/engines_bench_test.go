package store

import (
	"context"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/internal/pgtest"
	"github.com/scv-go/scv/store/engine/postgres"
)

// BenchmarkIngestEngines ingests the same records into the store on
// Badger (on disk, synced commits) and on PostgreSQL, in one run, one
// process each; on PostgreSQL it also reports the round trips to the
// server per record, where its time goes.
func BenchmarkIngestEngines(b *testing.B) {
	const n = 5000
	recs := synth(n)
	ctx := context.Background()
	forEngine := func(b *testing.B, open func(b *testing.B) (*Store, func() int64)) {
		var trips int64
		for b.Loop() {
			b.StopTimer()
			s, count := open(b)
			before := count()
			b.StartTimer()
			if _, err := s.IngestAll(ctx, slices2seq(recs), IngestOptions{}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			trips += count() - before
			s.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		b.ReportMetric(float64(trips)/float64(b.N*n), "trips/record")
	}
	b.Run("badger", func(b *testing.B) {
		forEngine(b, func(b *testing.B) (*Store, func() int64) {
			return openTestStore(b, b.TempDir(), crypto.GenerateRootKey()), func() int64 { return 0 }
		})
	})
	b.Run("postgres", func(b *testing.B) {
		forEngine(b, func(b *testing.B) (*Store, func() int64) {
			db, err := postgres.Open(ctx, pgtest.URL(b))
			if err != nil {
				b.Fatal(err)
			}
			root := crypto.GenerateRootKey()
			s, err := OpenKV(ctx, db, root, Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }})
			if err != nil {
				b.Fatal(err)
			}
			return s, db.RoundTrips
		})
	})
}
