package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
)

// TestEraseLeavesNoWrappedKeyOnDisk ingests the fixtures through a bulk
// load, erases a customer and then looks for the profile's wrapped data
// key in every file of the database, at-rest encryption off so that it
// would show. The erasing transaction deletes the profile's key; the purge
// must still drop every older version of it (Badger's DropPrefix ignores a
// prefix with no live key, which once left them all on disk).
func TestEraseLeavesNoWrappedKeyOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{Keys: testKeys(crypto.GenerateRootKey()), Clock: func() time.Time { return asOf }, NoAtRestEncryption: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	id, wrapped := wrappedKeyOf(t, s, "13912345601")
	if f := filesContaining(t, dir, wrapped); len(f) == 0 {
		t.Fatal("the wrapped key is not on disk before the erasure: the test cannot see it")
	}
	if err := s.Erase(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByID(ctx, id); !errors.Is(err, ErrErased) {
		t.Fatalf("ByID after Erase: %v, want ErrErased", err)
	}
	closeErased(t, s, dir, wrapped, "Erase")
}

// closeErased checks that s verifies clean, closes it, and looks for an
// erased profile's wrapped key in every file of dir.
func closeErased(t *testing.T, s *Store, dir string, wrapped []byte, after string) {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("Verify after %s: %v %v", after, err, rep.Problems)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if f := filesContaining(t, dir, wrapped); len(f) > 0 {
		t.Fatalf("after %s the erased profile's wrapped data key is still on disk in %v", after, f)
	}
}

// wrappedKeyOf returns the id of the profile a phone belongs to and its
// wrapped data key as stored.
func wrappedKeyOf(t *testing.T, s *Store, phone string) (string, []byte) {
	t.Helper()
	ctx := context.Background()
	p, err := s.ByIdentifier(ctx, phoneID(t, phone))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := ParseProfileID(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wrapped []byte
	if err := s.kv.View(ctx, func(tx Txn) error {
		return getProfile(tx, pid, func(w, _ []byte) error {
			wrapped = append([]byte(nil), w...)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return p.ID, wrapped
}

// failingPurge is Badger whose purge fails while fail is set: an erasure
// whose transaction committed but whose purge did not run, as after a
// crash between the two.
type failingPurge struct {
	*Badger
	fail bool
}

var errPurge = errors.New("purge interrupted")

// openFailingPurge opens a store in dir, at-rest encryption off, on
// Badger behind failingPurge, and ingests the fixtures. It returns the
// options to reopen it with.
func openFailingPurge(t *testing.T, dir string) (*Store, *failingPurge, Options) {
	t.Helper()
	root := crypto.GenerateRootKey()
	opts := Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }, NoAtRestEncryption: true}
	b, err := OpenBadger(BadgerOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	kv := &failingPurge{Badger: b}
	s, err := OpenKV(context.Background(), kv, root, opts)
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	if _, err := s.IngestAll(context.Background(), fixtures(t), IngestOptions{}); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, kv, opts
}

func (f *failingPurge) Purge(ctx context.Context, prefixes ...[]byte) error {
	if f.fail {
		return errPurge
	}
	return f.Badger.Purge(ctx, prefixes...)
}

// TestInterruptedPurgeIsFinished erases two customers whose purges fail
// after the erasing transactions commit. Verify must report the purges as
// owed and Maintain must finish them: then no version of either wrapped
// data key may remain in any file.
func TestInterruptedPurgeIsFinished(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, kv, _ := openFailingPurge(t, dir)
	var ids []string
	var wrapped [][]byte
	for _, phone := range []string{"13912345601", "13812345602"} {
		id, w := wrappedKeyOf(t, s, phone)
		ids, wrapped = append(ids, id), append(wrapped, w)
	}
	owed := func(s *Store) int {
		t.Helper()
		rep, err := s.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range rep.Problems {
			if strings.HasPrefix(p, "U ") {
				n++
			} else {
				t.Errorf("Verify: %s", p)
			}
		}
		return n
	}

	kv.fail = true
	for _, id := range ids {
		if err := s.Erase(ctx, id); !errors.Is(err, errPurge) {
			t.Fatalf("Erase with the purge failing: %v, want %v", err, errPurge)
		}
		if _, err := s.ByID(ctx, id); !errors.Is(err, ErrErased) {
			t.Fatalf("ByID after the erasing transaction: %v, want ErrErased", err)
		}
	}
	// One per erased profile and per profile merged into one.
	if n := owed(s); n < len(ids) {
		t.Fatalf("Verify reports %d purges owed, want at least %d", n, len(ids))
	}
	for i, w := range wrapped {
		if f := filesContaining(t, dir, w); len(f) == 0 {
			t.Fatalf("customer %d's wrapped key is not on disk after the failed purge: the test cannot see it", i)
		}
	}

	kv.fail = false
	if err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := owed(s); n != 0 {
		t.Fatalf("after Maintain Verify reports %d purges owed, want 0", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i, w := range wrapped {
		if f := filesContaining(t, dir, w); len(f) > 0 {
			t.Fatalf("customer %d's wrapped key is still on disk after Maintain, in %v", i, f)
		}
	}
}

// TestInterruptedPurgeIsFinishedAtOpen leaves an erasure's purge owed
// and closes: the next Open must finish it.
func TestInterruptedPurgeIsFinishedAtOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, kv, opts := openFailingPurge(t, dir)
	kv.fail = true
	id, wrapped := wrappedKeyOf(t, s, "13912345601")
	if err := s.Erase(ctx, id); !errors.Is(err, errPurge) {
		t.Fatalf("Erase with the purge failing: %v, want %v", err, errPurge)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if f := filesContaining(t, dir, wrapped); len(f) == 0 {
		t.Fatal("the wrapped key is not on disk after the failed purge: the test cannot see it")
	}
	s, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	closeErased(t, s, dir, wrapped, "reopening")
}

// TestOwedErasureIsJournaled: an erasure whose purge fails must still
// reach the external journal, so that restoring an older backup into a
// fresh database (the old one lost) does not bring the customer back.
func TestOwedErasureIsJournaled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	journal := filepath.Join(t.TempDir(), "erasures.jsonl")
	s, kv, opts := openFailingPurge(t, dir)
	s.journal = journal
	defer s.Close()
	id, _ := wrappedKeyOf(t, s, "13912345601")
	var backup bytes.Buffer
	if err := s.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	kv.fail = true
	if err := s.Erase(ctx, id); !errors.Is(err, errPurge) {
		t.Fatalf("Erase with the purge failing: %v, want %v", err, errPurge)
	}
	kv.fail = false
	if err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	opts.ErasureJournal = journal
	fresh, err := Open(ctx, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.Restore(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.ByID(ctx, id); !errors.Is(err, ErrErased) {
		t.Fatalf("after restoring the older backup into a fresh database: ByID %v, want ErrErased", err)
	}
}

// TestConcurrentErasures erases profiles from four goroutines while a
// fifth ingests: Badger refuses writes and other drops while one purge
// runs, so purges must wait for writers and writers for purges. Every
// call must succeed, every erasure be journaled once, and nothing be owed.
func TestConcurrentErasures(t *testing.T) {
	ctx := context.Background()
	journal := filepath.Join(t.TempDir(), "erasures.jsonl")
	s, err := Open(ctx, t.TempDir(), Options{Keys: testKeys(crypto.GenerateRootKey()), Clock: func() time.Time { return asOf }, ErasureJournal: journal})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w := newWorkload(5, 400)
	half := len(w.versions) / 2
	if _, err := s.IngestAll(ctx, records(w.versions[:half]), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for p, err := range s.All(ctx, Filter{Limit: 80}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.Profile.ID)
	}
	errs := make(chan error, len(ids)+len(w.versions))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < len(ids); i += 4 {
				if err := s.Erase(ctx, ids[i]); err != nil && !errors.Is(err, ErrErased) {
					errs <- fmt.Errorf("Erase: %w", err)
				}
			}
		})
	}
	wg.Go(func() {
		for _, rec := range w.versions[half:] {
			if _, err := s.Ingest(ctx, rec); err != nil {
				errs <- fmt.Errorf("Ingest: %w", err)
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != len(ids) {
		t.Errorf("%d journal lines for %d erasures", n, len(ids))
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("Verify: %v %v", err, rep.Problems)
	}
}

// TestRestoreKeepsOwedJournalLine: an erasure whose journal line could not
// be written (its U and E entries in the database), then a restore of an
// older backup into the same store, which replaces those entries: the line
// must still reach the external journal, so that the same backup restored
// into a fresh database does not bring the customer back.
func TestRestoreKeepsOwedJournalLine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := filepath.Join(t.TempDir(), "erasures.jsonl")
	bad := filepath.Join(t.TempDir(), "missing", "erasures.jsonl")
	s, _, opts := openFailingPurge(t, dir)
	defer s.Close()
	id, _ := wrappedKeyOf(t, s, "13912345601")
	var backup bytes.Buffer
	if err := s.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	older := bytes.Clone(backup.Bytes())
	s.journal = bad
	if err := s.Erase(ctx, id); err == nil {
		t.Fatal("Erase with the journal unwritable: no error")
	}
	s.journal = good
	if err := s.Restore(ctx, bytes.NewReader(older)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByID(ctx, id); !errors.Is(err, ErrErased) {
		t.Fatalf("after Restore into the same store: %v", err)
	}
	b, _ := os.ReadFile(good)
	if !strings.Contains(string(b), id) {
		t.Errorf("external journal lacks %s after Restore: %q", id, b)
	}
	opts.ErasureJournal = good
	fresh, err := Open(ctx, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.Restore(ctx, bytes.NewReader(older)); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.ByID(ctx, id); !errors.Is(err, ErrErased) {
		t.Fatalf("older backup into a fresh database: ByID %v, want ErrErased (customer is back)", err)
	}
}

// TestUnwritableJournalDoesNotStopPurge: while the external journal cannot
// be written, the erasure's purge must still run: no version of the
// wrapped key may stay on disk. The journal line stays owed.
func TestUnwritableJournalDoesNotStopPurge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _, _ := openFailingPurge(t, dir)
	id, wrapped := wrappedKeyOf(t, s, "13912345601")
	s.journal = filepath.Join(t.TempDir(), "missing", "erasures.jsonl")
	if err := s.Erase(ctx, id); err == nil {
		t.Fatal("no error")
	}
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Error("Verify reports nothing owed while the journal line is not written")
	}
	s.Close()
	if f := filesContaining(t, dir, wrapped); len(f) > 0 {
		t.Errorf("wrapped key of erased profile still on disk after Maintain (journal unwritable): %v", f)
	}
}
