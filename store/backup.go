package store

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/scv-go/scv/crypto"
)

// backupMagic starts every backup: the format name and version. Version 5
// holds schema 4 (e-commerce records keyed by platform) and version 4
// schema 3; both are authenticated from their first byte to their last
// (see backupstream.go). Versions 3 (schema 3) and 2 (schema 2) are still
// restored, unauthenticated, and [RestoreReport].Authenticated says so.
// Whatever the version, a restored database of an older schema is marked
// schema 4 and its e-commerce records re-keyed. A version 1 backup is
// refused with [ErrOldSchema] before anything is replaced. An older build
// refuses a newer version as not a backup, before it replaces anything.
const (
	backupMagic   = "SCV-BACKUP\x00\x05"
	backupMagicV4 = "SCV-BACKUP\x00\x04"
	backupMagicV3 = "SCV-BACKUP\x00\x03"
	backupMagicV2 = "SCV-BACKUP\x00\x02"
	backupMagicV1 = "SCV-BACKUP\x00\x01"
)

// ErrNotBackup is returned by Restore for a stream that is not a backup.
var ErrNotBackup = errors.New("store: not an scv backup")

// ErrErasuresUnknown is returned by Restore, before anything is replaced,
// when the database it would replace is new (it holds no data and journals
// no erasure) and no external erasure journal holds an entry: erasures
// made after the backup was taken cannot be known, so a customer erased
// since could come back. [RestoreOptions].Force restores anyway, applying
// again the erasures the backup itself journals.
var ErrErasuresUnknown = errors.New("store: restore into a new database without an erasure journal: erasures made since the backup was taken are not known")

// metaRestoreOwed is the M entry of a restore whose erasures are still to
// be applied again: the journal entries, sealed.
const metaRestoreOwed = "restore-owed"

// purposeRestore seals the restore-owed entry.
const purposeRestore = "restore-owed"

// Backup writes a consistent snapshot of the whole store to w: a header
// holding the keyring state (sealed under the root key, for a key check
// before anything is replaced), then every live key and value, in frames
// each authenticated with a key derived from the root key
// ([crypto.RootKey.BackupKey]). Values are sealed and keys hold no
// personal data, so a backup is as safe to copy as the database itself;
// it is useless without the root key. The engine must implement
// [Snapshotter] (Badger does).
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
	state := s.kr.State()
	header := append([]byte(backupMagic), binary.AppendUvarint(nil, uint64(len(state)))...)
	header = append(header, state...)
	bw := bufio.NewWriter(w)
	bw.Write(header)
	fw := newFrameWriter(bw, s.root.BackupKey(), header)
	if err := sn.Snapshot(ctx, fw); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return bw.Flush()
}

// RestoreOptions configure [Store.RestoreWith]. The zero value is the
// default.
type RestoreOptions struct {
	// Force restores into a new database with no erasure journal, where
	// Restore otherwise refuses with [ErrErasuresUnknown]: only the
	// erasures the backup itself journals are applied again.
	Force bool
}

// RestoreReport says what a restore applied again and what it could not
// know.
type RestoreReport struct {
	// Format is the backup's format version; Authenticated is true from
	// format 4, whose every byte was authenticated before the database
	// was replaced.
	Format        int  `json:"format"`
	Authenticated bool `json:"authenticated"`
	// Erasures applied again, by where they were journaled; an erasure
	// journaled in several places counts in the first: the database
	// replaced, the external journal file, the backup.
	FromDatabase int `json:"from_database"`
	FromJournal  int `json:"from_journal"`
	FromBackup   int `json:"from_backup"`
	// Unknown is true when the database replaced was new and no external
	// journal held an entry (a restore with Force): erasures made after
	// the backup was taken and recorded nowhere here were not applied.
	Unknown bool `json:"erasures_since_backup_unknown"`
}

// Restore is [Store.RestoreWith] with the default options.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	_, err := s.RestoreWith(ctx, r, RestoreOptions{})
	return err
}

// RestoreWith replaces the whole store with a backup written by Backup,
// and erases again every customer erased since (or before) the backup was
// taken: the journals of the current database, of the external journal
// file if configured, and of the backup are all applied again, so a
// restore never brings an erased customer back.
//
// Nothing is replaced until the whole backup has been read and
// authenticated, loaded beside the current data, and the erasures applied
// again there ([Stager]; Badger on disk builds it in DIR.restore-new and
// swaps the directories). A backup made under another root key is refused
// with [ErrWrongKey], a truncated or altered one with [ErrBackupDamaged],
// a restore that would fill the disk with [ErrDiskFull], and one into a
// new database with no journal with [ErrErasuresUnknown] unless
// opts.Force; in each case, and on cancellation or a crash before the
// swap, the database is as it was. After the swap, the restore is not
// cancelled. On an engine that cannot stage, the backup is authenticated
// into a temporary file, the data replaced, and the erasures to apply
// again recorded in it at once; Open, Maintain and Restore finish them if
// the process stops first, and Verify reports them until then.
//
// RestoreWith waits for every other call to finish and holds them off
// while it runs.
func (s *Store) RestoreWith(ctx context.Context, r io.Reader, opts RestoreOptions) (RestoreReport, error) {
	var rep RestoreReport
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv == nil {
		return rep, ErrClosed
	}
	br := bufio.NewReaderSize(r, 1<<16)
	header, err := s.readBackupHeader(br, &rep)
	if err != nil {
		return rep, err
	}
	var body io.Reader = br
	if rep.Authenticated {
		body = newFrameReader(br, s.root.BackupKey(), header)
	}
	// What this database's erasures still owe (a journal line, above
	// all) is settled first, then its journal read.
	if _, err := s.finishRestore(ctx); err != nil {
		return rep, fmt.Errorf("store: restore: finish the interrupted restore first: %w", err)
	}
	if _, err := s.finishErasures(ctx); err != nil {
		return rep, fmt.Errorf("store: restore: finish this database's erasures first: %w", err)
	}
	dbJ, fileJ, err := s.journalSources(ctx)
	if err != nil {
		return rep, err
	}
	known := map[string]bool{}
	journal := appendNew(nil, dbJ, known, &rep.FromDatabase)
	journal = appendNew(journal, fileJ, known, &rep.FromJournal)
	if len(journal) == 0 {
		empty := true
		err := s.kv.View(ctx, func(tx Txn) error {
			for e, err := range tx.Scan(nil, nil, true) {
				if err != nil {
					return err
				}
				if e.Key[0] != nsMeta {
					empty = false
					break
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		rep.Unknown = empty
		if empty && !opts.Force {
			return rep, ErrErasuresUnknown
		}
	}
	prepare := func(kv KV) error {
		t := s.staged(kv)
		if err := t.loadKeyring(ctx); err != nil {
			return err
		}
		if _, err := t.finishErasures(ctx); err != nil {
			return err
		}
		backupJ, _, err := t.journalSources(ctx)
		if err != nil {
			return err
		}
		owed := appendNew(journal, backupJ, known, &rep.FromBackup)
		if err := t.oweRestore(ctx, owed); err != nil {
			return err
		}
		restoreStep("owed")
		_, err = t.finishRestore(ctx)
		return err
	}
	if st, ok := s.kv.(Stager); ok {
		err = st.Stage(ctx, body, prepare)
	} else {
		err = s.replaceUnstaged(ctx, body, journal, known, &rep)
	}
	if fr, ok := body.(*frameReader); ok && fr.err != nil {
		return rep, fr.err // Badger's Load wraps it in its own words
	}
	if errors.Is(err, ErrDiskFull) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return rep, err
	}
	if err != nil {
		return rep, fmt.Errorf("store: restore: %w", err)
	}
	restoreStep("swapped")
	// Swapped in: the rest is not cancelled. loadKeyring marks a restored
	// schema 2 database schema 3 (already done in the staged data).
	wctx := context.WithoutCancel(ctx)
	if err := s.loadKeyring(wctx); err != nil {
		return rep, fmt.Errorf("store: restore: %w", err)
	}
	if _, err := s.finishRestore(wctx); err != nil {
		return rep, fmt.Errorf("store: restore: %w", err)
	}
	if err := s.afterRestore(wctx); err != nil {
		return rep, fmt.Errorf("store: restore: %w", err)
	}
	return rep, nil
}

// afterRestore re-keys the e-commerce records of a backup of an older
// schema (if this is cut short, the next Open finishes it) and makes the
// restored database's merge rules this store's.
func (s *Store) afterRestore(ctx context.Context) error {
	if err := s.rekey(ctx); err != nil {
		return err
	}
	return s.adoptRules(ctx)
}

// readBackupHeader reads the magic and the keyring state, which must open
// under the store's root key, and returns the header's bytes.
func (s *Store) readBackupHeader(br *bufio.Reader, rep *RestoreReport) ([]byte, error) {
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return nil, ErrNotBackup
	}
	switch string(magic) {
	case backupMagic:
		rep.Format, rep.Authenticated = 5, true
	case backupMagicV4:
		rep.Format, rep.Authenticated = 4, true
	case backupMagicV3:
		rep.Format = 3
	case backupMagicV2:
		rep.Format = 2
	case backupMagicV1:
		return nil, fmt.Errorf("%w: the backup holds schema 1", ErrOldSchema)
	default:
		if string(magic[:len(magic)-1]) == backupMagic[:len(backupMagic)-1] {
			return nil, fmt.Errorf("%w: backup format %d, written by a newer build; this build reads formats 2 to 5", ErrNotBackup, magic[len(magic)-1])
		}
		return nil, ErrNotBackup
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > 1<<20 {
		return nil, ErrNotBackup
	}
	state := make([]byte, n)
	if _, err := io.ReadFull(br, state); err != nil {
		return nil, ErrNotBackup
	}
	if _, err := crypto.OpenKeyring(s.root, state); err != nil {
		if errors.Is(err, crypto.ErrWrongKey) {
			return nil, fmt.Errorf("%w: the backup was made under another root key", ErrWrongKey)
		}
		return nil, fmt.Errorf("store: backup keyring: %w", err)
	}
	header := append(magic, binary.AppendUvarint(nil, n)...)
	return append(header, state...), nil
}

// appendNew appends the entries of js whose profile is not in known to
// dst, counting them in *n.
func appendNew(dst, js []*erasure, known map[string]bool, n *int) []*erasure {
	for _, j := range js {
		if !known[j.Profile] {
			known[j.Profile] = true
			dst = append(dst, j)
			*n++
		}
	}
	return dst
}

// staged returns a store on the staged engine kv, configured as s. It is
// not closed: the engine belongs to Stage.
func (s *Store) staged(kv KV) *Store {
	return &Store{kv: kv, root: s.root, resolver: s.resolver, clock: s.clock, asOf: s.asOf,
		journal: s.journal, log: s.log, absentAfter: s.absentAfter}
}

// journalSources returns the erasures journaled in the engine and, apart,
// those only in the external journal file.
func (s *Store) journalSources(ctx context.Context) (inDB, inFile []*erasure, err error) {
	all, err := s.readJournal(ctx)
	if err != nil {
		return nil, nil, err
	}
	err = s.kv.View(ctx, func(tx Txn) error {
		for _, j := range all {
			pid, err := ParseProfileID(j.Profile)
			if err != nil {
				return err
			}
			switch _, err := tx.Get(erasureKey(pid)); {
			case err == nil:
				inDB = append(inDB, j)
			case errors.Is(err, ErrKeyNotFound):
				inFile = append(inFile, j)
			default:
				return err
			}
		}
		return nil
	})
	return inDB, inFile, err
}

// oweRestore records, in one transaction, the erasures a restore must
// apply again: until [Store.finishRestore] has applied them, the store
// holds data a customer erased since could be read in.
func (s *Store) oweRestore(ctx context.Context, js []*erasure) error {
	plain, err := json.Marshal(js)
	if err != nil {
		return err
	}
	return s.kv.Update(ctx, func(tx Txn) error {
		return tx.Set(metaKey(metaRestoreOwed), s.kr.Seal(purposeRestore, plain))
	})
}

// owedRestore returns the erasures an unfinished restore owes, and whether
// one does.
func (s *Store) owedRestore(ctx context.Context) ([]*erasure, bool, error) {
	var sealed []byte
	err := s.kv.View(ctx, func(tx Txn) error {
		v, err := tx.Get(metaKey(metaRestoreOwed))
		sealed = v
		return err
	})
	if errors.Is(err, ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	plain, err := s.kr.Open(purposeRestore, sealed)
	if err != nil {
		return nil, true, fmt.Errorf("store: the erasures an interrupted restore owes: %w", err)
	}
	var js []*erasure
	if err := json.Unmarshal(plain, &js); err != nil {
		return nil, true, fmt.Errorf("store: the erasures an interrupted restore owes: %w", err)
	}
	return js, true, nil
}

// finishRestore applies again the erasures a restore owes, settles them,
// and only then removes the entry that says they are owed. It returns how
// many erasures it applied. Open, Maintain, Restore (and a restore's own
// staging) call it.
func (s *Store) finishRestore(ctx context.Context) (int, error) {
	js, owed, err := s.owedRestore(ctx)
	if err != nil || !owed {
		return 0, err
	}
	if err := s.reapply(ctx, js); err != nil {
		return 0, err
	}
	restoreStep("reapplied")
	if _, err := s.finishErasures(ctx); err != nil {
		return 0, err
	}
	err = s.kv.Update(ctx, func(tx Txn) error { return tx.Delete(metaKey(metaRestoreOwed)) })
	return len(js), err
}

// replaceUnstaged restores on an engine that cannot stage: the backup is
// read (and authenticated) into a temporary file first, so that a damaged
// one replaces nothing; then the data is replaced and the erasures owed
// recorded at once, and applied again.
func (s *Store) replaceUnstaged(ctx context.Context, body io.Reader, journal []*erasure, known map[string]bool, rep *RestoreReport) error {
	sn, ok := s.kv.(Snapshotter)
	if !ok {
		return errors.New("the engine cannot restore snapshots")
	}
	tmp, err := os.CreateTemp("", "scv-restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, body); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	wctx := context.WithoutCancel(ctx)
	if err := sn.Replace(wctx, bufio.NewReader(tmp)); err != nil {
		return err
	}
	if err := s.loadKeyring(wctx); err != nil {
		return err
	}
	backupJ, _, err := s.journalSources(wctx)
	if err != nil {
		return err
	}
	if err := s.oweRestore(wctx, appendNew(journal, backupJ, known, &rep.FromBackup)); err != nil {
		return err
	}
	return s.afterRestore(wctx)
}
