package badger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"

	bdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/scv-go/scv/store/engine"
)

var _ engine.BulkWriter = (*DB)(nil)

// bulkBuffer is how many bytes of pairs BulkWrite hands Badger's
// StreamWriter at a time, from each of its two buffers. Each Write call
// syncs the value log (the store opens Badger with SyncWrites): smaller
// buffers sync more often.
const bulkBuffer = 16 << 20

// BulkWrite implements [engine.BulkWriter] with Badger's StreamWriter,
// which builds the tables of the LSM tree directly from the sorted pairs:
// no memtables, no compactions. The StreamWriter's Flush is the commit
// point. Before it starts, BulkWrite copies what the database holds (the
// store calls it on a database that holds only its metadata); if the
// write fails or ctx is cancelled, it cancels the StreamWriter, drops what
// it wrote and puts that copy back. A process killed in the middle leaves
// a database holding part of the pairs, or nothing. Transactions started
// meanwhile wait until it returns.
func (b *DB) BulkWrite(ctx context.Context, pairs iter.Seq2[engine.Entry, error]) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Transactions wait until the write is done: Badger's StreamWriter
	// deadlocks with read transactions beside it (its Flush waits for
	// the oracle's watermark, which their reads wait on).
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db.IsClosed() {
		// Closed by Close, or by a reopen that failed: not opened again.
		return fmt.Errorf("badger: bulk write: %w", bdb.ErrDBClosed)
	}
	if !b.o.InMemory {
		// In memory the database cannot be closed and opened again.
		if err := b.reopenLocked(b.o.bulkOptions()); err != nil {
			if rerr := b.reopenLocked(b.o.Options()); rerr != nil {
				err = errors.Join(err, fmt.Errorf("reopen: %w", rerr))
			}
			return fmt.Errorf("badger: bulk write: %w", err)
		}
		defer func() {
			if rerr := b.reopenLocked(b.o.Options()); rerr != nil {
				err = errors.Join(err, fmt.Errorf("badger: bulk write: reopen: %w", rerr))
			}
		}()
	}
	var before []engine.Entry
	err = b.db.View(func(txn *bdb.Txn) error {
		it := txn.NewIterator(bdb.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			before = append(before, engine.Entry{Key: it.Item().KeyCopy(nil), Value: v})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("badger: bulk write: %w", err)
	}
	sw := b.db.NewStreamWriter()
	if err := sw.Prepare(); err != nil {
		sw.Cancel()
		return b.putBack(before, fmt.Errorf("badger: bulk write: %w", err))
	}
	fail := func(err error) error {
		sw.Cancel()
		return b.putBack(before, err)
	}
	// The pairs are encoded into one buffer while the StreamWriter
	// writes the other (its value log and encryption take as long as
	// merging and encoding the pairs), so that the two overlap.
	var bufs [2]*z.Buffer
	for i := range bufs {
		bufs[i] = z.NewBuffer(bulkBuffer+bulkBuffer/4, "scv.BulkWrite")
		defer func() { _ = bufs[i].Release() }()
	}
	free := make(chan *z.Buffer, len(bufs))
	full := make(chan *z.Buffer)
	var werr error // the writer's error, read once it has returned
	var failed atomic.Bool
	written := make(chan struct{})
	go func() {
		defer close(written)
		for buf := range full {
			if werr == nil {
				if err := sw.Write(buf); err != nil {
					werr = fmt.Errorf("badger: bulk write: %w", err)
					failed.Store(true)
				}
			}
			buf.Reset()
			free <- buf
		}
	}()
	// stop hands the writer its last buffer, if any, waits for it to
	// finish and returns the first error of ctx, the pairs and the
	// writer.
	stop := func(last *z.Buffer, err error) error {
		if last != nil && err == nil {
			full <- last
		}
		close(full)
		<-written
		if err == nil {
			err = werr
		}
		if err == nil {
			err = ctx.Err()
		}
		return err
	}
	buf := bufs[0]
	free <- bufs[1]
	var last []byte
	for e, err := range pairs {
		if err != nil {
			return fail(stop(nil, err))
		}
		if last != nil && bytes.Compare(e.Key, last) <= 0 {
			return fail(stop(nil, errors.New("badger: bulk write: keys not in ascending order")))
		}
		last = append(last[:0], e.Key...)
		bdb.KVToBuffer(&pb.KV{Key: e.Key, Value: e.Value, Version: 1}, buf)
		if buf.LenNoPadding() >= bulkBuffer {
			if err := ctx.Err(); err != nil {
				return fail(stop(nil, err))
			}
			full <- buf
			buf = <-free
			if failed.Load() {
				break // stop returns the writer's error
			}
		}
	}
	if err := stop(buf, ctx.Err()); err != nil {
		return fail(err)
	}
	if err := sw.Flush(); err != nil {
		return b.putBack(before, fmt.Errorf("badger: bulk write: %w", err))
	}
	return nil
}

// bulkOptions are the options BulkWrite opens the database with while
// it streams. Badger's StreamWriter builds tables of the last level's
// size (64 MiB with the store's options) in buffers of twice that, two
// at a time, and Prepare makes a memtable it never fills (83 MiB): about
// 340 MiB of Go heap, most of it never touched, which under a soft
// memory limit kept the collector running through the whole write (at
// 1,000,000 records the write took 24 s instead of 11). Tables of 16 MiB
// and a memtable of 8 MiB take about 75 MiB. The tables stay as written;
// compactions make the tables they write the usual size.
func (o Options) bulkOptions() bdb.Options {
	return o.Options().WithBaseTableSize(512 << 10).WithMemTableSize(8 << 20)
}

// reopenLocked closes the database and opens it again with opt; b.mu
// must be held for writing. If it cannot open it, the database stays
// closed and every call fails.
func (b *DB) reopenLocked(opt bdb.Options) error {
	if !b.db.IsClosed() {
		if err := b.db.Close(); err != nil {
			return fmt.Errorf("close: %w", err)
		}
	}
	db, err := bdb.Open(opt)
	if err != nil {
		return mapOpenError(err)
	}
	b.replace(db)
	return nil
}

// replace puts db in place of the database, and tells Notify; b.mu must
// be held for writing.
func (b *DB) replace(db *bdb.DB) {
	b.db = db
	if b.replaced != nil {
		close(b.replaced)
	}
	b.replaced = make(chan struct{})
}

// putBack drops whatever a failed bulk write left and writes the pairs
// the database held before it, returning cause joined with any error of
// its own.
func (b *DB) putBack(before []engine.Entry, cause error) error {
	if err := b.db.DropAll(); err != nil {
		return errors.Join(cause, fmt.Errorf("badger: drop a failed bulk write: %w", err))
	}
	wb := b.db.NewWriteBatch()
	defer wb.Cancel()
	for _, e := range before {
		if err := wb.Set(e.Key, e.Value); err != nil {
			return errors.Join(cause, fmt.Errorf("badger: restore after a failed bulk write: %w", err))
		}
	}
	if err := wb.Flush(); err != nil {
		return errors.Join(cause, fmt.Errorf("badger: restore after a failed bulk write: %w", err))
	}
	return cause
}
