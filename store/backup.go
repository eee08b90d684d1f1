package store

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/scv-go/scv/crypto"
)

// backupMagic starts every backup: the format name and version. Version
// 4 holds schema 4 (e-commerce records keyed by platform); version 3,
// schema 3 (values may use the codec's string table); version 2, schema 2
// (wrapped data keys under K). This build restores versions 2 and 3, then
// marks them schema 4 and re-keys their e-commerce records; a version 1
// backup is refused with [ErrOldSchema] before anything is replaced. An
// older build refuses a backup of a newer version as not a backup, before
// it replaces anything.
const (
	backupMagic   = "SCV-BACKUP\x00\x04"
	backupMagicV3 = "SCV-BACKUP\x00\x03"
	backupMagicV2 = "SCV-BACKUP\x00\x02"
	backupMagicV1 = "SCV-BACKUP\x00\x01"
)

// ErrNotBackup is returned by Restore for a stream that is not a backup.
var ErrNotBackup = errors.New("store: not an scv backup")

// Backup writes a consistent snapshot of the whole store to w: a header
// holding the keyring state (sealed under the root key, for a key check
// before anything is replaced), then every live key and value. Values are
// sealed and keys hold no personal data, so a backup is as safe to copy as
// the database itself; it is useless without the root key. The engine must
// implement [Snapshotter] (Badger does).
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	sn, ok := s.kv.(Snapshotter)
	if !ok {
		return errors.New("store: the engine cannot take snapshots")
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(backupMagic)
	state := s.kr.State()
	bw.Write(binary.AppendUvarint(nil, uint64(len(state))))
	bw.Write(state)
	if err := sn.Snapshot(ctx, bw); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return bw.Flush()
}

// Restore replaces the whole store with a backup written by Backup, then
// erases again every customer erased since (or before) the backup was
// taken: the journal of the current database, of the external journal
// file if configured, and of the backup are all re-applied, so a restore
// never brings an erased customer back. A backup made under another root
// key is refused with [ErrWrongKey] before anything is replaced.
//
// Restore waits for every other call to finish and holds them off while
// it runs.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv == nil {
		return ErrClosed
	}
	sn, ok := s.kv.(Snapshotter)
	if !ok {
		return errors.New("store: the engine cannot restore snapshots")
	}
	br := bufio.NewReader(r)
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != backupMagic && string(magic) != backupMagicV3 && string(magic) != backupMagicV2 {
		if string(magic) == backupMagicV1 {
			return fmt.Errorf("%w: the backup holds schema 1", ErrOldSchema)
		}
		return ErrNotBackup
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > 1<<20 {
		return ErrNotBackup
	}
	state := make([]byte, n)
	if _, err := io.ReadFull(br, state); err != nil {
		return ErrNotBackup
	}
	if _, err := crypto.OpenKeyring(s.root, state); err != nil {
		if errors.Is(err, crypto.ErrWrongKey) {
			return fmt.Errorf("%w: the backup was made under another root key", ErrWrongKey)
		}
		return fmt.Errorf("store: backup keyring: %w", err)
	}
	// What this database's erasures still owe (a journal line, above
	// all) is settled first: Replace drops the entries that say so.
	if _, err := s.finishErasures(ctx); err != nil {
		return fmt.Errorf("store: restore: finish this database's erasures first: %w", err)
	}
	journal, err := s.readJournal(ctx)
	if err != nil {
		return err
	}
	if err := sn.Replace(ctx, br); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	// Not cancelled once the data is replaced: loadKeyring marks a
	// restored schema 2 database schema 3, and a store left marked 2
	// would go on writing values a schema 2 build cannot decode.
	if err := s.loadKeyring(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	// A backup of an older schema is re-keyed now; if this is cut short,
	// the next Open finishes it.
	if err := s.rekey(ctx); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	// The restored database keeps the rules it was resolved under; this
	// store resolves by them from now on (Open applies Options.Rules to
	// them next time).
	if err := s.adoptRules(ctx); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	// The backup's own journal, opened with the restored keyring, joins
	// the current one.
	restored, err := s.readJournal(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, j := range journal {
		seen[j.Profile] = true
	}
	for _, j := range restored {
		if !seen[j.Profile] {
			journal = append(journal, j)
		}
	}
	if err := s.reapply(ctx, journal); err != nil {
		return err
	}
	_, err = s.finishErasures(ctx) // what the backup's erasures still owed
	return err
}
