package store

import (
	"context"
	"errors"
	"strings"
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
		w, _, err := getProfile(tx, pid)
		wrapped = append([]byte(nil), w...)
		return err
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
