package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
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

// TestSchema2Marked checks that a database of schema 2 opens and is marked
// schema 3 before anything is written (its values, of the codec's first
// format, still decode: internal/codec's TestFirstFormat), so that a
// schema 2 build refuses it rather than failing on values with string
// references; and that a schema newer than this build's is refused.
func TestSchema2Marked(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	dir := t.TempDir()
	if s, err := Open(ctx, dir, Options{Keys: testKeys(root)}); err != nil {
		t.Fatal(err)
	} else if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// setSchema writes the schema entry under the store, which may refuse
	// to open once it is set.
	setSchema := func(v string) {
		t.Helper()
		b, err := OpenBadger(BadgerOptions{Dir: dir, EncryptionKey: root.AtRestKey()})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Update(ctx, func(tx Txn) error { return tx.Set(metaKey("schema"), []byte(v)) }); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	setSchema("2")
	s, err := Open(ctx, dir, Options{Keys: testKeys(root)})
	if err != nil {
		t.Fatalf("Open of a schema 2 database: %v", err)
	}
	schema := func(what string) {
		t.Helper()
		var got []byte
		if err := s.kv.View(ctx, func(tx Txn) error { got, err = tx.Get(metaKey("schema")); return err }); err != nil {
			t.Fatal(err)
		}
		if want := schemaValue(schemaVersion); !bytes.Equal(got, want) {
			t.Errorf("schema after %s: %q, want %q", what, got, want)
		}
	}
	schema("opening a schema 2 database")
	// A backup of schema 2 (magic version 2, schema 2 inside) restores
	// and is marked schema 3 too.
	if err := s.kv.Update(ctx, func(tx Txn) error { return tx.Set(metaKey("schema"), []byte("2")) }); err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if err := s.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	// A schema 2 build restores backups of magic version 2 only: this
	// one, of schema 3 values, must not pass for one.
	if !bytes.HasPrefix(backup.Bytes(), []byte(backupMagic)) || backupMagic == backupMagicV2 || backupMagic == backupMagicV3 {
		t.Fatalf("backup starts % x, want the magic of version 5", backup.Bytes()[:len(backupMagic)])
	}
	v2 := legacyBackup(t, s, backupMagicV2)
	if _, err := s.RestoreWith(ctx, bytes.NewReader(v2), RestoreOptions{Force: true}); err != nil {
		t.Fatalf("Restore of a schema 2 backup: %v", err)
	}
	schema("restoring a schema 2 backup")
	// A restore whose context ends as the data is replaced may fail, but
	// must not leave the store marked 2: it stays open for writes.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := s.RestoreWith(cctx, &cancelAtEOF{r: bytes.NewReader(v2), cancel: cancel}, RestoreOptions{Force: true}); err == nil {
		t.Log("the restore finished before it saw the cancellation")
	}
	schema("a restore of a schema 2 backup cancelled at the end of its data")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	setSchema("5")
	if s, err := Open(ctx, dir, Options{Keys: testKeys(root)}); err == nil {
		s.Close()
		t.Error("a database of schema 5 opened")
	} else if !strings.Contains(err.Error(), "newer build") {
		t.Errorf("Open of a schema 5 database: %v, want an error saying a newer build wrote it", err)
	}
	for _, v := range []string{"x", "0"} { // not a schema at all: refused, not taken for an old one
		setSchema(v)
		if s, err := Open(ctx, dir, Options{Keys: testKeys(root)}); err == nil {
			s.Close()
			t.Errorf("a database of schema %q opened", v)
		} else if !strings.Contains(err.Error(), "unsupported schema version") || errors.Is(err, ErrOldSchema) {
			t.Errorf("Open of a database of schema %q: %v, want an unsupported schema version", v, err)
		}
	}
}

// cancelAtEOF reads r and calls cancel when r is exhausted.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

// legacyBackup writes a backup of s in the unauthenticated format of the
// given magic (versions 2 and 3): the header, then the engine's snapshot.
func legacyBackup(t testing.TB, s *Store, magic string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(magic)
	state := s.kr.State()
	b.Write(binary.AppendUvarint(nil, uint64(len(state))))
	b.Write(state)
	if err := s.kv.(Snapshotter).Snapshot(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
