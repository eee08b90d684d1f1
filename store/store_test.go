package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/merge"
)

func TestIngestFixturesTwice(t *testing.T) { forEachEngine(t, inMemory, testIngestFixturesTwice) }

func testIngestFixturesTwice(t *testing.T, e testEngine) {
	ctx := context.Background()
	s := openTestStore(t, e.dir(t), crypto.GenerateRootKey())
	sum, err := s.IngestAll(ctx, fixtures(t), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q := 0
	for _, n := range sum.Quarantined {
		q += n
	}
	if sum.Read != sum.Accepted+q {
		t.Fatalf("read %d != accepted %d + quarantined %d", sum.Read, sum.Accepted, q)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary %+v", sum)
	t.Logf("stats %+v", st)
	again, err := s.IngestAll(ctx, fixtures(t), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Every record is unchanged, or an older version of one that adds
	// nothing (the fixtures hold trades seen twice): stale.
	if again.Unchanged+again.Stale != again.Accepted || again.Updated != 0 || again.ProfilesCreated != 0 || again.ProfilesMerged != 0 {
		t.Fatalf("second import changed something: %+v", again)
	}
	st2, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Profiles != st.Profiles || st2.Records != st.Records || st2.Quarantined != st.Quarantined {
		t.Fatalf("stats changed on re-import: %+v -> %+v", st, st2)
	}
}

func mustVerify(t *testing.T, s *Store) *Report {
	t.Helper()
	r, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("Verify found problems: %v", r.Problems)
	}
	return r
}

func TestVerifyFindsDamage(t *testing.T) { forEachEngine(t, inMemory, testVerifyFindsDamage) }

func testVerifyFindsDamage(t *testing.T, e testEngine) {
	ctx := context.Background()
	s := openTestStore(t, e.dir(t), crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	r := mustVerify(t, s)
	st, _ := s.Stats(ctx)
	if r.Profiles != st.Profiles || r.Records != st.Records || r.Quarantined != st.Quarantined {
		t.Fatalf("Verify counts %+v disagree with Stats %+v", r, st)
	}
	// Damage the store in ways a bug could, one at a time, and check that
	// Verify reports each.
	for _, tc := range []struct {
		name string
		ns   byte
		do   func(tx Txn, k []byte) error
	}{
		{name: "lost identifier entry", ns: nsIdentifier, do: func(tx Txn, k []byte) error { return tx.Delete(k) }},
		{name: "lost record entry", ns: nsRecord, do: func(tx Txn, k []byte) error { return tx.Delete(k) }},
		{name: "lost stage entry", ns: nsStage, do: func(tx Txn, k []byte) error { return tx.Delete(k) }},
		{name: "tampered profile", ns: nsProfile, do: func(tx Txn, k []byte) error {
			v, err := tx.Get(k)
			if err != nil {
				return err
			}
			v[len(v)-1] ^= 1
			return tx.Set(k, v)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var undoKey, undoVal []byte
			err := s.kv.Update(ctx, func(tx Txn) error {
				for e, err := range tx.Scan([]byte{tc.ns}, nil, false) {
					if err != nil {
						return err
					}
					undoKey, undoVal = append([]byte(nil), e.Key...), append([]byte(nil), e.Value...)
					break
				}
				return tc.do(tx, undoKey)
			})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() {
				t.Fatal("Verify found nothing")
			}
			t.Logf("found: %v", r.Problems[0])
			if err := s.kv.Update(ctx, func(tx Txn) error { return tx.Set(undoKey, undoVal) }); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, s)
		})
	}
}

// TestVerifyFindsStrayEntries: entries no profile reaches are found by
// Verify's counts and then named, each by its key.
func TestVerifyFindsStrayEntries(t *testing.T) {
	ctx := context.Background()
	// first returns the first entry of a namespace whose value passes ok.
	first := func(tx Txn, ns byte, ok func(v []byte) bool) (k, v []byte, err error) {
		for e, err := range tx.Scan([]byte{ns}, nil, false) {
			if err != nil {
				return nil, nil, err
			}
			if ok(e.Value) {
				return bytes.Clone(e.Key), bytes.Clone(e.Value), nil
			}
		}
		return nil, nil, fmt.Errorf("no entry in namespace %c", ns)
	}
	anyValue := func([]byte) bool { return true }
	// strayRecord copies a record entry under a tag no profile lists,
	// deleting the original if lose.
	strayRecord := func(tx Txn, lose bool) (string, error) {
		k, v, err := first(tx, nsRecord, func(v []byte) bool { return !isTombstone(v) })
		if err != nil {
			return "", err
		}
		if lose {
			if err := tx.Delete(k); err != nil {
				return "", err
			}
		}
		tag := bytes.Repeat([]byte{0xab}, len(k)-1)
		return fmt.Sprintf("R %x: held by", tag), tx.Set(recordKey(tag), v)
	}
	// strayIdentifier makes an identifier entry of one profile name
	// another, besides it or, if instead, in its place.
	strayIdentifier := func(tx Txn, pids []ProfileID, instead bool) (string, error) {
		k, v, err := first(tx, nsIdentifier, func(v []byte) bool { return len(v) == 1+ProfileIDSize })
		if err != nil {
			return "", err
		}
		hub, ids, err := decodeIndexValue(v)
		if err != nil {
			return "", err
		}
		other := pids[0]
		if other == ids[0] {
			other = pids[1]
		}
		if instead {
			ids = ids[:0]
		}
		return fmt.Sprintf("I %x: points at %v", k[1:], other), tx.Set(k, encodeIndexValue(hub, append(ids, other)))
	}
	for _, tc := range []struct {
		name string
		// damage writes a stray entry and returns what Verify must say.
		damage func(tx Txn, pids []ProfileID) (want string, err error)
	}{
		{"record entry held by a profile that does not list it", func(tx Txn, _ []ProfileID) (string, error) {
			return strayRecord(tx, false)
		}},
		{"identifier entry naming a profile that does not list it", func(tx Txn, pids []ProfileID) (string, error) {
			return strayIdentifier(tx, pids, false)
		}},
		// A missing entry beside the stray one: the counts alone balance.
		{"record entry lost and a stray one", func(tx Txn, _ []ProfileID) (string, error) {
			return strayRecord(tx, true)
		}},
		{"identifier entry naming another profile instead", func(tx Txn, pids []ProfileID) (string, error) {
			return strayIdentifier(tx, pids, true)
		}},
		{"stage entry under another stage", func(tx Txn, _ []ProfileID) (string, error) {
			k, v, err := first(tx, nsStage, anyValue)
			if err != nil {
				return "", err
			}
			pid, err := profileIDFrom(k[2:])
			if err != nil {
				return "", err
			}
			other := stageCode(merge.StageAdvocate)
			if other == k[1] {
				other = stageCode(merge.StagePotential)
			}
			return fmt.Sprintf("S: profile %v indexed under stage %d", pid, other), tx.Set(stageKey(other, pid), v)
		}},
		{"data key without its profile", func(tx Txn, _ []ProfileID) (string, error) {
			_, v, err := first(tx, nsDataKey, anyValue)
			if err != nil {
				return "", err
			}
			stray := NewProfileID()
			return fmt.Sprintf("K %x: a data key without its profile", stray[:]), tx.Set(dataKeyKey(stray), v)
		}},
		{"forward from a live profile", func(tx Txn, pids []ProfileID) (string, error) {
			return fmt.Sprintf("F %v: forwarded id is also a live profile", pids[0]), tx.Set(forwardKey(pids[0]), pids[1][:])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t, "", crypto.GenerateRootKey())
			if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, s)
			var want string
			if err := s.kv.Update(ctx, func(tx Txn) error {
				var pids []ProfileID
				for e, err := range tx.Scan([]byte{nsProfile}, nil, true) {
					if err != nil {
						return err
					}
					pid, err := profileIDFrom(e.Key[1:])
					if err != nil {
						return err
					}
					pids = append(pids, pid)
				}
				if len(pids) < 2 {
					return fmt.Errorf("the fixtures make %d profiles, want two or more", len(pids))
				}
				var err error
				want, err = tc.damage(tx, pids)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			r, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(r.Problems, func(p string) bool { return strings.Contains(p, want) }) {
				t.Errorf("Verify did not say %q; it said %q", want, r.Problems)
			}
		})
	}
}

func TestListPagesResume(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	var all []string
	for p, err := range s.All(ctx, Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Profile.ID)
	}
	var paged []string
	after := ""
	for {
		n := 0
		for p, err := range s.All(ctx, Filter{Limit: 7, After: after}) {
			if err != nil {
				t.Fatal(err)
			}
			paged = append(paged, p.Profile.ID)
			after = p.Cursor
			n++
		}
		if n < 7 {
			break
		}
	}
	if len(all) != fixtureProfiles || strings.Join(all, ",") != strings.Join(paged, ",") {
		t.Fatalf("pages of 7 gave %d profiles, one listing %d; or a different order", len(paged), len(all))
	}
	// Filters: every profile listed with a risk has that risk.
	for p, err := range s.All(ctx, Filter{Risk: merge.RiskAtRisk}) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Profile.Risk != merge.RiskAtRisk {
			t.Fatalf("risk filter listed a profile at %s", p.Profile.Risk)
		}
	}
}

func TestRefresh(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Stats(ctx)
	sum, err := s.Refresh(ctx, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Profiles != before.Profiles || sum.Refreshed != 0 {
		t.Fatalf("refresh as of the ingest time: %+v, want all %d profiles read and none due", sum, before.Profiles)
	}
	later := asOf.AddDate(2, 0, 0)
	sum, err = s.Refresh(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := s.Stats(ctx)
	if sum.Refreshed == 0 || sum.Changed == 0 || after.Stages[merge.StageLoyal] != 0 || after.Risks[merge.RiskActive] != 0 {
		t.Fatalf("two years later: %+v, stages %v, risks %v; want the loyal customer gone and nobody active", sum, after.Stages, after.Risks)
	}
	mustVerify(t, s)
	// Back to the ingest time: the profiles refreshed for the later time
	// are due again (the others never changed), and the stages come back.
	refreshed := sum.Refreshed
	sum, err = s.Refresh(ctx, asOf)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.Stats(ctx)
	if sum.Refreshed != refreshed {
		t.Fatalf("back to the ingest time: refreshed %d, want the %d refreshed before", sum.Refreshed, refreshed)
	}
	if !maps.Equal(again.Stages, before.Stages) || !maps.Equal(again.Risks, before.Risks) {
		t.Fatalf("stages %v risks %v after the round trip, want %v %v", again.Stages, again.Risks, before.Stages, before.Risks)
	}
}

// TestListManyPages lists more profiles than fit in three pages, whole,
// with a limit that ends inside a page, and stopped early: each must give
// the profiles of the whole listing in its order, and an early stop must
// leave no page read running.
func TestListManyPages(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	w := newWorkload(3, 1800)
	if _, err := s.IngestAll(ctx, records(w.versions), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	seen := map[string]bool{}
	for p, err := range s.All(ctx, Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.Profile.ID] {
			t.Fatalf("profile %s listed twice", p.Profile.ID)
		}
		seen[p.Profile.ID] = true
		all = append(all, p.Profile.ID)
	}
	if len(all) != st.Profiles || len(all) <= 3*pageSize {
		t.Fatalf("listed %d profiles, Stats counts %d; the test needs more than %d", len(all), st.Profiles, 3*pageSize)
	}
	limit := 2*pageSize + 77
	var limited []string
	for p, err := range s.All(ctx, Filter{Limit: limit}) {
		if err != nil {
			t.Fatal(err)
		}
		limited = append(limited, p.Profile.ID)
	}
	if !slices.Equal(limited, all[:limit]) {
		t.Fatalf("Limit %d listed %d profiles, or others than the first %d", limit, len(limited), limit)
	}
	before := runtime.NumGoroutine()
	n := 0
	for _, err := range s.All(ctx, Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == pageSize+3 { // the next page is being read
			break
		}
	}
	// A page read that has delivered its page may take a moment to exit;
	// one that never returns would stay.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if after > before {
		t.Fatalf("%d goroutines after stopping a listing early, %d before", after, before)
	}
}
