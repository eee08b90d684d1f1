package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/merge"
)

// Options configure [Open]. The zero value, with Keys set, is the default.
type Options struct {
	// Keys supplies the root key. It is required: a store never makes up
	// a key of its own.
	Keys crypto.KeyProvider
	// Merge configures identity resolution; see [merge.Options]. The
	// rules a database is first opened with are stored in it; Rules says
	// what Open does when they differ from Merge.
	Merge merge.Options
	// Rules says what Open does when the database was resolved under
	// other merge rules than Merge: refuse (the default, with
	// [ErrRulesChanged]), use the stored rules, or re-resolve and
	// re-stage everything under Merge.
	Rules RulesPolicy
	// Badger configures the engine: durability (NoSync) and memory
	// (memtables, caches). Dir and EncryptionKey are set by Open.
	Badger BadgerOptions
	// NoAtRestEncryption turns off Badger's own encryption at rest, the
	// second layer under the store's sealing. It is on by default, keyed
	// by [crypto.RootKey.AtRestKey].
	NoAtRestEncryption bool
	// Clock returns the current time; nil means time.Now. It stamps feed
	// events, quarantine entries and the erasure journal.
	Clock func() time.Time
	// AsOf returns the time that stages, churn risk and windowed metrics
	// are computed for while ingesting and unmerging; nil means Clock.
	// [Store.Refresh] recomputes them for another time.
	AsOf func() time.Time
	// ErasureJournal, if set, is a file outside the database directory
	// (on another volume, or where the brand keeps its compliance
	// records) to which every erasure is also appended, so that a restore
	// re-applies erasures even when the database that made them is lost.
	// It holds profile ids and blind-indexed record keys, sealed.
	ErasureJournal string
	// Logger receives the engine's warnings; nil means slog.Default().
	Logger *slog.Logger
}

// Store is the single-customer-view database: it resolves records into
// profiles with package merge, seals them with package crypto and keeps
// them in a transactional key-value engine.
//
// A Store is safe for concurrent use by multiple goroutines. Restore waits
// for every other call to finish and holds them off while it runs.
type Store struct {
	kv       KV
	kr       *crypto.Keyring
	root     *crypto.RootKey
	resolver *merge.Resolver
	rules    merge.Options   // the rules resolver decides by, as stored in the database
	restaged *RestageSummary // what Open's restage did, if it ran one
	// legacyTombstones says that erased e-commerce records may be
	// tombstoned under their keys of schema 3 and before (see rekey.go).
	legacyTombstones bool
	// noReceivers turns receiver records off, for tests that build a
	// database as a build before them did.
	noReceivers bool
	clock       func() time.Time
	asOf        func() time.Time
	journal     string
	log         *slog.Logger

	// mu is held shared by every operation and exclusively by Restore,
	// which swaps the engine's contents and the keyring.
	mu sync.RWMutex
	// pubMu makes this process the one publisher of the change feed.
	pubMu sync.Mutex
	// wmu is held shared by every write transaction and exclusively by a
	// pipelined bulk ingest, which relies on being the only writer, and by
	// an erasure's purge, during which Badger refuses writes.
	wmu sync.RWMutex

	// absentAfter is how many records a pipelined ingest reads before it
	// loads its filter of the keys that exist (see absentKeys);
	// defaultAbsentAfter but in tests.
	absentAfter   int
	absentLoads   atomic.Int64 // filters loaded, for tests
	bulkStreams   atomic.Int64 // bulk loads written in one stream, for tests
	bulkSpills    atomic.Int64 // sorted runs bulk loads spilled, for tests
	bulkCompacted atomic.Int64 // runs of writes bulk loads merged before writing, for tests
	bulkWriteRuns atomic.Int64 // runs of writes the last bulk load spilled, for tests
	bulkOpenPeak  atomic.Int64 // the most spill files a bulk load held open at once, for tests
	// bulkFileLimit stands for the process's limit on open files in a
	// bulk load's fan-in (fileFanIn): 0 but in tests.
	bulkFileLimit int
	// bulkJob is how many records a bulk load resolves in one
	// transaction (whole groups, at least one): bulkJob but in tests,
	// which resolve each group alone.
	bulkJob int
	// bulkSpill is the bytes of record encodings, and of writes, after
	// which a bulk load spills them to disk; 0 is a quarter of its
	// memory bound.
	bulkSpill int64
	// bulkRecordByRecord makes a bulk load resolve every group record by
	// record, as IngestAll does, for tests to compare with resolving each
	// group at once; bulkGroups counts the groups resolved at once.
	bulkRecordByRecord bool
	bulkGroups         atomic.Int64
	// splitRecomputes counts the recomputations of profiles an erasure
	// split off (txn.recomputeSplit), for tests.
	splitRecomputes atomic.Int64
	// splitProfilesRead counts the profiles whose records those
	// recomputations read, for tests.
	splitProfilesRead atomic.Int64
	// eraseStripChunk is stripChunk but in tests (0); with
	// eraseStopsAfterFirst an erasure returns after its first
	// transaction, as a crash would leave it.
	eraseStripChunk      int
	eraseStopsAfterFirst bool
	stripFails           error // stripOwed's error, in tests

	// sh is what a store on a shared engine checks in every transaction
	// (see shared.go).
	sh sharedState

	// suggestModel is the match model the last Suggest estimated, for
	// SuggestFor (see suggest_model.go); nil until then.
	suggestModel atomic.Pointer[suggestModel]
}

// Errors of this package, testable with [errors.Is].
var (
	// ErrNotFound is returned by lookups when no profile matches.
	ErrNotFound = errors.New("store: not found")
	// ErrWrongKey is returned by Open and Restore when the root key is not
	// the one the database (or backup) was made with.
	ErrWrongKey = errors.New("store: wrong key")
	// ErrHub is returned by identifier lookups for a value flagged as a
	// hub: a placeholder shared by many people, which identifies no one.
	ErrHub = errors.New("store: identifier is a shared placeholder (hub)")
	// ErrAmbiguous is returned by identifier lookups when the identifier
	// belongs to more than one profile (protection kept them apart).
	ErrAmbiguous = errors.New("store: identifier belongs to more than one profile")
	// ErrErased is returned when a profile id names an erased profile.
	ErrErased = errors.New("store: profile was erased")
	// ErrClosed is returned by calls on a closed Store.
	ErrClosed = errors.New("store: closed")
)

// schemaVersion is the schema this build reads and writes. Schema 1 kept
// each wrapped data key at the head of its P value; schema 2 keeps it
// under K; schema 3 has the same keys, and values whose strings may refer
// to a string table (internal/codec), which a build of schema 2 cannot
// decode; schema 4 keys e-commerce records by platform
// ("ecommerce/taobao/<id>" where schema 3 had "ecommerce/ecommerce/<id>",
// see rekey.go). There is no migration from schema 1 yet: a schema 1
// database or backup is refused with [ErrOldSchema]. A schema 2 or 3
// database (or restored backup) is marked schema 4 when it is opened,
// before anything is written in the new form, so that an older build
// refuses it instead of failing on its values or keying records anew, and
// its e-commerce records are re-keyed before Open returns.
const schemaVersion = 4

// schemaReadable is the oldest schema this build reads (and migrates).
const schemaReadable = 2

// schemaValue is the M schema entry of a schema.
func schemaValue(n int) []byte { return []byte(strconv.Itoa(n)) }

// ErrOldSchema is returned by Open and Restore for a database or backup
// written under a key schema this build does not read.
var ErrOldSchema = errors.New("store: database written under an older key schema, which this build does not read (no migration yet)")

// Open opens the store in dir, creating it if dir holds no database. The
// root key comes from opts.Keys; a database made with another key is
// refused at once with [ErrWrongKey], and a directory another process has
// open with [ErrLocked]. A dir that is a postgres:// URL opens the
// PostgreSQL database there instead (package postgres), which many
// processes may open at once.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if opts.Keys == nil {
		return nil, errors.New("store: Options.Keys is required: no key, no store")
	}
	root, err := opts.Keys.RootKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: get root key: %w", err)
	}
	if IsURL(dir) {
		return openPostgres(ctx, dir, root, opts)
	}
	bo := opts.Badger
	if !bo.InMemory {
		if dir == "" {
			return nil, errors.New("store: no directory")
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		bo.Dir = dir
	}
	if !opts.NoAtRestEncryption {
		bo.EncryptionKey = root.AtRestKey()
	}
	if bo.Logger == nil {
		bo.Logger = opts.Logger
	}
	b, err := OpenBadger(bo)
	if errors.Is(err, ErrWrongEncryptionKey) {
		return nil, wrongKeyError(dir, root, !opts.NoAtRestEncryption, err)
	}
	if err != nil {
		return nil, err
	}
	s, err := OpenKV(ctx, b, root, opts)
	if err != nil {
		b.Close()
		return nil, err
	}
	if !bo.InMemory {
		writeKeyID(dir, root, !opts.NoAtRestEncryption)
	}
	return s, nil
}

// OpenKV opens a store on any [KV] engine with the given root key: the
// seam for engines other than Badger. opts.Keys, opts.Badger and
// opts.NoAtRestEncryption are ignored. The store takes ownership of kv and
// closes it on Close.
func OpenKV(ctx context.Context, kv KV, root *crypto.RootKey, opts Options) (*Store, error) {
	if _, err := merge.New(opts.Merge); err != nil { // invalid options are refused before anything is written
		return nil, err
	}
	s := &Store{
		kv:      kv,
		root:    root,
		clock:   opts.Clock,
		journal: opts.ErasureJournal,
		log:     opts.Logger,

		absentAfter: defaultAbsentAfter,
		bulkJob:     bulkJob,
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.asOf = opts.AsOf
	if s.asOf == nil {
		s.asOf = s.clock
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.loadKeyring(ctx); err != nil {
		return nil, err
	}
	use, restage, err := s.checkRules(ctx, opts)
	if err != nil {
		return nil, err
	}
	if s.resolver, err = merge.New(use); err != nil {
		return nil, fmt.Errorf("store: stored rules: %w", err)
	}
	s.rules = use
	// A restore stopped after it replaced the data (on an engine that
	// cannot stage it) left erasures to apply again: no call may read
	// the data before they are, so a failure here refuses the open.
	if n, err := s.finishRestore(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("store: an interrupted restore's erasures could not be applied again, so the database is not opened (an erased customer could be read): %w", err)
	} else if n > 0 {
		s.log.Info("store: finished an interrupted restore", "erasures", n)
	}
	// What interrupted erasures owe is finished now if it can be; if not
	// (a full disk), the database still opens, Verify reports it, and
	// Maintain tries again.
	if n, err := s.finishErasures(ctx); err != nil {
		s.log.Warn("store: could not finish interrupted erasures; Maintain will try again", "error", err)
	} else if n > 0 {
		s.log.Info("store: finished interrupted erasures", "profiles", n)
	}
	if err := s.rekey(ctx); err != nil {
		return nil, err
	}
	if restage {
		var diff []RuleDiff
		if err := s.kv.View(ctx, func(tx Txn) error {
			stored, _, _, err := s.storedRules(tx)
			diff = diffRules(stored, use)
			return err
		}); err != nil {
			return nil, err
		}
		sum, err := s.restage(ctx, diff)
		if err != nil {
			return nil, err
		}
		s.restaged = &sum
		s.log.Info("store: re-resolved and re-staged every profile under new rules", "profiles", sum.Profiles, "changed", sum.Changed, "stage_changed", sum.StageChanged)
	}
	s.startShared()
	return s, nil
}

// loadKeyring opens the keyring state stored in the database, or creates
// and stores one in an empty database.
func (s *Store) loadKeyring(ctx context.Context) error {
	return s.kv.Update(ctx, func(tx Txn) error {
		state, err := tx.Get(metaKey("keyring"))
		switch {
		case errors.Is(err, ErrKeyNotFound):
			if !s.empty(tx) {
				return errors.New("store: the database has data but no keyring state: refusing to start over with new keys")
			}
			s.kr = crypto.NewKeyring(s.root)
			if err := tx.Set(metaKey("schema"), schemaValue(schemaVersion)); err != nil {
				return err
			}
			if err := tx.Set(metaKey(metaBlocks), []byte(blocksVersion)); err != nil { // an empty index is complete
				return err
			}
			if err := tx.Set(metaKey(metaReceivers), []byte("1")); err != nil { // no order without its receivers
				return err
			}
			return tx.Set(metaKey("keyring"), s.kr.State())
		case err != nil:
			return err
		}
		v, err := tx.Get(metaKey("schema"))
		if err != nil {
			return fmt.Errorf("store: schema version: %w", err)
		}
		switch n, _ := strconv.Atoi(string(v)); { // n is 0 for a value that is not a number
		case n == schemaVersion:
		case n >= schemaReadable && n < schemaVersion:
			if err := tx.Set(metaKey("schema"), schemaValue(schemaVersion)); err != nil {
				return err
			}
			if err := tx.Set(metaKey(metaRekey), []byte("1")); err != nil {
				return err
			}
		case n == 1:
			return fmt.Errorf("%w (schema %q)", ErrOldSchema, v)
		case n > schemaVersion:
			return fmt.Errorf("store: database written by a newer build (schema %q); this build reads schemas %d to %d", v, schemaReadable, schemaVersion)
		default:
			return fmt.Errorf("store: unsupported schema version %q", v)
		}
		kr, err := crypto.OpenKeyring(s.root, state)
		if errors.Is(err, crypto.ErrWrongKey) {
			return fmt.Errorf("%w: %w", ErrWrongKey, err)
		}
		if err != nil {
			return fmt.Errorf("store: keyring state: %w", err)
		}
		s.kr = kr
		return nil
	})
}

func (s *Store) empty(tx Txn) bool {
	for range tx.Scan(nil, nil, true) {
		return false
	}
	return true
}

// Close closes the store and its engine.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv == nil {
		return ErrClosed
	}
	err := s.kv.Close()
	s.kv = nil
	return err
}

// Resolver returns the resolver the store decides with.
func (s *Store) Resolver() *merge.Resolver { return s.resolver }

// Keyring returns the store's keyring; callers must not rotate it behind
// the store's back (use [Store.Rotate]).
func (s *Store) Keyring() *crypto.Keyring { return s.kr }

// begin takes the shared lock for an operation and reports ErrClosed.
func (s *Store) begin() (func(), error) {
	s.mu.RLock()
	if s.kv == nil {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	return s.mu.RUnlock, nil
}
