package store

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/merge"
)

// shared hides Badger's Exclusive, as an engine shared between processes
// would: the store then ingests batch by batch with conflict retries.
type shared struct{ KV }

// canonical returns the store's profiles without their random ids, keyed
// by their sorted record keys.
func canonical(t *testing.T, s *Store) map[string]*merge.Profile {
	t.Helper()
	out := map[string]*merge.Profile{}
	err := s.Snapshot(context.Background(), func(p *merge.Profile) error {
		var keys []string
		for _, k := range p.Keys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		q := p.Clone()
		q.ID = ""
		out[strings.Join(keys, " ")] = q
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPipelinedIngestMatchesTransactional: the pipelined ingest gives the
// profiles and summary of the batch-by-batch one, whether it loads its
// filter of existing keys before the first batch, part way, or never.
func TestPipelinedIngestMatchesTransactional(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	b, err := OpenBadger(BadgerOptions{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := OpenKV(ctx, shared{b}, root, Options{Clock: func() time.Time { return asOf }})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	// Tiny batches: many batches per snapshot segment, and several
	// segments, so that records of one person land in different batches.
	opts := IngestOptions{BatchSize: 3}
	sumT, err := plain.IngestAll(ctx, fixtures(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := canonical(t, plain)
	if len(want) != fixtureProfiles {
		t.Fatalf("%d profiles, want %d", len(want), fixtureProfiles)
	}
	mustVerify(t, plain)
	for _, tc := range []struct {
		name   string
		after  int
		loaded bool
	}{
		{"filter from the start", 0, true},
		{"filter from the third segment", 2 * segmentBatches * opts.BatchSize, true},
		{"no filter", math.MaxInt, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			piped := openTestStore(t, "", root)
			piped.absentAfter = tc.after
			var progress []int
			opts := opts
			opts.Progress = func(s Summary) { progress = append(progress, s.Read) }
			sumP, err := piped.IngestAll(ctx, fixtures(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sumT, sumP); diff != "" {
				t.Errorf("summaries differ (-transactional +pipelined):\n%s", diff)
			}
			if len(progress) < 40 || !slices.IsSorted(progress) || progress[len(progress)-1] != sumP.Read {
				t.Errorf("progress %v: want one report per batch, rising to %d", progress, sumP.Read)
			}
			if diff := cmp.Diff(want, canonical(t, piped)); diff != "" {
				t.Fatalf("profiles differ (-transactional +pipelined):\n%s", diff)
			}
			if loaded := piped.absentLoads.Load() == 1; loaded != tc.loaded {
				t.Errorf("the filter was loaded %d times, want it loaded: %v", piped.absentLoads.Load(), tc.loaded)
			}
			mustVerify(t, piped)
		})
	}
}

// TestFilterOnlyForLargeCalls: a call of a few records does not scan the
// store's keys into the filter of existing keys, nor does a call that ends
// as it reaches defaultAbsentAfter records; a call with more loads it once,
// whatever its batch size.
func TestFilterOnlyForLargeCalls(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	start := 0
	for i, call := range []struct{ n, batch, loads int }{
		{100, 0, 0},
		{defaultAbsentAfter, 0, 0},
		{defaultAbsentAfter + 2*DefaultBatchSize, 0, 1},
		{100, 0, 1},
		{defaultAbsentAfter + 1, 4 * DefaultBatchSize, 2}, // segments of 16 such batches would never reach it
	} {
		sum, err := s.IngestAll(ctx, slices2seq(synthFrom(start, call.n)), IngestOptions{BatchSize: call.batch})
		start += call.n
		if err != nil || sum.Accepted != call.n {
			t.Fatalf("call %d: accepted %d of %d: %v", i, sum.Accepted, call.n, err)
		}
		if got := s.absentLoads.Load(); got != int64(call.loads) {
			t.Errorf("after call %d (%d records in batches of %d): %d filter loads, want %d", i, call.n, call.batch, got, call.loads)
		}
	}
	mustVerify(t, s)
}
