package store

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/merge"
)

// engineDigest is a digest of every key and value in the engine.
func engineDigest(t *testing.T, s *Store) [32]byte {
	t.Helper()
	h := sha256.New()
	err := s.kv.View(context.Background(), func(tx Txn) error {
		for e, err := range tx.Scan(nil, nil, false) {
			if err != nil {
				return err
			}
			h.Write(e.Key)
			h.Write([]byte{0})
			h.Write(e.Value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// stageIDs lists, per stage, the ids a listing yields, sorted (a listing
// as of another time orders by stored stage first).
func stageIDs(t *testing.T, s *Store, f Filter) map[merge.Stage][]string {
	t.Helper()
	out := map[merge.Stage][]string{}
	for _, stage := range merge.Stages {
		for pg, err := range s.ByStage(context.Background(), stage, f) {
			if err != nil {
				t.Fatal(err)
			}
			if pg.Profile.Stage != stage {
				t.Errorf("ByStage(%s) yielded a profile in stage %s", stage, pg.Profile.Stage)
			}
			out[stage] = append(out[stage], pg.Profile.ID)
		}
		slices.Sort(out[stage])
	}
	return out
}

// TestReadsAsOfNeverWrite reads the fixtures as of a later and an earlier
// day than they were computed for: the answers are those a refresh to
// that day gives, and the engine's contents do not change by a byte (no
// stored stage, no feed event).
func TestReadsAsOfNeverWrite(t *testing.T) {
	for _, when := range []time.Time{asOf.AddDate(1, 6, 0), asOf.AddDate(0, -8, 0)} {
		t.Run(when.Format(time.DateOnly), func(t *testing.T) {
			ctx := context.Background()
			s := openTestStore(t, "", crypto.GenerateRootKey())
			if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			before := engineDigest(t, s)
			stats, err := s.StatsAsOf(ctx, when)
			if err != nil {
				t.Fatal(err)
			}
			lists := stageIDs(t, s, Filter{AsOf: when})
			risky := map[merge.Risk]int{}
			for _, r := range merge.Risks {
				for _, err := range s.All(ctx, Filter{AsOf: when, Risk: r}) {
					if err != nil {
						t.Fatal(err)
					}
					risky[r]++
				}
			}
			p, err := s.ByIdentifier(ctx, phoneID(t, "13912345601"))
			if err != nil {
				t.Fatal(err)
			}
			q, err := s.AsOf(p, when)
			if err != nil {
				t.Fatal(err)
			}
			if engineDigest(t, s) != before {
				t.Fatal("reads as of another day changed the engine's contents")
			}

			// The answers are what the stored stages say once refreshed.
			if _, err := s.Refresh(ctx, when); err != nil {
				t.Fatal(err)
			}
			if engineDigest(t, s) == before {
				t.Fatal("the refresh changed nothing: the day tests nothing")
			}
			want, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, stats); diff != "" {
				t.Errorf("StatsAsOf (-refreshed +as of):\n%s", diff)
			}
			if diff := cmp.Diff(stageIDs(t, s, Filter{}), lists); diff != "" {
				t.Errorf("ByStage with AsOf (-refreshed +as of):\n%s", diff)
			}
			for r, n := range risky {
				if n != want.Risks[r] {
					t.Errorf("All with AsOf and risk %s: %d profiles, refreshed %d", r, n, want.Risks[r])
				}
			}
			stored, err := s.ByID(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(stored, q); diff != "" {
				t.Errorf("AsOf (-refreshed +as of):\n%s", diff)
			}
		})
	}
}
