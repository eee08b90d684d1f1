package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"math/rand/v2"
	"testing"

	"github.com/scv-go/scv/crypto"
	gen "github.com/scv-go/scv/internal/workload"
)

var bulkN = flag.Int("bulk.n", 20_000, "records of BenchmarkBulkLoad's workload")

// BenchmarkBulkLoad compares, in one run, loading the workload of
// cmd/scvbench (N records of nine native files, decoded from memory)
// into an empty store with BulkLoad, with IngestAll file by file as
// "scv import" does, and Badger alone writing as many bytes per record
// as the bulk-loaded store holds: records/s of each, and the ratios.
func BenchmarkBulkLoad(b *testing.B) {
	n := *bulkN
	in := workloadInput(b, gen.Config{Records: n, Seed: 1})
	ctx := context.Background()
	rate := map[string]float64{}
	var perRecord int
	run := func(name string, load func(s *Store) error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				s := openTestStore(b, b.TempDir(), crypto.GenerateRootKey())
				b.StartTimer()
				if err := load(s); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				perRecord = storedBytes(b, s) / n
				s.Close()
				b.StartTimer()
			}
			rate[name] = float64(b.N*n) / b.Elapsed().Seconds()
			b.ReportMetric(rate[name], "records/s")
			b.ReportMetric(float64(perRecord), "bytes/record")
		})
	}
	run("ingest", func(s *Store) error {
		for _, src := range in.sources() {
			if _, err := s.IngestAll(ctx, src.Records, IngestOptions{File: src.File}); err != nil {
				return err
			}
		}
		return nil
	})
	run("bulk", func(s *Store) error {
		_, err := s.BulkLoad(ctx, in.sources(), BulkOptions{})
		return err
	})
	b.Run("badger", func(b *testing.B) {
		benchRawBadger(b, n, perRecord)
		rate["badger"] = float64(b.N*n) / b.Elapsed().Seconds()
		b.ReportMetric(rate["badger"], "records/s")
	})
	if rate["badger"] > 0 {
		b.Logf("N=%d: bulk/ingest %.2f, bulk/badger %.3f, ingest/badger %.3f", n,
			rate["bulk"]/rate["ingest"], rate["bulk"]/rate["badger"], rate["ingest"]/rate["badger"])
	}
}

// BenchmarkMergeOps merges a thousand sorted lists of writes, as the
// write of a bulk load of 10,000,000 records merges its runs.
func BenchmarkMergeOps(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	lists := make([][]writeOp, 1000)
	for i := range lists {
		ops := make([]writeOp, 200)
		for j := range ops {
			ops[j] = writeOp{key: binary.BigEndian.AppendUint64([]byte{nsProfile}, rng.Uint64())}
		}
		lists[i] = lastWrites(ops)
	}
	b.ReportAllocs()
	for b.Loop() {
		cursors := make([]*opCursor, len(lists))
		for i, ops := range lists {
			cursors[i] = &opCursor{prio: i, ops: ops}
		}
		n, sorted := 0, true
		var last []byte
		if err := mergeOps(cursors, false, func(op writeOp) bool {
			sorted = sorted && bytes.Compare(last, op.key) < 0
			last = op.key
			n++
			return true
		}); err != nil || n != 200_000 || !sorted {
			b.Fatalf("merged %d writes, in order %v: %v", n, sorted, err)
		}
	}
}
