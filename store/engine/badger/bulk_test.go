package badger

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/store/engine"
)

// contents reads every pair of db.
func contents(t *testing.T, db *DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.View(context.Background(), func(tx engine.Txn) error {
		for e, err := range tx.Scan(nil, nil, false) {
			if err != nil {
				return err
			}
			out[string(e.Key)] = string(e.Value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBulkWrite checks that BulkWrite replaces the contents with the
// pairs when it completes, and leaves them as they were when it is
// cancelled (after the StreamWriter has written tables) or the pairs are
// out of order.
func TestBulkWrite(t *testing.T) {
	value := make([]byte, 1000) // 24,000 pairs: more than one buffer, values in the log
	pairs := func(n int, cancelAt int, cancel context.CancelFunc, swap bool) func(func(engine.Entry, error) bool) {
		return func(yield func(engine.Entry, error) bool) {
			for i := range n {
				k := fmt.Sprintf("P%08d", i)
				if swap && i == n-1 {
					k = "P0"
				}
				if i == cancelAt {
					cancel()
				}
				if !yield(engine.Entry{Key: []byte(k), Value: value}, nil) {
					return
				}
			}
		}
	}
	cases := []struct {
		name     string
		cancelAt int
		swap     bool
		wantErr  error
	}{
		{"complete", -1, false, nil},
		{"cancelled", 23_000, false, context.Canceled},
		{"out of order", -1, true, errors.New("keys not in ascending order")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := Open(Options{Dir: dir, NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { db.Close() }()
			before := map[string]string{"Mkeyring": "state", "Mschema": "4"}
			if err := db.Update(context.Background(), func(tx engine.Txn) error {
				for k, v := range before {
					if err := tx.Set([]byte(k), []byte(v)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err = db.BulkWrite(ctx, pairs(24_000, tc.cancelAt, cancel, tc.swap))
			if (err == nil) != (tc.wantErr == nil) || tc.wantErr == context.Canceled && !errors.Is(err, context.Canceled) {
				t.Fatalf("BulkWrite: %v, want %v", err, tc.wantErr)
			}
			want := before
			if tc.wantErr == nil {
				want = map[string]string{}
				for e := range pairs(24_000, -1, nil, false) {
					want[string(e.Key)] = string(e.Value)
				}
			}
			check := func(db *DB) {
				t.Helper()
				got := contents(t, db)
				if len(got) != len(want) {
					t.Fatalf("%d pairs, want %d", len(got), len(want))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("contents (-want +got):\n%s", diff)
				}
			}
			check(db)
			// What BulkWrite left survives a reopen, and takes writes.
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if db, err = Open(Options{Dir: dir, NoSync: true}); err != nil {
				t.Fatal(err)
			}
			check(db)
			if err := db.Update(context.Background(), func(tx engine.Txn) error { return tx.Set([]byte("Z"), []byte("z")) }); err != nil {
				t.Fatal(err)
			}
			if got := contents(t, db)["Z"]; got != "z" {
				t.Errorf("a write after the bulk write reads back %q", got)
			}
		})
	}
}
