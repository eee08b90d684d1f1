package store

import (
	"context"
	"slices"
	"strings"
	"testing"

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

func TestPipelinedIngestMatchesTransactional(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	piped := openTestStore(t, "", root)
	b, err := OpenBadger(BadgerOptions{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := OpenKV(ctx, shared{b}, root, Options{Clock: piped.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	// Tiny batches: many batches per snapshot segment, and several
	// segments, so that records of one person land in different batches.
	opts := IngestOptions{BatchSize: 3}
	var progress []int
	opts.Progress = func(s Summary) { progress = append(progress, s.Read) }
	sumP, err := piped.IngestAll(ctx, fixtures(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Progress = nil
	sumT, err := plain.IngestAll(ctx, fixtures(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sumT, sumP); diff != "" {
		t.Errorf("summaries differ (-transactional +pipelined):\n%s", diff)
	}
	if len(progress) < 40 || !slices.IsSorted(progress) || progress[len(progress)-1] != sumP.Read {
		t.Errorf("progress %v: want one report per batch, rising to %d", progress, sumP.Read)
	}
	want, got := canonical(t, plain), canonical(t, piped)
	if len(want) != 40 {
		t.Fatalf("%d profiles, want the 40 of the cast", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("profiles differ (-transactional +pipelined):\n%s", diff)
	}
	mustVerify(t, piped)
	mustVerify(t, plain)
}
