package postgres

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dgraph-io/badger/v4/pb"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/scv-go/scv/store/engine"
)

// The snapshot stream is Badger's backup stream (a little-endian uint64
// length, then a protobuf KVList, repeated), so that a backup of either
// engine restores into the other: moving from Badger to PostgreSQL is a
// backup and a restore.

// snapshotList is how many pairs one KVList and one insert carry.
const snapshotList = 512

// bitDelete is Badger's mark of a deletion in a KV's meta byte.
const bitDelete = 1

// Snapshot implements [engine.Snapshotter]: every pair, from one
// REPEATABLE READ snapshot, in key order.
func (db *DB) Snapshot(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	err := db.View(ctx, func(tx engine.Txn) error {
		list := &pb.KVList{}
		for e, err := range tx.Scan(nil, nil, false) {
			if err != nil {
				return err
			}
			list.Kv = append(list.Kv, &pb.KV{Key: e.Key, Value: e.Value, Version: 1, Meta: []byte{0}, UserMeta: []byte{0}})
			if len(list.Kv) == snapshotList {
				if err := writeList(bw, list); err != nil {
					return err
				}
				list.Kv = list.Kv[:0]
			}
		}
		if len(list.Kv) > 0 {
			return writeList(bw, list)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

func writeList(w io.Writer, list *pb.KVList) error {
	buf, err := proto.Marshal(list)
	if err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(buf))); err != nil {
		return err
	}
	_, err = w.Write(buf)
	return err
}

// load inserts the pairs of a snapshot stream in t's transaction. Of a
// key's versions (a Badger backup may hold several, newest first) only
// the newest counts; a deleted or expired one is skipped.
func (db *DB) load(ctx context.Context, tx pgx.Tx, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var last []byte
	var ks, vs [][]byte
	send := func() error {
		if len(ks) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, db.q.upsert, ks, vs)
		ks, vs = nil, nil
		return mapError(err)
	}
	var buf []byte
	now := uint64(time.Now().Unix())
	for {
		var sz uint64
		err := binary.Read(br, binary.LittleEndian, &sz)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("postgres: read snapshot: %w", err)
		}
		if sz > 1<<30 {
			return errors.New("postgres: read snapshot: list too large")
		}
		if uint64(cap(buf)) < sz {
			buf = make([]byte, sz)
		}
		if _, err := io.ReadFull(br, buf[:sz]); err != nil {
			return fmt.Errorf("postgres: read snapshot: %w", err)
		}
		list := &pb.KVList{}
		if err := proto.Unmarshal(buf[:sz], list); err != nil {
			return fmt.Errorf("postgres: read snapshot: %w", err)
		}
		for _, kv := range list.Kv {
			if kv.StreamDone || last != nil && bytes.Equal(kv.Key, last) {
				continue
			}
			last = kv.Key
			if len(kv.Meta) > 0 && kv.Meta[0]&bitDelete != 0 || kv.ExpiresAt != 0 && kv.ExpiresAt <= now {
				continue
			}
			v := kv.Value
			if v == nil {
				v = []byte{}
			}
			ks, vs = append(ks, kv.Key), append(vs, v)
			if len(ks) == snapshotList {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return send()
}

// Replace implements [engine.Snapshotter]: in one transaction, every row
// is deleted and the stream loaded; a failure leaves the table as it was.
func (db *DB) Replace(ctx context.Context, r io.Reader) error {
	return db.Stage(ctx, r, func(engine.KV) error { return nil })
}

// Stage implements [engine.Stager] in one SERIALIZABLE transaction: the
// rows are deleted, the stream loaded and prepare run on the new contents
// (its updates in savepoints), and the commit swaps them in for every
// process at once. An error, a cancellation or a kill before the commit
// leaves the table as it was.
func (db *DB) Stage(ctx context.Context, r io.Reader, prepare func(engine.KV) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return mapError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "DELETE FROM "+db.table); err != nil {
		return mapError(err)
	}
	if err := db.load(ctx, tx, r); err != nil {
		return err
	}
	if err := prepare(&stagedKV{db: db, tx: tx}); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.notify {
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, '')", db.name); err != nil {
			return mapError(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return mapError(err)
	}
	// Every row the restore replaced, and every row prepare purged, is a
	// dead tuple now: reclaim them. The restore is done whatever VACUUM
	// says; autovacuum would get there too.
	db.vacuum(context.WithoutCancel(ctx))
	return nil
}

// stagedKV is the engine passed to a Stage's prepare: transactions inside
// the staging one, each update in a savepoint. Its Purge deletes the rows
// in the staging transaction, and the VACUUM after the commit reclaims
// them.
type stagedKV struct {
	db *DB
	tx pgx.Tx
}

func (s *stagedKV) Update(ctx context.Context, fn func(engine.Txn) error) error {
	if _, err := s.tx.Exec(ctx, "SAVEPOINT scv_stage"); err != nil {
		return mapError(err)
	}
	t := s.db.newTxn(ctx, s.tx)
	err := fn(t)
	if err == nil {
		err = t.flush(false)
	}
	if err != nil {
		if _, rerr := s.tx.Exec(ctx, "ROLLBACK TO SAVEPOINT scv_stage"); rerr != nil {
			return errors.Join(err, rerr)
		}
		return mapError(err)
	}
	_, err = s.tx.Exec(ctx, "RELEASE SAVEPOINT scv_stage")
	return mapError(err)
}

func (s *stagedKV) View(ctx context.Context, fn func(engine.Txn) error) error {
	return mapError(fn(s.db.newTxn(ctx, s.tx)))
}

func (s *stagedKV) Close() error { return nil }

var _ engine.Purger = (*stagedKV)(nil)

func (s *stagedKV) Purge(ctx context.Context, prefixes ...[]byte) error {
	return s.db.deletePrefixes(ctx, s.tx, prefixes)
}
