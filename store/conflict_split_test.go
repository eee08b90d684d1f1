package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
)

// conflictingKV is an engine whose transactions conflict, every time,
// when they write more than limit keys: what several processes writing
// one shared database do to a large batch.
type conflictingKV struct {
	KV
	limit int
}

func (c conflictingKV) Update(ctx context.Context, fn func(Txn) error) error {
	return c.KV.Update(ctx, func(tx Txn) error {
		ct := &countingTxn{Txn: tx}
		if err := fn(ct); err != nil {
			return err
		}
		if ct.sets > c.limit {
			return fmt.Errorf("test: %d writes: %w", ct.sets, ErrConflict)
		}
		return nil
	})
}

type countingTxn struct {
	Txn
	sets int
}

func (t *countingTxn) Set(k, v []byte) error { t.sets++; return t.Txn.Set(k, v) }

// TestIngestAllSplitsConflictingBatches ingests the fixtures on an engine
// where a batch of many records always conflicts: IngestAll splits it
// down to batches that commit and loses nothing. Before, it returned the
// conflict after its retries, as one of scvbench's four PostgreSQL
// processes did in CI.
func TestIngestAllSplitsConflictingBatches(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	b, err := OpenBadger(BadgerOptions{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenKV(ctx, conflictingKV{KV: b, limit: 400}, root, Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }, NoAtRestEncryption: true})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := s.IngestAll(ctx, fixtures(t), IngestOptions{BatchSize: 512})
	if err != nil {
		t.Fatalf("IngestAll on a conflicting engine: %v", err)
	}
	q := 0
	for _, n := range sum.Quarantined {
		q += n
	}
	if sum.Read != sum.Accepted+q || sum.Accepted == 0 {
		t.Errorf("summary %+v does not reconcile", sum)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Profiles != fixtureProfiles {
		t.Errorf("%d profiles, want the fixtures' %d", st.Profiles, fixtureProfiles)
	}
	mustVerify(t, s)
}
