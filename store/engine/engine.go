// Package engine holds the interfaces between the store and the
// transactional key-value engines under it, as database/sql/driver does
// for database/sql: [KV] and [Txn], the optional capabilities an engine
// may add ([SortedGetter], [FuncGetter], [Purger], [Snapshotter],
// [Stager], [Maintainer], [Notifier], [Exclusive], [BulkWriter]), and the errors every
// engine returns.
//
// Two engines implement it: package badger (embedded, one process, the
// default) and package postgres (PostgreSQL and Postgres-wire engines,
// many processes). Package store is written against these interfaces
// only.
//
// # Contract
//
// Transactions are serialisable, or snapshot-isolated with conflict
// detection on every key read: a transaction that read a key another
// transaction wrote since it began fails to commit with [ErrConflict],
// and the caller retries it whole. The store never relies on range scans
// for uniqueness, so engines that track only point reads are safe.
package engine

import (
	"context"
	"errors"
	"io"
	"iter"
)

// KV is the transactional key-value engine under the store: the seam that
// lets engines other than Badger carry the same data.
//
// The store needs little from an engine: serialisable (or snapshot-isolated
// with read-set conflict detection) transactions with point reads, writes,
// deletes and ordered prefix iteration, and an error to retry when two
// transactions conflict. Badger provides it on one machine (package badger);
// a distributed transactional engine (TiKV's transactional API,
// FoundationDB, or a Postgres-wire database such as CockroachDB over a
// table of (key bytea primary key, value bytea)) provides the same
// contract across machines. The store never relies on range scans for
// uniqueness: every uniqueness decision is a point read of a key that a
// concurrent writer would also write, so engines that track only point
// reads for conflicts (as Badger does) are safe.
//
// Implementations are safe for concurrent use.
type KV interface {
	// Update runs fn in a read-write transaction and commits it if fn
	// returns nil. It returns an error wrapping [ErrConflict] when the
	// commit conflicts with a concurrent transaction (the caller retries
	// the whole function), and [ErrTxnTooBig] when the transaction grew
	// past the engine's limit.
	Update(ctx context.Context, fn func(Txn) error) error
	// View runs fn in a read-only snapshot.
	View(ctx context.Context, fn func(Txn) error) error
	// Close releases the engine. Transactions must not be running.
	Close() error
}

// Txn is one transaction. It is valid only inside the function passed to
// [KV.Update] or [KV.View]. A Txn is used by one goroutine at a time, with
// one exception an engine must allow: in a [KV.View] transaction, with no
// Scan running, several goroutines may call Get at once (listings read a
// page of profiles on every core).
type Txn interface {
	// Get returns the value at key, or an error wrapping [ErrKeyNotFound].
	// The returned slice is valid until the transaction ends; a caller that
	// keeps it must copy it.
	Get(key []byte) ([]byte, error)
	// Set writes value at key. The engine may keep key and value until
	// commit: the caller must not modify them afterwards.
	Set(key, value []byte) error
	// Delete removes key.
	Delete(key []byte) error
	// Scan iterates over the keys with the given prefix in ascending order,
	// starting at start (inclusive) when start is not nil. With keysOnly,
	// entries carry no value, which engines answer much faster. Entries are
	// valid until the next step of the iteration.
	Scan(prefix, start []byte, keysOnly bool) iter.Seq2[Entry, error]
}

// SortedGetter is implemented by transactions that read many keys given
// in ascending order faster than a point read each: Badger steps one
// iterator along them instead of searching every level of its tree for
// each key. Listings use it to read a page of profiles. The same
// concurrency rule as for Get holds: in a [KV.View] transaction several
// goroutines may call it at once.
type SortedGetter interface {
	// GetSorted calls fn for each of keys (ascending, each starting with
	// prefix) with its value, valid only during the call, or an error
	// wrapping [ErrKeyNotFound]. It stops at the first error fn returns.
	GetSorted(prefix []byte, keys [][]byte, fn func(i int, value []byte, err error) error) error
}

// FuncGetter is implemented by transactions that can hand a value to a
// function without copying it out of the engine's buffers (Badger's Get
// copies). Point reads of profiles use it: the sealed profile, a
// kilobyte or more, is opened where it lies. The concurrency rule of Get
// holds.
type FuncGetter interface {
	// GetFunc calls fn with the value at key, valid only during the call,
	// and returns fn's error, or an error wrapping [ErrKeyNotFound]
	// without calling fn. fn may run under an engine lock (Badger holds
	// a read lock on the value-log file): it must not use the
	// transaction, and should be short.
	GetFunc(key []byte, fn func(value []byte) error) error
}

// Entry is one key-value pair yielded by [Txn.Scan].
type Entry struct {
	Key   []byte
	Value []byte
}

// Purger is implemented by engines that can remove every stored version of
// the keys with some prefixes, not just hide them behind a deletion marker.
// The store uses it to shred a profile's wrapped data key.
type Purger interface {
	Purge(ctx context.Context, prefixes ...[]byte) error
}

// Snapshotter is implemented by engines that can write every live key to a
// stream and replace their whole contents with such a stream.
type Snapshotter interface {
	// Snapshot writes every live key-value pair to w.
	Snapshot(ctx context.Context, w io.Writer) error
	// Replace drops every key and loads the pairs written by Snapshot. No
	// other transaction may run while it does.
	Replace(ctx context.Context, r io.Reader) error
}

// Stager is implemented by engines that can build a replacement of their
// whole contents beside the live one and swap it in in one step, so that
// a restore that fails, is cancelled or is killed before the swap leaves
// the contents as they were.
type Stager interface {
	// Stage loads the pairs written by [Snapshotter.Snapshot] from r into
	// a new, empty engine beside this one, calls prepare with it, and if
	// both succeed swaps it in for the current contents in one step. The
	// engine passed to prepare is valid only during the call; prepare
	// must not close it. On an error before the swap the current
	// contents are untouched. No other transaction may run while Stage
	// does.
	Stage(ctx context.Context, r io.Reader, prepare func(KV) error) error
}

// Maintainer is implemented by engines that reclaim the space of old
// versions only when asked.
type Maintainer interface {
	// Maintain reclaims space held by deleted and overwritten values.
	Maintain(ctx context.Context) error
}

// Notifier is implemented by engines that can tell when keys with a prefix
// change, so a change feed need not poll.
type Notifier interface {
	// Notify calls fn (from another goroutine, without blocking the
	// writer) after every commit that writes a key with the prefix, until
	// ctx is done. It returns when ctx is done or on error.
	Notify(ctx context.Context, prefix []byte, fn func()) error
}

// Errors returned by KV implementations, wrapped.
var (
	// ErrKeyNotFound is returned by [Txn.Get] for a missing key.
	ErrKeyNotFound = errors.New("engine: key not found")
	// ErrConflict is returned by [KV.Update] when a concurrent transaction
	// wrote a key this one read; the store retries.
	ErrConflict = errors.New("engine: transaction conflict")
	// ErrTxnTooBig is returned by [KV.Update] when the transaction exceeds
	// the engine's size limit; the store splits its batch.
	ErrTxnTooBig = errors.New("engine: transaction too big")
	// ErrLocked is returned when another process holds the database.
	ErrLocked = errors.New("engine: database is locked by another process")
	// ErrDiskFull is returned, wrapped with the directory and the space
	// left, when an operation stops because the filesystem is (nearly)
	// full. What it was writing is left as it was before.
	ErrDiskFull = errors.New("engine: not enough free disk space")
	// ErrDamaged is returned when the engine's own files are damaged
	// (Badger's key registry, a table); the error names the file.
	ErrDamaged = errors.New("engine: database files are damaged")
)

// BulkWriter is implemented by engines that can load a whole database
// from key-value pairs in ascending key order much faster than
// transactions can write them (Badger writes its tables directly, without
// compactions). The store's bulk load uses it into a database that holds
// nothing but its metadata.
type BulkWriter interface {
	// BulkWrite replaces the engine's whole contents with the pairs
	// yields, which must be in strictly ascending key order and must
	// include whatever of the current contents is to be kept. No other
	// write may run while it does, and a read that runs meanwhile may see
	// the old contents, none, or part of the new. If it fails or ctx is
	// cancelled, the engine holds the contents it held before. An engine that cannot bulk-write
	// in its current mode returns an error wrapping
	// [errors.ErrUnsupported] before changing anything.
	BulkWrite(ctx context.Context, pairs iter.Seq2[Entry, error]) error
}

// Exclusive is implemented by engines that only one process can write at
// a time (Badger locks its directory). On such an engine the store's own
// writers are the only ones, so a bulk ingest may resolve the next batch
// while the previous one commits, and the store may cache what it read.
type Exclusive interface {
	Exclusive() bool
}
