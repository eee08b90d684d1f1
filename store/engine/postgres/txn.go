package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"iter"
	"maps"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/scv-go/scv/store/engine"
)

// txn is an [engine.Txn] on one pgx transaction. Its writes wait in
// pending until the transaction commits or a scan needs them; mu keeps
// one statement at a time on the connection (several goroutines may call
// Get in a View).
type txn struct {
	db  *DB
	ctx context.Context
	tx  pgx.Tx

	mu      sync.Mutex
	pending map[string]write
	wrote   []byte // the first bytes of the keys written, for NOTIFY
}

type write struct {
	value []byte
	del   bool
}

var (
	_ engine.Txn          = (*txn)(nil)
	_ engine.SortedGetter = (*txn)(nil)
)

func (db *DB) newTxn(ctx context.Context, tx pgx.Tx) *txn {
	return &txn{db: db, ctx: ctx, tx: tx}
}

// Get implements [engine.Txn].
func (t *txn) Get(key []byte) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w, ok := t.pending[string(key)]; ok {
		if w.del {
			return nil, engine.ErrKeyNotFound
		}
		return slices.Clone(w.value), nil
	}
	var v []byte
	t.db.trips.Add(1)
	err := t.tx.QueryRow(t.ctx, t.db.q.get, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, engine.ErrKeyNotFound
	}
	if err != nil {
		return nil, mapError(err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// GetSorted implements [engine.SortedGetter] with one query for all the
// keys: a page of a listing is one round trip instead of one per profile.
func (t *txn) GetSorted(prefix []byte, keys [][]byte, fn func(int, []byte, error) error) error {
	if len(keys) == 0 {
		return nil
	}
	t.mu.Lock()
	found := make(map[string][]byte, len(keys))
	var ask [][]byte
	for _, k := range keys {
		if w, ok := t.pending[string(k)]; ok {
			if !w.del {
				found[string(k)] = w.value
			}
			continue
		}
		ask = append(ask, k)
	}
	var err error
	if len(ask) > 0 {
		var rows pgx.Rows
		t.db.trips.Add(1)
		rows, err = t.tx.Query(t.ctx, t.db.q.getMany, ask)
		if err == nil {
			for rows.Next() {
				var k, v []byte
				if err = rows.Scan(&k, &v); err != nil {
					break
				}
				found[string(k)] = v
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
	}
	t.mu.Unlock()
	if err != nil {
		return mapError(err)
	}
	for i, k := range keys {
		v, ok := found[string(k)]
		var ferr error
		if ok {
			ferr = fn(i, v, nil)
		} else {
			ferr = fn(i, nil, engine.ErrKeyNotFound)
		}
		if ferr != nil {
			return ferr
		}
	}
	return nil
}

// Set implements [engine.Txn]; the write is sent when the transaction
// commits or a scan runs.
func (t *txn) Set(key, value []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.note(key)
	if t.pending == nil {
		t.pending = map[string]write{}
	}
	if value == nil {
		value = []byte{}
	}
	t.pending[string(key)] = write{value: value}
	return nil
}

// Delete implements [engine.Txn].
func (t *txn) Delete(key []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.note(key)
	if t.pending == nil {
		t.pending = map[string]write{}
	}
	t.pending[string(key)] = write{del: true}
	return nil
}

// note remembers the first byte of a written key, for NOTIFY.
func (t *txn) note(key []byte) {
	b := byte(0)
	if len(key) > 0 {
		b = key[0]
	}
	if !bytes.Contains(t.wrote, []byte{b}) {
		t.wrote = append(t.wrote, b)
	}
}

// flush sends the pending writes in one round trip, with the NOTIFY of
// the transaction's namespaces when last (the commit follows).
func (t *txn) flush(last bool) error {
	if len(t.pending) == 0 && !(last && t.db.notify && len(t.wrote) > 0) {
		return nil
	}
	var setK, setV, delK [][]byte
	for _, k := range slices.Sorted(maps.Keys(t.pending)) { // sorted: concurrent writers lock rows in one order
		w := t.pending[k]
		if w.del {
			delK = append(delK, []byte(k))
		} else {
			setK, setV = append(setK, []byte(k)), append(setV, w.value)
		}
	}
	b := &pgx.Batch{}
	if len(delK) > 0 {
		b.Queue(t.db.q.del, delK)
	}
	if len(setK) > 0 {
		b.Queue(t.db.q.upsert, setK, setV)
	}
	if last && t.db.notify && len(t.wrote) > 0 {
		b.Queue("SELECT pg_notify($1, $2)", t.db.name, hex.EncodeToString(t.wrote))
	}
	t.pending = nil
	t.db.trips.Add(1)
	return mapError(t.tx.SendBatch(t.ctx, b).Close())
}

// Scan implements [engine.Txn]: pages of a key range, the connection free
// between them (the caller may Get and Set while it iterates).
func (t *txn) Scan(prefix, start []byte, keysOnly bool) iter.Seq2[engine.Entry, error] {
	return func(yield func(engine.Entry, error) bool) {
		end := prefixEnd(prefix)
		from := prefix
		if start != nil && bytes.Compare(start, prefix) > 0 {
			from = start
		}
		if from == nil {
			from = []byte{}
		}
		page := 64
		for {
			entries, err := t.page(from, end, page, keysOnly)
			if err != nil {
				yield(engine.Entry{}, err)
				return
			}
			for _, e := range entries {
				if !yield(e, nil) {
					return
				}
			}
			if len(entries) < page {
				return
			}
			from = append(slices.Clone(entries[len(entries)-1].Key), 0)
			page = min(2*page, 2048)
		}
	}
}

// page reads up to n entries from the key from on, below end if it is
// not nil, after sending the pending writes.
func (t *txn) page(from, end []byte, n int, keysOnly bool) ([]engine.Entry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.flush(false); err != nil {
		return nil, err
	}
	var rows pgx.Rows
	var err error
	t.db.trips.Add(1)
	switch {
	case end == nil && keysOnly:
		rows, err = t.tx.Query(t.ctx, t.db.q.scanK, from, n)
	case end == nil:
		rows, err = t.tx.Query(t.ctx, t.db.q.scanKV, from, n)
	case keysOnly:
		rows, err = t.tx.Query(t.ctx, t.db.q.scanKTo, from, n, end)
	default:
		rows, err = t.tx.Query(t.ctx, t.db.q.scanKVTo, from, n, end)
	}
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := make([]engine.Entry, 0, n)
	for rows.Next() {
		var e engine.Entry
		if keysOnly {
			err = rows.Scan(&e.Key)
		} else {
			err = rows.Scan(&e.Key, &e.Value)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, mapError(rows.Err())
}

// prefixEnd returns the first key after every key with prefix, or nil if
// there is none (the prefix is empty or all 0xff).
func prefixEnd(prefix []byte) []byte {
	end := slices.Clone(prefix)
	for len(end) > 0 {
		if end[len(end)-1] < 0xff {
			end[len(end)-1]++
			return end
		}
		end = end[:len(end)-1]
	}
	return nil
}
