// Package badger is the embedded engine of package store, on
// github.com/dgraph-io/badger/v4: one process opens a database directory
// (a second gets [engine.ErrLocked]), every commit synced by default.
// It implements [engine.KV] and the optional [engine.Purger],
// [engine.Snapshotter], [engine.Stager], [engine.Maintainer],
// [engine.Notifier] and [engine.Exclusive].
package badger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/pb"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/store/engine"
)

// Options configures [Open]. The zero value (with Dir set) is
// the documented default: durable commits, Badger's encryption at rest off
// (the store turns it on by passing EncryptionKey), about 450 MiB of
// caches and memtables, values from 160 bytes in the value log, and the
// value log's maps marked as read at random (see Readahead).
type Options struct {
	// Dir is the database directory. It is created if missing.
	Dir string
	// InMemory keeps everything in memory and writes nothing to disk. It
	// is meant for unit tests; Dir must be empty.
	InMemory bool
	// NoSync turns off the fsync after each commit. By default every
	// commit is synced before Update returns, so an acknowledged write
	// survives a crash or power loss; with NoSync, writes acknowledged in
	// roughly the last second may be lost on power loss (not on a process
	// crash: the OS still has them).
	NoSync bool
	// EncryptionKey turns on Badger's own encryption at rest (AES-CTR on
	// tables and logs) with a 16, 24 or 32-byte key. It is a second layer
	// under the store's own sealing.
	EncryptionKey []byte
	// MemTableSize is the size of one memtable; default 64 MiB. Badger
	// keeps up to NumMemtables of them in memory.
	MemTableSize int64
	// NumMemtables bounds memtables in memory; default 3.
	NumMemtables int
	// BlockCacheSize is the cache of decompressed, decrypted table blocks;
	// default 128 MiB.
	BlockCacheSize int64
	// IndexCacheSize is the cache of table indexes and bloom filters;
	// default 64 MiB. Without it Badger keeps every index in memory.
	IndexCacheSize int64
	// ValueThreshold is the size from which a value is kept in Badger's
	// value log rather than in its LSM tree; default 160 bytes, which
	// sends sealed profiles (800 bytes and up) and sealed records (R,
	// 200-350 bytes) to the log and keeps the index entries (S, F, B:
	// under 30 bytes; I: 1 byte and 16 per profile listing the
	// identifier, so only a hub's can reach the log) and wrapped data keys
	// (94) in the tree. Sealed profiles, rewritten by every record that
	// reaches them, are then written once to the log instead of again by
	// every memtable flush and compaction, and the tree holds keys and
	// small entries only (measured with cmd/scvbench at 1,000,000
	// records: profiles in the log, 1.9x the ingest rate of every value in
	// the tree; records there too, 1.11-1.23x more over four runs, a live
	// heap of 236 MiB instead of 550, and a rate at 1,000,000 records
	// 0.68-0.76 of the rate at 100,000 instead of 0.64). Wrapped data keys
	// (K, 94 bytes) stay in the tree whatever the threshold (a smaller one
	// is raised to 95), so an erasure's purge still removes every version
	// of them; the sealed copies left in the value log are unreadable
	// without them. Ignored InMemory, where there is no value log.
	ValueThreshold int64
	// ValueLogFileSize is the size at which Badger starts a new value log
	// file; default 256 MiB. Badger maps the file it writes into memory,
	// so this bounds the written pages counted in the process's resident
	// set, and value-log GC rewrites one file at a time.
	ValueLogFileSize int64
	// Readahead keeps the kernel's readahead on the value-log files Badger
	// maps. By default the store marks them as read at random (Linux
	// only): a value read faults in its own pages, not the device's
	// readahead around them, which matters once the database is larger
	// than the memory left for its files (measured in a 1 GiB cgroup at
	// 1,000,000 records, see docs/benchmarks.md). Set it when the value log is
	// mostly read in order, as by value-log GC, and memory is plenty.
	Readahead bool
	// Logger receives Badger's warnings and errors; nil means
	// slog.Default(). Badger's informational messages are dropped.
	Logger *slog.Logger
}

// DB is the [engine.KV] implementation on github.com/dgraph-io/badger/v4. It
// also implements [engine.Purger], [engine.Snapshotter], [engine.Stager],
// [engine.Maintainer], [engine.Notifier] and [engine.Exclusive].
// A DB is safe for concurrent use.
type DB struct {
	// mu guards db, which BulkWrite and Stage replace, and replaced,
	// closed when they do: every use holds it for reading, a replacement
	// for writing. No method may be called from within another's
	// callback while it holds mu (a View inside a View): a replacement
	// waiting in between would deadlock them.
	mu         sync.RWMutex
	db         *bdb.DB
	replaced   chan struct{}
	o          Options
	spaceNext  atomic.Int64  // unix nanoseconds before which checkSpace need not look again
	stop, done chan struct{} // the advice loop's, when it runs
	closeOnce  sync.Once
	// purgeGroupDone is called between Purge's calls to DropPrefix, for
	// tests.
	purgeGroupDone func()
}

var (
	_ engine.KV          = (*DB)(nil)
	_ engine.Purger      = (*DB)(nil)
	_ engine.Snapshotter = (*DB)(nil)
	_ engine.Maintainer  = (*DB)(nil)
	_ engine.Notifier    = (*DB)(nil)
	_ engine.Stager      = (*DB)(nil)
	_ engine.Exclusive   = (*DB)(nil)
)

// Open opens or creates a Badger database. It returns an error
// wrapping [engine.ErrLocked] when another process has the directory open, and
// one wrapping [ErrWrongEncryptionKey] when EncryptionKey does not match
// the key the database was created with.
func Open(o Options) (*DB, error) {
	if o.InMemory == (o.Dir != "") {
		return nil, errors.New("badger: set exactly one of Dir and InMemory")
	}
	if !o.InMemory {
		o.Dir = filepath.Clean(o.Dir)
		if err := recoverSwap(o.Dir); err != nil {
			return nil, err
		}
	}
	db, err := bdb.Open(o.Options())
	if err != nil {
		return nil, mapOpenError(err)
	}
	b := &DB{db: db, o: o, replaced: make(chan struct{})}
	if !o.InMemory {
		// With the directory locked, what a restore left beside it (the
		// data it was building, or the data it replaced) goes.
		removeStaging(o.Dir)
	}
	if adviseSupported && !o.InMemory && !o.Readahead {
		b.stop, b.done = make(chan struct{}), make(chan struct{})
		go adviseLoop(canonicalDir(o.Dir), b.stop, b.done)
	}
	return b, nil
}

// adviseEvery is how often an open database marks the value-log files
// Badger has mapped since it last looked.
const adviseEvery = 2 * time.Second

// adviseLoop marks the value-log maps of dir as read at random
// ([adviseRandom]) at once and then every adviseEvery, as Badger adds
// files, until stop is closed; it closes done when it returns.
func adviseLoop(dir string, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	adviseRandom(dir)
	t := time.NewTicker(adviseEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			adviseRandom(dir)
		}
	}
}

// canonicalDir is dir as /proc/self/maps names the files in it.
func canonicalDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// Options returns the Badger options OpenBadger opens the database with:
// o's settings over the store's defaults. A benchmark comparing the store
// with Badger alone uses them to run Badger exactly as the store does.
func (o Options) Options() bdb.Options {
	opt := bdb.DefaultOptions(o.Dir).
		WithInMemory(o.InMemory).
		WithSyncWrites(!o.NoSync).
		WithLogger(badgerLogger{o.Logger}).
		WithCompression(options.None). // keys are random and values sealed: nothing compresses
		WithMemTableSize(orDefault(o.MemTableSize, 64<<20)).
		WithNumMemtables(int(orDefault(int64(o.NumMemtables), 3))).
		WithBlockCacheSize(orDefault(o.BlockCacheSize, 128<<20)).
		WithIndexCacheSize(orDefault(o.IndexCacheSize, 64<<20)).
		WithValueLogFileSize(orDefault(o.ValueLogFileSize, 256<<20)).
		WithNumCompactors(2).
		WithMetricsEnabled(false)
	if !o.InMemory { // in memory there is no value log: every value stays in the tree
		// A value goes to the log from the threshold up: never a wrapped
		// data key, whose every version a purge must be able to drop.
		opt = opt.WithValueThreshold(max(orDefault(o.ValueThreshold, 160), crypto.WrappedKeySize+1))
	}
	if len(o.EncryptionKey) > 0 {
		opt = opt.WithEncryptionKey(o.EncryptionKey)
	}
	return opt
}

// ErrWrongEncryptionKey is returned by [Open] when the at-rest
// encryption key does not match the database.
var ErrWrongEncryptionKey = errors.New("badger: wrong at-rest encryption key")

func mapOpenError(err error) error {
	switch {
	case errors.Is(err, bdb.ErrEncryptionKeyMismatch):
		return fmt.Errorf("%w: %w", ErrWrongEncryptionKey, err)
	case errors.Is(err, syscall.EWOULDBLOCK), strings.Contains(err.Error(), "Cannot acquire directory lock"):
		return fmt.Errorf("%w: %w", engine.ErrLocked, err)
	case strings.Contains(err.Error(), "checksum for data key"):
		return fmt.Errorf("%w: KEYREGISTRY (Badger's registry of at-rest data keys) fails its checksum, and the data cannot be decrypted without it; restore a backup (%v)", engine.ErrDamaged, err)
	case strings.Contains(err.Error(), "checksum mismatch"), strings.Contains(err.Error(), "CHECKSUM_MISMATCH"):
		return fmt.Errorf("%w: %v; restore a backup", engine.ErrDamaged, err)
	}
	return fmt.Errorf("badger: open badger: %w", err)
}

func orDefault(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

// Update implements [engine.KV].
func (b *DB) Update(ctx context.Context, fn func(engine.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	wrote := false
	if err := fn(badgerTxn{txn, &wrote}); err != nil {
		return mapTxnError(err)
	}
	if wrote {
		if err := b.checkSpace(); err != nil {
			return err
		}
	}
	return mapTxnError(txn.Commit())
}

// View implements [engine.KV].
func (b *DB) View(ctx context.Context, fn func(engine.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	txn := b.db.NewTransaction(false)
	defer txn.Discard()
	return mapTxnError(fn(badgerTxn{txn: txn}))
}

// Close implements [engine.KV].
func (b *DB) Close() error {
	b.closeOnce.Do(func() {
		if b.stop != nil {
			close(b.stop)
			<-b.done
		}
	})
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.db.Close()
}

// errKeyNotFound is Badger's ErrKeyNotFound as the engine reports it,
// made once: an ingest misses many keys (a new record's tag, its
// identifiers' index entries), and each miss would otherwise allocate
// its wrapping.
var errKeyNotFound = fmt.Errorf("%w: %w", engine.ErrKeyNotFound, bdb.ErrKeyNotFound)

func mapTxnError(err error) error {
	switch {
	case err == nil:
		return nil
	case err == bdb.ErrKeyNotFound:
		return errKeyNotFound
	case errors.Is(err, bdb.ErrConflict) && !errors.Is(err, engine.ErrConflict):
		return fmt.Errorf("%w: %w", engine.ErrConflict, err)
	case errors.Is(err, bdb.ErrTxnTooBig) && !errors.Is(err, engine.ErrTxnTooBig):
		return fmt.Errorf("%w: %w", engine.ErrTxnTooBig, err)
	case errors.Is(err, bdb.ErrKeyNotFound) && !errors.Is(err, engine.ErrKeyNotFound):
		return fmt.Errorf("%w: %w", engine.ErrKeyNotFound, err)
	}
	return err
}

// badgerTxn is a [engine.Txn] on Badger; wrote, in a read-write transaction, is
// set by the first write.
type badgerTxn struct {
	txn   *bdb.Txn
	wrote *bool
}

func (t badgerTxn) Get(key []byte) ([]byte, error) {
	item, err := t.txn.Get(key)
	if err != nil {
		return nil, mapTxnError(err)
	}
	return item.ValueCopy(nil)
}

// GetFunc implements [FuncGetter].
func (t badgerTxn) GetFunc(key []byte, fn func([]byte) error) error {
	item, err := t.txn.Get(key)
	if err != nil {
		return mapTxnError(err)
	}
	return item.Value(fn)
}

// sortedSteps is how many entries GetSorted steps over towards the next
// key before it seeks instead: a step is one move of a merge iterator, a
// seek a binary search in every table the prefix spans.
const sortedSteps = 8

// GetSorted implements [SortedGetter] with one iterator, moved forward by
// steps while the next key is near and by a seek when it is not.
func (t badgerTxn) GetSorted(prefix []byte, keys [][]byte, fn func(int, []byte, error) error) error {
	if len(keys) == 0 {
		return nil
	}
	opt := bdb.DefaultIteratorOptions
	opt.Prefix = prefix
	opt.PrefetchValues = false
	it := t.txn.NewIterator(opt)
	defer it.Close()
	it.Seek(keys[0])
	var buf []byte
	for i, k := range keys {
		for steps := 0; it.ValidForPrefix(prefix) && bytes.Compare(it.Item().Key(), k) < 0; steps++ {
			if steps == sortedSteps {
				it.Seek(k)
				break
			}
			it.Next()
		}
		if !it.ValidForPrefix(prefix) || !bytes.Equal(it.Item().Key(), k) {
			if err := fn(i, nil, engine.ErrKeyNotFound); err != nil {
				return err
			}
			continue
		}
		var err error
		buf, err = it.Item().ValueCopy(buf[:0])
		if err != nil {
			return err
		}
		if err := fn(i, buf, nil); err != nil {
			return err
		}
	}
	return nil
}

func (t badgerTxn) Set(key, value []byte) error {
	if t.wrote != nil {
		*t.wrote = true
	}
	err := t.txn.Set(key, value)
	if err != nil && strings.Contains(err.Error(), " exceeded ") {
		// Badger's message dumps the first KiB of the key or value in
		// hex: a sealed profile, or a key holding a blind index.
		return fmt.Errorf("store: a key of %d bytes or a value of %d bytes is over Badger's limit (ValueLogFileSize)", len(key), len(value))
	}
	return mapTxnError(err)
}

func (t badgerTxn) Delete(key []byte) error {
	if t.wrote != nil {
		*t.wrote = true
	}
	return mapTxnError(t.txn.Delete(key))
}

func (t badgerTxn) Scan(prefix, start []byte, keysOnly bool) iter.Seq2[engine.Entry, error] {
	return func(yield func(engine.Entry, error) bool) {
		opt := bdb.DefaultIteratorOptions
		opt.Prefix = prefix
		opt.PrefetchValues = !keysOnly
		it := t.txn.NewIterator(opt)
		defer it.Close()
		if start == nil {
			start = prefix
		}
		for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
			item := it.Item()
			e := engine.Entry{Key: item.Key()}
			if !keysOnly {
				v, err := item.ValueCopy(nil)
				if err != nil {
					yield(engine.Entry{}, err)
					return
				}
				e.Value = v
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Purge implements [engine.Purger] with Badger's DropPrefix, which rewrites the
// tables and memtables that hold the prefixes so that no version of those
// keys remains in any live file. It blocks writes while it runs.
func (b *DB) Purge(ctx context.Context, prefixes ...[]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(prefixes) == 0 {
		return nil
	}
	if err := b.checkSpace(); err != nil {
		return err
	}
	// DropPrefix skips a prefix under which no live key remains, and that
	// is how an erased profile's key arrives: deleted in the erasing
	// transaction, its older versions still in the tables. An empty value
	// at each prefix makes it live for DropPrefix, which then drops it
	// with every version of every key under the prefix. Readers take an
	// empty profile entry for none (see the store's profile reads).
	// Every marker is written before the first drop: a purge that stops
	// midway leaves the rest live, and the store's retry finds them
	// (the feed's and the quarantine's erased entries are found so).
	b.mu.RLock()
	defer b.mu.RUnlock()
	err := b.db.Update(func(txn *bdb.Txn) error {
		for _, p := range prefixes {
			if err := txn.Set(p, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return mapTxnError(err)
	}
	for i, group := range purgeGroups(prefixes, b.db.Tables()) {
		if i > 0 {
			if b.purgeGroupDone != nil {
				b.purgeGroupDone()
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := b.db.DropPrefix(group...); err != nil {
			return err
		}
	}
	return nil
}

// purgeGroups sorts prefixes and splits them by the tables of the
// deepest level of tables, the one holding most keys: a group for the
// prefixes within one table's range. DropPrefix rewrites every table
// that holds a prefix and compares each of its keys with every prefix,
// so a call for all of them costs the keys of every table they touch
// times their number. Erasing the receiver of 10,000 buyers purges
// their 10,000 old data keys, spread over all the tables of that
// namespace: in a database of 1,000,000 records one call took 25 s,
// holding every write. A call per table touches one table each.
func purgeGroups(prefixes [][]byte, tables []bdb.TableInfo) [][][]byte {
	prefixes = slices.SortedFunc(slices.Values(prefixes), bytes.Compare)
	prefixes = slices.CompactFunc(prefixes, bytes.Equal)
	deepest := -1
	for _, t := range tables {
		deepest = max(deepest, t.Level)
	}
	// The right ends of the deepest level's tables, without the 8-byte
	// version Badger appends to every key.
	var rights [][]byte
	for _, t := range tables {
		if t.Level == deepest && len(t.Right) > 8 {
			rights = append(rights, t.Right[:len(t.Right)-8])
		}
	}
	slices.SortFunc(rights, bytes.Compare)
	var groups [][][]byte
	last := -1
	for _, p := range prefixes {
		// The first table whose right end is not before p: p's keys, if
		// any, are there (or, past every table, in none of them).
		i, _ := slices.BinarySearchFunc(rights, p, bytes.Compare)
		if len(groups) == 0 || i != last {
			groups = append(groups, nil)
			last = i
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], p)
	}
	return groups
}

// Snapshot implements [engine.Snapshotter] with Badger's backup stream.
func (b *DB) Snapshot(ctx context.Context, w io.Writer) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	stream := b.db.NewStream()
	stream.LogPrefix = "store.Snapshot"
	_, err := stream.Backup(w, 0)
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// Replace implements [engine.Snapshotter]: DropAll, then Load.
func (b *DB) Replace(ctx context.Context, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.db.DropAll(); err != nil {
		return fmt.Errorf("badger: drop before restore: %w", err)
	}
	return b.db.Load(r, 256)
}

// Maintain implements [engine.Maintainer]: it runs value-log garbage collection
// until a pass finds nothing worth rewriting. Badger discards overwritten
// and deleted versions in the LSM tree during its background compactions;
// values kept in the value log (from [Options].ValueThreshold, by
// default 160 bytes: sealed profiles and records) need this call.
func (b *DB) Maintain(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := b.checkSpace(); err != nil {
			return err
		}
		b.mu.RLock()
		err := b.db.RunValueLogGC(0.5)
		b.mu.RUnlock()
		if errors.Is(err, bdb.ErrNoRewrite) || errors.Is(err, bdb.ErrRejected) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Notify implements [engine.Notifier] with Badger's Subscribe. When
// BulkWrite or Stage replaces the database, it subscribes to the new one.
func (b *DB) Notify(ctx context.Context, prefix []byte, fn func()) error {
	for {
		b.mu.RLock()
		db, replaced := b.db, b.replaced
		b.mu.RUnlock()
		// A subscription to a database closed since it was read would
		// never end: it ends when the database is replaced.
		sctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-replaced:
				cancel()
			case <-sctx.Done():
			}
		}()
		err := db.Subscribe(sctx, func(*bdb.KVList) error { fn(); return nil },
			[]pb.Match{{Prefix: prefix}})
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		// A replacement closes the old database, which ends its
		// subscriptions, before it opens the new one and closes
		// replaced, all under mu: waiting for mu tells a replacement
		// from a Close.
		b.mu.RLock()
		now := b.replaced
		b.mu.RUnlock()
		if now != replaced {
			continue
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil
		}
		return err
	}
}

// VerifyChecksums checks the checksum of every block of every table; the
// error names the table file that fails.
func (b *DB) VerifyChecksums() error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.db.VerifyChecksum()
}

// Size returns the bytes on disk of the LSM tree and the value log.
func (b *DB) Size() (lsm, vlog int64) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.db.Size()
}

// badgerLogger drops Badger's chatter and passes warnings and errors on.
// Badger's messages name files and key prefixes, never values.
type badgerLogger struct{ l *slog.Logger }

func (l badgerLogger) logger() *slog.Logger {
	if l.l != nil {
		return l.l
	}
	return slog.Default()
}

func (l badgerLogger) Errorf(f string, a ...any) {
	l.logger().Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (l badgerLogger) Warningf(f string, a ...any) {
	l.logger().Warn("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

// Exclusive implements [engine.Exclusive]: Badger's directory lock keeps
// other processes out.
func (b *DB) Exclusive() bool { return true }
