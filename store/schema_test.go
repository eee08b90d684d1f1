package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/scv-go/scv/crypto"
)

// TestOldSchemaRefused checks that a database or a backup of schema 1
// (wrapped data keys at the head of P) is refused with ErrOldSchema,
// before a restore replaces anything: this build would read its profiles
// as having no data key, and a rotation would retire the epochs their
// keys are wrapped under.
func TestOldSchemaRefused(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{Keys: testKeys(root)})
	if err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if err := s.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	old := append([]byte(backupMagicV1), backup.Bytes()[len(backupMagic):]...)
	if err := s.Restore(ctx, bytes.NewReader(old)); !errors.Is(err, ErrOldSchema) {
		t.Errorf("Restore of a schema 1 backup: %v, want ErrOldSchema", err)
	}
	if err := s.kv.Update(ctx, func(tx Txn) error { return tx.Set(metaKey("schema"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, dir, Options{Keys: testKeys(root)}); !errors.Is(err, ErrOldSchema) {
		if err == nil {
			s.Close()
		}
		t.Errorf("Open of a schema 1 database: %v, want ErrOldSchema", err)
	}
}
