package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// TestFullDisk fills the disk (as reported by an injected free-space
// probe) under an open database: imports, erasures and maintenance fail
// with ErrDiskFull naming the directory and the space left, instead of
// Badger's SIGBUS on a mapped write; reads go on; and once space is back
// the database opens, verifies and takes writes.
func TestFullDisk(t *testing.T) {
	ctx := context.Background()
	sc := newRestoreScene(t)
	old := freeSpaceFunc
	t.Cleanup(func() { freeSpaceFunc = old })
	freeSpaceFunc = func(string) (uint64, error) { return 3 << 20, nil }
	s, err := Open(ctx, sc.dir, crashOptions(sc.keyFile))
	if err != nil {
		t.Fatalf("Open on a full disk: %v", err)
	}
	defer s.Close()
	full := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrDiskFull) {
			t.Fatalf("%s on a full disk: %v, want ErrDiskFull", what, err)
		}
		for _, want := range []string{"3 MiB free", sc.dir} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", what, err, want)
			}
		}
	}
	rec := identity.Record{Channel: identity.ChannelPOS, Source: "restore-test", ID: "R2",
		Observed: asOf.Add(-time.Hour), Identifiers: []identity.Identifier{phoneID(t, "13612345698")}}
	_, err = s.Ingest(ctx, rec)
	full("Ingest", err)
	_, err = s.IngestAll(ctx, fixtures(t), IngestOptions{})
	full("IngestAll", err)
	kept, err := s.ByIdentifier(ctx, sc.kept)
	if err != nil {
		t.Fatalf("a read on a full disk: %v", err)
	}
	full("Erase", s.Erase(ctx, kept.ID))
	full("Maintain", s.Maintain(ctx))
	if st, err := s.Stats(ctx); err != nil || st.Profiles != sc.oldStats.Profiles {
		t.Errorf("Stats on a full disk: %d profiles, %v; want %d", st.Profiles, err, sc.oldStats.Profiles)
	}
	mustVerify(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	freeSpaceFunc = old
	sc.check(t)
	s, err = Open(ctx, sc.dir, crashOptions(sc.keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(ctx, rec); err != nil {
		t.Errorf("Ingest once space is back: %v", err)
	}
}

// TestFullTmpfs fills a real filesystem: a 48 MiB tmpfs mounted for the
// test (skipped where the test cannot mount one). Ingesting until the disk
// is full ends with ErrDiskFull, not a SIGBUS in Badger's mapped writes
// (which kills the test binary), and the database then opens and
// verifies.
func TestFullTmpfs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=48m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	opts := Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }}
	opts.Badger.MemTableSize = 2 << 20
	opts.Badger.ValueLogFileSize = 4 << 20
	db := filepath.Join(dir, "db")
	s, err := Open(ctx, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 2000
	for i := 0; ; i += batch {
		if i > 200_000 {
			t.Fatal("48 MiB held 200,000 records")
		}
		_, err = s.IngestBatch(ctx, synthFrom(i, batch))
		if err != nil {
			break
		}
	}
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), db) {
		t.Fatalf("ingest onto a full disk: %v, want ErrDiskFull naming %s", err, db)
	}
	if _, err := s.Stats(ctx); err != nil {
		t.Errorf("Stats on the full disk: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Logf("Close on the full disk: %v", err)
	}
	s, err = Open(ctx, db, opts)
	if err != nil {
		t.Fatalf("Open after the disk filled: %v", err)
	}
	defer s.Close()
	mustVerify(t, s)
}

// TestDamagedEngineFiles flips bytes in Badger's KEYREGISTRY and in a
// table. A damaged registry is reported as damage naming the file, not as
// a wrong key (before: "wrong key" for a byte in its first 28, whatever
// the key), while another key is still a wrong key naming the one the
// database last opened with; a damaged table is a Verify problem naming
// the table, with the right key.
func TestDamagedEngineFiles(t *testing.T) {
	ctx := context.Background()
	sc := newRestoreScene(t)
	s, err := Open(ctx, sc.dir, crashOptions(sc.keyFile))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	flip := func(t *testing.T, name string, off int64) (undo func()) {
		t.Helper()
		p := filepath.Join(sc.dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		old := bytes.Clone(b)
		if off < 0 {
			off += int64(len(b))
		}
		b[off] ^= 1
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return func() { os.WriteFile(p, old, 0o600) }
	}
	for _, off := range []int64{0, 20, 40, -1} {
		t.Run(fmt.Sprintf("KEYREGISTRY byte %d", off), func(t *testing.T) {
			undo := flip(t, "KEYREGISTRY", off)
			defer undo()
			_, err := Open(ctx, sc.dir, crashOptions(sc.keyFile))
			if !errors.Is(err, ErrEngineDamaged) || errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "KEYREGISTRY") {
				t.Errorf("Open with a damaged KEYREGISTRY: %v, want ErrEngineDamaged naming KEYREGISTRY", err)
			}
		})
	}
	_, err = Open(ctx, sc.dir, Options{Keys: testKeys(crypto.GenerateRootKey())})
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), sc.root.ID()) {
		t.Errorf("Open with another key: %v, want ErrWrongKey naming key id %s", err, sc.root.ID())
	}

	tables, _ := filepath.Glob(filepath.Join(sc.dir, "*.sst"))
	if len(tables) == 0 {
		t.Fatal("no table to damage")
	}
	st, err := os.Stat(tables[0])
	if err != nil {
		t.Fatal(err)
	}
	undo := flip(t, filepath.Base(tables[0]), st.Size()/3)
	defer undo()
	s, err = Open(ctx, sc.dir, crashOptions(sc.keyFile))
	if err != nil {
		if !errors.Is(err, ErrEngineDamaged) {
			t.Fatalf("Open with a damaged table: %v, want it to open or ErrEngineDamaged", err)
		}
		return
	}
	defer s.Close()
	r, err := s.Verify(ctx)
	if err != nil {
		t.Fatalf("Verify with a damaged table: %v, want a report", err)
	}
	if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), filepath.Base(tables[0])) {
		t.Errorf("Verify with a damaged table: %q, want a problem naming %s", r.Problems, filepath.Base(tables[0]))
	}
}
