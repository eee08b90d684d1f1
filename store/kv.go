package store

import (
	"github.com/scv-go/scv/store/engine"
	"github.com/scv-go/scv/store/engine/badger"
)

// The engine interfaces live in package [engine], the engines in its
// subpackages; these names keep the store's code and its callers as they
// were.
type (
	// KV is [engine.KV].
	KV = engine.KV
	// Txn is [engine.Txn].
	Txn = engine.Txn
	// SortedGetter is [engine.SortedGetter].
	SortedGetter = engine.SortedGetter
	// FuncGetter is [engine.FuncGetter].
	FuncGetter = engine.FuncGetter
	// Entry is [engine.Entry].
	Entry = engine.Entry
	// Purger is [engine.Purger].
	Purger = engine.Purger
	// Snapshotter is [engine.Snapshotter].
	Snapshotter = engine.Snapshotter
	// Stager is [engine.Stager].
	Stager = engine.Stager
	// Maintainer is [engine.Maintainer].
	Maintainer = engine.Maintainer
	// Notifier is [engine.Notifier].
	Notifier = engine.Notifier
	// Exclusive is [engine.Exclusive].
	Exclusive = engine.Exclusive
	// BulkWriter is [engine.BulkWriter].
	BulkWriter = engine.BulkWriter

	// Badger is the embedded engine, [badger.DB].
	Badger = badger.DB
	// BadgerOptions configures [OpenBadger]; see [badger.Options].
	BadgerOptions = badger.Options
)

// Errors of the engines, wrapped by the calls that return them.
var (
	// ErrKeyNotFound is [engine.ErrKeyNotFound].
	ErrKeyNotFound = engine.ErrKeyNotFound
	// ErrConflict is [engine.ErrConflict]: the store retries.
	ErrConflict = engine.ErrConflict
	// ErrTxnTooBig is [engine.ErrTxnTooBig]: the store splits its batch.
	ErrTxnTooBig = engine.ErrTxnTooBig
	// ErrLocked is [engine.ErrLocked], returned by [Open] when another
	// process holds the database directory.
	ErrLocked = engine.ErrLocked
	// ErrWrongEncryptionKey is [badger.ErrWrongEncryptionKey].
	ErrWrongEncryptionKey = badger.ErrWrongEncryptionKey
)

// OpenBadger opens or creates a Badger database: [badger.Open].
func OpenBadger(o BadgerOptions) (*Badger, error) { return badger.Open(o) }
