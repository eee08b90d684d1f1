package badger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"

	bdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/scv-go/scv/store/engine"
)

var _ engine.BulkWriter = (*DB)(nil)

// bulkBuffer is how many bytes of pairs BulkWrite hands Badger's
// StreamWriter at a time.
const bulkBuffer = 16 << 20

// BulkWrite implements [engine.BulkWriter] with Badger's StreamWriter,
// which builds the tables of the LSM tree directly from the sorted pairs:
// no memtables, no compactions. The StreamWriter's Flush is the commit
// point. Before it starts, BulkWrite copies what the database holds (the
// store calls it on a database that holds only its metadata); if the
// write fails or ctx is cancelled, it cancels the StreamWriter, drops what
// it wrote and puts that copy back. A process killed in the middle leaves
// a database holding part of the pairs, or nothing.
func (b *DB) BulkWrite(ctx context.Context, pairs iter.Seq2[engine.Entry, error]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var before []engine.Entry
	err := b.db.View(func(txn *bdb.Txn) error {
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
	buf := z.NewBuffer(bulkBuffer+bulkBuffer/4, "scv.BulkWrite")
	defer func() { _ = buf.Release() }()
	var last []byte
	for e, err := range pairs {
		if err != nil {
			return fail(err)
		}
		if last != nil && bytes.Compare(e.Key, last) <= 0 {
			return fail(errors.New("badger: bulk write: keys not in ascending order"))
		}
		last = append(last[:0], e.Key...)
		bdb.KVToBuffer(&pb.KV{Key: e.Key, Value: e.Value, Version: 1}, buf)
		if buf.LenNoPadding() >= bulkBuffer {
			if err := ctx.Err(); err != nil {
				return fail(err)
			}
			if err := sw.Write(buf); err != nil {
				return fail(fmt.Errorf("badger: bulk write: %w", err))
			}
			buf.Reset()
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := sw.Write(buf); err != nil {
		return fail(fmt.Errorf("badger: bulk write: %w", err))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := sw.Flush(); err != nil {
		return b.putBack(before, fmt.Errorf("badger: bulk write: %w", err))
	}
	return nil
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
