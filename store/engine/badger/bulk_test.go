package badger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bdb "github.com/dgraph-io/badger/v4"

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

// TestBulkWriteReopens checks that BulkWrite streams into the database
// opened with bulkOptions (small tables and memtable, so that the
// StreamWriter holds little memory), opens it with its own options again
// after, and that reads running meanwhile wait and never fail: before,
// two readers beside the StreamWriter deadlocked it in Badger's oracle.
func TestBulkWriteReopens(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, NoSync: true}
	db, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	ctx := context.Background()
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads atomic.Int64
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := db.View(ctx, func(tx engine.Txn) error {
					for _, err := range tx.Scan(nil, nil, true) {
						if err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Errorf("a read during BulkWrite: %v", err)
					return
				}
				reads.Add(1)
			}
		})
	}
	var during bdb.Options
	value := make([]byte, 500)
	err = db.BulkWrite(ctx, func(yield func(engine.Entry, error) bool) {
		during = db.db.Opts()
		for i := range 5_000 {
			if !yield(engine.Entry{Key: fmt.Appendf(nil, "P%08d", i), Value: value}, nil) {
				return
			}
		}
	})
	close(stop)
	readers.Wait()
	if err != nil {
		t.Fatalf("BulkWrite: %v", err)
	}
	bulk, normal := o.bulkOptions(), o.Options()
	if during.BaseTableSize != bulk.BaseTableSize || during.MemTableSize != bulk.MemTableSize {
		t.Errorf("while streaming: tables of %d bytes, memtable of %d; want %d and %d", during.BaseTableSize, during.MemTableSize, bulk.BaseTableSize, bulk.MemTableSize)
	}
	if after := db.db.Opts(); after.BaseTableSize != normal.BaseTableSize || after.MemTableSize != normal.MemTableSize {
		t.Errorf("after: tables of %d bytes, memtable of %d; want %d and %d", after.BaseTableSize, after.MemTableSize, normal.BaseTableSize, normal.MemTableSize)
	}
	if n := len(contents(t, db)); n != 5_000 {
		t.Errorf("%d pairs after BulkWrite, want 5000", n)
	}
	t.Logf("%d reads while BulkWrite ran (they wait for it)", reads.Load())
	// A closed database is not opened again by a bulk write.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	err = db.BulkWrite(ctx, func(yield func(engine.Entry, error) bool) {})
	if !errors.Is(err, bdb.ErrDBClosed) || !db.db.IsClosed() {
		t.Errorf("BulkWrite after Close: %v, database closed %v; want ErrDBClosed and closed", err, db.db.IsClosed())
	}
}

// TestNotifyAcrossBulkWrite checks that Notify, subscribed before a
// BulkWrite replaces the database, tells of writes to the new one.
func TestNotifyAcrossBulkWrite(t *testing.T) {
	db, err := Open(Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	told := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- db.Notify(ctx, []byte("E"), func() {
			select {
			case told <- struct{}{}:
			default:
			}
		})
	}()
	// Write until told: Notify subscribes on a goroutine of its own, and
	// the bulk write must replace a database it is subscribed to.
	writeUntilTold := func(when string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for i := 0; ; i++ {
			if err := db.Update(ctx, func(tx engine.Txn) error { return tx.Set(fmt.Appendf(nil, "E%s%d", when, i), []byte("x")) }); err != nil {
				t.Fatal(err)
			}
			select {
			case <-told:
				return
			case err := <-done:
				t.Fatalf("Notify returned %v %s BulkWrite replaced the database", err, when)
			case <-deadline:
				t.Fatalf("no notification of a write %s BulkWrite replaced the database", when)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	writeUntilTold("before")
	err = db.BulkWrite(ctx, func(yield func(engine.Entry, error) bool) {
		yield(engine.Entry{Key: []byte("P1"), Value: []byte("v")}, nil)
	})
	if err != nil {
		t.Fatalf("BulkWrite: %v", err)
	}
	// Closing the old database waited for its subscription to end: a
	// notification of the writes before may wait in told, and must not
	// count as one of the new database's.
	select {
	case <-told:
	default:
	}
	writeUntilTold("after")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Notify: %v", err)
	}
}
