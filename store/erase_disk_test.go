package store

import (
	"context"
	"errors"
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
	p, err := s.ByIdentifier(ctx, phoneID(t, "13912345601"))
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
	if f := filesContaining(t, dir, wrapped); len(f) == 0 {
		t.Fatal("the wrapped key is not on disk before the erasure: the test cannot see it")
	}
	if err := s.Erase(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByID(ctx, p.ID); !errors.Is(err, ErrErased) {
		t.Fatalf("ByID after Erase: %v, want ErrErased", err)
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("Verify after Erase: %v %v", err, rep.Problems)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if f := filesContaining(t, dir, wrapped); len(f) > 0 {
		t.Fatalf("the erased profile's wrapped data key is still on disk in %v", f)
	}
}
