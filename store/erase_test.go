package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

func phoneID(t testing.TB, raw string) identity.Identifier {
	t.Helper()
	p, err := identity.ParsePhone(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	return identity.Identifier{Kind: identity.KindPhone, Value: p.String()}
}

func TestBackupEraseRestore(t *testing.T) { forEachEngine(t, onDisk, testBackupEraseRestore) }

func testBackupEraseRestore(t *testing.T, e testEngine) {
	ctx := context.Background()
	dir := e.dir(t)
	journal := filepath.Join(t.TempDir(), "erasures.jsonl")
	root := crypto.GenerateRootKey()
	opts := Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }, ErasureJournal: journal}
	s, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	erasedPhone, keptPhone := phoneID(t, "13912345601"), phoneID(t, "13812345602")
	p, err := s.ByIdentifier(ctx, erasedPhone)
	if err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if err := s.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Stats(ctx)

	if err := s.Erase(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByIdentifier(ctx, erasedPhone); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ByIdentifier after erase: %v, want ErrNotFound", err)
	}
	mustVerify(t, s)
	if _, err := s.ByID(ctx, p.ID); !errors.Is(err, ErrErased) {
		t.Fatalf("ByID after erase: %v, want ErrErased", err)
	}
	if err := s.Erase(ctx, p.ID); !errors.Is(err, ErrErased) {
		t.Fatalf("second Erase: %v, want ErrErased", err)
	}
	// Re-importing the same files must not bring the customer back.
	sum, err := s.IngestAll(ctx, fixtures(t), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Quarantined[ReasonErased] != readRecords(p) {
		t.Errorf("re-import refused %d records as erased, want the profile's %d", sum.Quarantined[ReasonErased], readRecords(p))
	}
	if _, err := s.ByIdentifier(ctx, erasedPhone); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ByIdentifier after re-import: %v, want ErrNotFound", err)
	}

	// Restoring the backup taken before the erasure brings everyone back
	// but the erased customer.
	if err := s.Restore(ctx, bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByIdentifier(ctx, erasedPhone); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ByIdentifier after restore: %v, want ErrNotFound", err)
	}
	if _, err := s.ByIdentifier(ctx, keptPhone); err != nil {
		t.Fatalf("another customer after restore: %v", err)
	}
	mustVerify(t, s)
	after, _ := s.Stats(ctx)
	if after.Profiles != before.Profiles-1 || after.Erased != 1 {
		t.Fatalf("after restore: %d profiles, %d erased; want %d and 1", after.Profiles, after.Erased, before.Profiles-1)
	}

	// The same holds when the database that made the erasure is lost: a
	// fresh database restored from the backup, with the external journal.
	s.Close()
	fresh, err := Open(ctx, e.dir(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.Restore(ctx, bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.ByIdentifier(ctx, erasedPhone); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fresh database after restore: %v, want ErrNotFound", err)
	}
	if _, err := fresh.ByIdentifier(ctx, keptPhone); err != nil {
		t.Fatalf("another customer in the fresh database: %v", err)
	}
}

func TestRestoreRefusesBackupOfAnotherKey(t *testing.T) {
	ctx := context.Background()
	a := openTestStore(t, "", crypto.GenerateRootKey())
	if _, err := a.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if err := a.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	b := openTestStore(t, "", crypto.GenerateRootKey())
	if _, err := b.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := b.Stats(ctx)
	if err := b.Restore(ctx, &backup); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Restore of another key's backup: %v, want ErrWrongKey", err)
	}
	after, _ := b.Stats(ctx)
	if after.Profiles != before.Profiles || after.Records != before.Records {
		t.Fatalf("a refused restore changed the store: %+v -> %+v", before, after)
	}
	if err := b.Restore(ctx, bytes.NewReader([]byte("not a backup"))); !errors.Is(err, ErrNotBackup) {
		t.Fatalf("Restore of junk: %v, want ErrNotBackup", err)
	}
}
