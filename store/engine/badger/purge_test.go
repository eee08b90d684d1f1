package badger

import (
	"context"
	"fmt"
	"testing"

	bdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/y"
	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/store/engine"
)

// TestPurgeGroupsByTable checks that Purge asks DropPrefix for the
// prefixes of one table of the deepest level at a time, sorted and each
// once: one call for all of them compared every key of every table they
// touch with every prefix (25 s of the erasure of a receiver of 10,000
// buyers in a database of 1,000,000 records, 10 s in all after).
func TestPurgeGroupsByTable(t *testing.T) {
	kts := func(k string) []byte { return y.KeyWithTs([]byte(k), 7) }
	tables := []bdb.TableInfo{
		{Level: 6, Left: kts("Kg"), Right: kts("Km")},
		{Level: 6, Left: kts("Ka"), Right: kts("Kf")},
		{Level: 3, Left: kts("Ka"), Right: kts("Kz")}, // not the deepest
		{Level: 6, Left: kts("Kn"), Right: kts("Kt")},
	}
	b := func(ss ...string) [][]byte {
		out := make([][]byte, len(ss))
		for i, s := range ss {
			out[i] = []byte(s)
		}
		return out
	}
	got := purgeGroups(b("Kh1", "Kb1", "Kz", "Kb2", "Kb1", "Km", "Kp", "A"), tables)
	want := [][][]byte{b("A", "Kb1", "Kb2"), b("Kh1", "Km"), b("Kp"), b("Kz")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	// No tables: one group, as before.
	if got := purgeGroups(b("Kb", "Ka"), nil); !cmp.Equal(got, [][][]byte{b("Ka", "Kb")}) {
		t.Errorf("groups without tables: %q, want one", got)
	}
}

// TestPurgeAcrossTables purges keys spread over several tables of a
// bulk-written database, a DropPrefix call for each table's, and checks
// that none is left and every other key is.
func TestPurgeAcrossTables(t *testing.T) {
	// Values in the tables, 40 MB of them: tables of 16 MiB.
	db, err := Open(Options{Dir: t.TempDir(), NoSync: true, ValueThreshold: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	const n = 100_000
	value := make([]byte, 400)
	err = db.BulkWrite(ctx, func(yield func(engine.Entry, error) bool) {
		for i := range n {
			if !yield(engine.Entry{Key: fmt.Appendf(nil, "K%08d", i), Value: value}, nil) {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var purge [][]byte
	for i := 0; i < n; i += 97 {
		purge = append(purge, fmt.Appendf(nil, "K%08d", i))
	}
	groups := purgeGroups(purge, db.db.Tables())
	if len(groups) < 2 {
		t.Fatalf("%d tables, %d groups: the test wants the keys over several tables", len(db.db.Tables()), len(groups))
	}
	if err := db.Purge(ctx, purge...); err != nil {
		t.Fatal(err)
	}
	got := contents(t, db)
	if len(got) != n-len(purge) {
		t.Errorf("%d keys after purging %d of %d", len(got), len(purge), n)
	}
	for _, k := range purge {
		if _, ok := got[string(k)]; ok {
			t.Errorf("key %s is left after its purge", k)
		}
	}
	t.Logf("%d keys purged in %d calls", len(purge), len(groups))
}
