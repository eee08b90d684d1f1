package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/internal/pgtest"
	"github.com/scv-go/scv/store/engine"
	"github.com/scv-go/scv/store/engine/badger"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func put(t *testing.T, kv engine.KV, pairs ...string) {
	t.Helper()
	err := kv.Update(context.Background(), func(tx engine.Txn) error {
		for i := 0; i < len(pairs); i += 2 {
			if err := tx.Set([]byte(pairs[i]), []byte(pairs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func scan(t *testing.T, kv engine.KV, prefix, start string) []string {
	t.Helper()
	var got []string
	err := kv.View(context.Background(), func(tx engine.Txn) error {
		var s []byte
		if start != "" {
			s = []byte(start)
		}
		for e, err := range tx.Scan([]byte(prefix), s, false) {
			if err != nil {
				return err
			}
			got = append(got, string(e.Key)+"="+string(e.Value))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestScanRanges(t *testing.T) {
	db := openTest(t)
	put(t, db, "a1", "1", "a2", "2", "a\xff", "ff", "b1", "3", "\xff\xff", "x")
	for _, tc := range []struct {
		name, prefix, start string
		want                []string
	}{
		{"prefix", "a", "", []string{"a1=1", "a2=2", "a\xff=ff"}},
		{"start", "a", "a2", []string{"a2=2", "a\xff=ff"}},
		{"all ff", "\xff", "", []string{"\xff\xff=x"}},
		{"none", "c", "", nil},
		{"all", "", "", []string{"a1=1", "a2=2", "a\xff=ff", "b1=3", "\xff\xff=x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, scan(t, db, tc.prefix, tc.start)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestScanPages scans more keys than one page holds, deleting as it goes,
// as the feed's publisher does.
func TestScanPages(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var pairs []string
	for i := range 1000 {
		pairs = append(pairs, fmt.Sprintf("k%04d", i), "v")
	}
	put(t, db, pairs...)
	n := 0
	err := db.Update(ctx, func(tx engine.Txn) error {
		n = 0
		for e, err := range tx.Scan([]byte("k"), nil, true) {
			if err != nil {
				return err
			}
			if want := fmt.Sprintf("k%04d", n); string(e.Key) != want {
				return fmt.Errorf("key %d is %q, want %q", n, e.Key, want)
			}
			if err := tx.Delete(bytes.Clone(e.Key)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil || n != 1000 {
		t.Fatalf("scanned %d of 1000: %v", n, err)
	}
	if got := scan(t, db, "k", ""); len(got) != 0 {
		t.Errorf("%d keys left after deleting them all", len(got))
	}
}

func TestReadYourWrites(t *testing.T) {
	db := openTest(t)
	put(t, db, "a", "old", "b", "gone")
	err := db.Update(context.Background(), func(tx engine.Txn) error {
		tx.Set([]byte("a"), []byte("new"))
		tx.Delete([]byte("b"))
		if v, err := tx.Get([]byte("a")); err != nil || string(v) != "new" {
			return fmt.Errorf("Get(a) = %q, %v; want new", v, err)
		}
		if _, err := tx.Get([]byte("b")); !errors.Is(err, engine.ErrKeyNotFound) {
			return fmt.Errorf("Get(b) after Delete: %v, want ErrKeyNotFound", err)
		}
		var got []string
		tx.(engine.SortedGetter).GetSorted(nil, [][]byte{[]byte("a"), []byte("b"), []byte("c")}, func(i int, v []byte, err error) error {
			got = append(got, fmt.Sprintf("%d:%s:%v", i, v, err != nil))
			return nil
		})
		if diff := cmp.Diff([]string{"0:new:false", "1::true", "2::true"}, got); diff != "" {
			return fmt.Errorf("GetSorted (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a=new"}, scan(t, db, "", "")); diff != "" {
		t.Errorf("after commit (-want +got):\n%s", diff)
	}
}

// TestConflict: two transactions read a key and write it; the second to
// commit fails with ErrConflict and nothing of it is written.
func TestConflict(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	put(t, db, "n", "0")
	read := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Update(ctx, func(tx engine.Txn) error {
				if _, err := tx.Get([]byte("n")); err != nil {
					return err
				}
				read <- struct{}{}
				<-release
				return tx.Set([]byte("n"), []byte(fmt.Sprint(i+1)))
			})
		}()
	}
	<-read
	<-read
	close(release)
	wg.Wait()
	conflicts := 0
	for _, err := range errs {
		if errors.Is(err, engine.ErrConflict) {
			conflicts++
		} else if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if conflicts != 1 {
		t.Fatalf("%d conflicts, want 1 (errors %v)", conflicts, errs)
	}
}

// TestSnapshotCrossEngine restores a Badger backup stream into
// PostgreSQL and back: the same stream format.
func TestSnapshotCrossEngine(t *testing.T) {
	ctx := context.Background()
	b, err := badger.Open(badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	put(t, b, "a", "1", "b", "2", "c", "3")
	b.Update(ctx, func(tx engine.Txn) error { return tx.Delete([]byte("b")) })
	put(t, b, "a", "1bis")
	var buf bytes.Buffer
	if err := b.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	db := openTest(t)
	put(t, db, "stale", "x")
	if err := db.Replace(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	want := []string{"a=1bis", "c=3"}
	if diff := cmp.Diff(want, scan(t, db, "", "")); diff != "" {
		t.Errorf("PostgreSQL after a Badger stream (-want +got):\n%s", diff)
	}
	buf.Reset()
	if err := db.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	b2, err := badger.Open(badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if err := b2.Replace(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, scan(t, b2, "", "")); diff != "" {
		t.Errorf("Badger after a PostgreSQL stream (-want +got):\n%s", diff)
	}
}

// TestStageFailureLeavesContents: a prepare that fails leaves the table
// as it was, and one that succeeds sees and keeps its own writes.
func TestStageFailureLeavesContents(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	put(t, db, "old", "1")
	var stream bytes.Buffer
	src := openTest(t)
	put(t, src, "new", "2")
	if err := src.Snapshot(ctx, &stream); err != nil {
		t.Fatal(err)
	}
	data := stream.Bytes()
	boom := errors.New("boom")
	err := db.Stage(ctx, bytes.NewReader(data), func(kv engine.KV) error {
		return kv.Update(ctx, func(tx engine.Txn) error { return tx.Set([]byte("mark"), []byte("x")) })
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"mark=x", "new=2"}, scan(t, db, "", "")); diff != "" {
		t.Errorf("after a staged restore (-want +got):\n%s", diff)
	}
	err = db.Stage(ctx, bytes.NewReader(data[:len(data)-3]), func(engine.KV) error { return boom })
	if err == nil {
		t.Fatal("a truncated stream was staged")
	}
	err = db.Stage(ctx, bytes.NewReader(data), func(engine.KV) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Stage: %v, want boom", err)
	}
	if diff := cmp.Diff([]string{"mark=x", "new=2"}, scan(t, db, "", "")); diff != "" {
		t.Errorf("after failed stages (-want +got):\n%s", diff)
	}
}

func TestNotify(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, 10)
	done := make(chan error)
	go func() { done <- db.Notify(ctx, []byte("W"), func() { got <- struct{}{} }) }()
	deadline := time.After(10 * time.Second)
	// The listener may not be listening yet: write until it hears one.
	for heard := false; !heard; {
		put(t, db, "Wx", "1")
		select {
		case <-got:
			heard = true
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no notification within 10 s of writes under the prefix")
		}
	}
	for len(got) > 0 {
		<-got
	}
	put(t, db, "Ax", "1") // another prefix: no call
	select {
	case <-got:
		t.Error("notified of a write under another prefix")
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Notify after cancel: %v", err)
	}
}

func TestPurgeRemovesRows(t *testing.T) {
	db := openTest(t)
	put(t, db, "Kp1", "wrapped", "Kp2", "other", "Pp1", "sealed")
	if err := db.Purge(context.Background(), []byte("Kp1")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Kp2=other", "Pp1=sealed"}, scan(t, db, "", "")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := db.Maintain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:s3cr3t@127.0.0.1:1/db?connect_timeout=1")
	if err == nil {
		t.Skip("something listens on port 1")
	}
	if bytes.Contains([]byte(err.Error()), []byte("s3cr3t")) {
		t.Fatalf("error shows the password: %v", err)
	}
}
