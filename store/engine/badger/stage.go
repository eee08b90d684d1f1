package badger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bdb "github.com/dgraph-io/badger/v4"

	"github.com/scv-go/scv/store/engine"
	"github.com/scv-go/scv/store/internal/enginehook"
)

// A restore builds the new database in a staging directory beside the
// live one (DIR.restore-new), then swaps the two: in one step where the
// filesystem can (Linux's renameat2 RENAME_EXCHANGE), else by two renames
// through DIR.restore-old. Opening DIR settles what a killed restore left:
// if DIR is missing or empty while DIR.restore-old exists, the kill fell
// between the two renames and the old database goes back; then, with DIR
// locked, both side directories are removed. So a kill at any moment
// leaves DIR holding the old database or the new one, whole.

func stagingDir(dir string) string  { return dir + ".restore-new" }
func replacedDir(dir string) string { return dir + ".restore-old" }

// recoverSwap puts back the database a restore killed between its two
// renames had moved aside.
func recoverSwap(dir string) error {
	old := replacedDir(dir)
	if _, err := os.Stat(filepath.Join(old, "MANIFEST")); err != nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("badger: %w", err)
	case len(entries) > 0:
		return nil // the new database was in place: the old one is removed after the open
	default:
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("badger: %w", err)
		}
	}
	if err := os.Rename(old, dir); err != nil {
		return fmt.Errorf("badger: put back the database an interrupted restore moved aside: %w", err)
	}
	return syncDir(filepath.Dir(dir))
}

// removeStaging removes what a restore left beside dir. The caller holds
// dir's lock.
func removeStaging(dir string) {
	os.RemoveAll(stagingDir(dir))
	os.RemoveAll(replacedDir(dir))
}

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// swapDirs puts the directory staging in place of dir, and dir at
// staging's path or at replacedDir(dir).
func swapDirs(staging, dir string) error {
	err := enginehook.ExchangeDirs(staging, dir)
	if errors.Is(err, enginehook.ErrNoExchange) {
		if err := os.Rename(dir, replacedDir(dir)); err != nil {
			return err
		}
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return err
		}
		enginehook.RestoreStep("moved-aside")
		err = os.Rename(staging, dir)
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// stageMargin is the free space a staging load keeps in reserve beyond
// what it is about to write: two memtables flushed to tables and a value-log
// file's growth. Badger writes its logs through memory maps, where a full
// disk is a SIGBUS, not an error, so the load stops before that.
func (b *DB) stageMargin() uint64 {
	return uint64(2*orDefault(b.o.MemTableSize, 64<<20) + 16<<20)
}

// spaceReader checks the free space of dir before every chunk it passes
// on.
type spaceReader struct {
	r      io.Reader
	dir    string
	margin uint64
	read   uint64
	next   uint64 // when read passes it, check again
	err    error
}

// spaceEvery is how many bytes a spaceReader passes on between checks.
const spaceEvery = 4 << 20

func (s *spaceReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.read >= s.next {
		free, err := enginehook.FreeSpace(s.dir)
		if err == nil && free < s.margin+spaceEvery {
			s.err = fmt.Errorf("%w: %d MiB free on the filesystem of %s, and a restore needs at least %d MiB more",
				engine.ErrDiskFull, free>>20, filepath.Dir(s.dir), (s.margin+spaceEvery)>>20)
			return 0, s.err
		}
		s.next = s.read + spaceEvery
	}
	n, err := s.r.Read(p)
	s.read += uint64(n)
	return n, err
}

// Stage implements [engine.Stager]. On disk the new contents are built in
// DIR.restore-new, closed, synced and swapped in by renames (see the
// comment at the top of this file); in memory, a second in-memory
// database replaces the first. Free space is checked as the backup is
// loaded: a restore that would fill the disk stops with [engine.ErrDiskFull].
func (b *DB) Stage(ctx context.Context, r io.Reader, prepare func(engine.KV) error) error {
	so := b.o
	var staging string
	if !so.InMemory {
		staging = stagingDir(so.Dir)
		if err := os.RemoveAll(staging); err != nil {
			return fmt.Errorf("badger: staging directory: %w", err)
		}
		so.Dir = staging
		r = &spaceReader{r: r, dir: staging, margin: b.stageMargin()}
		// Badger creates the directory; the space check needs it first.
		if err := os.MkdirAll(staging, 0o700); err != nil {
			return fmt.Errorf("badger: staging directory: %w", err)
		}
	}
	db, err := bdb.Open(so.Options())
	if err != nil {
		os.RemoveAll(staging)
		return mapOpenError(err)
	}
	sb := &DB{db: db, o: so}
	fail := func(err error) error {
		db.Close()
		if staging != "" {
			os.RemoveAll(staging)
		}
		return err
	}
	if err := db.Load(r, 256); err != nil {
		if sr, ok := r.(*spaceReader); ok && sr.err != nil {
			err = sr.err
		}
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	enginehook.RestoreStep("loaded")
	if err := prepare(sb); err != nil {
		return fail(err)
	}
	enginehook.RestoreStep("prepared")
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if so.InMemory {
		old := b.db
		b.replace(db)
		return old.Close()
	}
	if err := db.Close(); err != nil {
		os.RemoveAll(staging)
		return fmt.Errorf("badger: close the restored database: %w", err)
	}
	if err := syncDir(staging); err != nil {
		os.RemoveAll(staging)
		return fmt.Errorf("badger: %w", err)
	}
	// The swap: from here on the old database's directory is closed, and
	// the new one is in place or not, whatever happens to this process.
	if err := b.db.Close(); err != nil {
		badgerLogger{b.o.Logger}.logger().Warn("badger: closing the database a restore replaces", "error", err)
	}
	swapErr := swapDirs(staging, b.o.Dir)
	if err := recoverSwap(b.o.Dir); err != nil { // a second rename that failed
		swapErr = errors.Join(swapErr, err)
	}
	db, err = bdb.Open(b.o.Options())
	if err != nil {
		return errors.Join(swapErr, fmt.Errorf("badger: reopen after restore: %w", mapOpenError(err)))
	}
	b.replace(db)
	removeStaging(b.o.Dir)
	if swapErr != nil {
		return fmt.Errorf("badger: swap in the restored database (the old one is still in place): %w", swapErr)
	}
	return nil
}

// checkSpace refuses a write, with [engine.ErrDiskFull] naming the directory and
// the space left, when the filesystem holding the database has less free
// space than the engine keeps in reserve (stageMargin): Badger writes its
// logs and memtables through memory maps, where a full disk is a SIGBUS
// that kills the process, not an error. Reads go on. It looks at most every
// second while space is plentiful, and before every write once it is not.
func (b *DB) checkSpace() error {
	if b.o.InMemory {
		return nil
	}
	now := time.Now().UnixNano()
	if now < b.spaceNext.Load() {
		return nil
	}
	free, err := enginehook.FreeSpace(b.o.Dir)
	if err != nil {
		return nil // nothing known: Badger's own errors stand
	}
	margin := b.stageMargin()
	if free < margin {
		return fmt.Errorf("%w: %d MiB free on the filesystem of %s, below the %d MiB the database keeps in reserve; nothing was written: free some space and retry",
			engine.ErrDiskFull, free>>20, b.o.Dir, margin>>20)
	}
	if free > 4*margin {
		b.spaceNext.Store(now + int64(time.Second))
	}
	return nil
}
