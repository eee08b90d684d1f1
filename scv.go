package scv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
	"github.com/scv-go/scv/store"
)

// Options configure [Open]. The zero value, with a key (KeyFile or Keys),
// is the default: durable commits, Badger's encryption at rest on under
// the store's own sealing, phone numbers read with region CN.
type Options struct {
	// Keys supplies the root key. If nil, KeyFile is read.
	Keys crypto.KeyProvider
	// KeyFile is a key file written by [GenerateKey] ("scv keygen"),
	// used when Keys is nil. Keep it out of the database directory and
	// its backups.
	KeyFile string
	// Region is the default region of phone numbers given to ByPhone
	// without a country code; "" means CN.
	Region string
	// Merge configures identity resolution: survivorship, merge
	// protection, lifecycle thresholds. See [merge.Options]. The rules a
	// database is first opened with are stored in it, so that every
	// process resolves and stages it alike; Rules says what Open does
	// when Merge differs from them.
	Merge merge.Options
	// Rules says what Open does when the database was resolved under
	// other rules than Merge: [RulesRefuse] (the default) refuses with
	// [ErrRulesChanged] naming the fields that differ, [RulesStored] uses
	// the stored rules, [RulesReapply] re-resolves and re-stages every
	// profile under Merge ([DB.Restaged] says how many changed).
	Rules RulesPolicy
	// NoSync turns off the fsync after every commit: faster bulk loads,
	// at the price of losing roughly the last second of acknowledged
	// writes on power loss. See [store.BadgerOptions].
	NoSync bool
	// NoAtRestEncryption turns off Badger's own encryption at rest. The
	// store's sealing (per-profile keys, blind indexes) stays on.
	NoAtRestEncryption bool
	// Memory tunes Badger's memtables, caches and value log; the zero
	// value is the default, about 450 MiB of memtables and caches (the
	// process needs more: see docs/operations.md). Dir,
	// NoSync and EncryptionKey in it are ignored.
	Memory store.BadgerOptions
	// InMemory keeps the database in memory, for tests; dir must be "".
	InMemory bool
	// Clock returns the current time; nil means time.Now. It stamps
	// change-feed events, quarantine entries and erasures.
	Clock func() time.Time
	// AsOf returns the time stages, churn risk and windowed metrics are
	// computed for while ingesting; nil means Clock. [DB.Refresh]
	// recomputes them for another time.
	AsOf func() time.Time
	// ErasureJournal is an optional file outside the database directory
	// where every erasure is also recorded, so that restoring a backup
	// re-applies erasures even if the database that made them is lost.
	ErasureJournal string
	// Logger receives the engine's warnings; nil means slog.Default().
	Logger *slog.Logger
}

// DB is a single-customer-view database. It is safe for concurrent use by
// multiple goroutines.
type DB struct {
	s      *store.Store
	phones *identity.PhoneParser
	asOf   time.Time // reads compute stages as of this time; zero: as stored
}

// Errors returned by DB methods, testable with [errors.Is].
var (
	ErrNotFound  = store.ErrNotFound  // no profile matches (ByPhone, ByIdentifier, ByID, Erase, Unmerge)
	ErrWrongKey  = store.ErrWrongKey  // Open or Restore with another root key than the database's
	ErrLocked    = store.ErrLocked    // Open of a directory another process has open
	ErrHub       = store.ErrHub       // ByPhone or ByIdentifier of a shared placeholder value
	ErrAmbiguous = store.ErrAmbiguous // ByPhone or ByIdentifier of a value on several profiles
	ErrErased    = store.ErrErased    // ByID or Erase of an erased profile
	ErrClosed    = store.ErrClosed    // any call after Close
	ErrNotBackup = store.ErrNotBackup // Restore of a stream Backup did not write
	ErrOldSchema = store.ErrOldSchema // Open or Restore of a database or backup of an older key schema
	// ErrBackupDamaged is returned by Restore of a truncated or altered
	// backup; nothing is replaced.
	ErrBackupDamaged = store.ErrBackupDamaged
	// ErrErasuresUnknown is returned by Restore into a new database with
	// no erasure journal, unless forced; nothing is replaced.
	ErrErasuresUnknown = store.ErrErasuresUnknown
	// ErrDiskFull is returned when a write would fill the disk; what was
	// being written is left as it was.
	ErrDiskFull = store.ErrDiskFull
	// ErrDamaged matches the error of a profile that cannot be opened
	// (failed authentication or decoding), which listings skip.
	ErrDamaged = store.ErrDamaged
	// ErrRulesChanged is returned by Open (in a [*store.RulesError]
	// naming the fields) for merge rules other than the database's.
	ErrRulesChanged = store.ErrRulesChanged
	ErrNoKey        = errors.New("scv: no key: set Options.Keys or Options.KeyFile")
)

// Open opens the database in dir, creating it if needed. The root key
// comes from opts.Keys or opts.KeyFile; a database made with another key
// is refused at once with [ErrWrongKey], and one another process holds
// with [ErrLocked]. A dir such as "postgres://user@host/db" opens a
// PostgreSQL database instead, which many processes share (pool size,
// statement timeout and TLS from the URL; see package
// store/engine/postgres); the memory and at-rest options are Badger's
// and do not apply.
func Open(dir string, opts Options) (*DB, error) {
	keys := opts.Keys
	if keys == nil {
		if opts.KeyFile == "" {
			return nil, ErrNoKey
		}
		keys = crypto.FileKeyProvider{Path: opts.KeyFile}
	}
	phones, err := identity.NewPhoneParser(opts.Region, nil)
	if err != nil {
		return nil, fmt.Errorf("scv: %w", err)
	}
	bo := opts.Memory
	bo.InMemory = opts.InMemory
	bo.NoSync = opts.NoSync
	s, err := store.Open(context.Background(), dir, store.Options{
		Keys:               keys,
		Merge:              opts.Merge,
		Badger:             bo,
		Rules:              opts.Rules,
		NoAtRestEncryption: opts.NoAtRestEncryption,
		Clock:              opts.Clock,
		AsOf:               opts.AsOf,
		ErasureJournal:     opts.ErasureJournal,
		Logger:             opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &DB{s: s, phones: phones}, nil
}

// AsOf returns a view of db whose reads (ByPhone, ByIdentifier, ByID,
// ByStage, All, Export, Stats, Explain) answer with stages, churn risks
// and windowed metrics computed as of t: a what-if read. Nothing is
// stored and no change-feed event is emitted; only the profiles a read
// returns, and in listings and Stats those whose stage may differ by t,
// are computed. The stored stages move only through [DB.Refresh]. The
// view shares db's store: closing one closes both.
func (db *DB) AsOf(t time.Time) *DB {
	v := *db
	v.asOf = t
	return &v
}

// at returns p as db's reads answer it.
func (db *DB) at(p *merge.Profile) (*Profile, error) {
	if !db.asOf.IsZero() {
		var err error
		if p, err = db.s.AsOf(p, db.asOf); err != nil {
			return nil, err
		}
	}
	return newProfile(p), nil
}

// RulesPolicy says what [Open] does when a database was resolved under
// other merge rules than [Options].Merge.
type RulesPolicy = store.RulesPolicy

// The policies of [Options].Rules.
const (
	RulesRefuse  = store.RulesRefuse  // refuse with ErrRulesChanged (the default)
	RulesStored  = store.RulesStored  // use the rules stored in the database
	RulesReapply = store.RulesReapply // re-resolve and re-stage everything under Options.Merge
)

// RestageSummary counts what a restage did.
type RestageSummary = store.RestageSummary

// Restaged returns what the restage Open ran under [RulesReapply] did, or
// nil if it ran none (the rules were unchanged).
func (db *DB) Restaged() *RestageSummary { return db.s.Restaged() }

// Restage re-resolves and re-stages every profile under the database's
// rules; see [store.Store.Restage].
func (db *DB) Restage(ctx context.Context) (RestageSummary, error) { return db.s.Restage(ctx) }

// GenerateKey returns a new root key in the key-file format: the text
// "scv keygen" prints. Write it to a file of mode 0600 on another volume
// than the database, or to a secret manager.
func GenerateKey() []byte { return crypto.GenerateRootKey().KeyFile() }

// Close closes the database.
func (db *DB) Close() error { return db.s.Close() }

// Store returns the store underneath, for operations the DB does not
// wrap.
func (db *DB) Store() *store.Store { return db.s }

// Result says what ingesting one record did.
type Result = store.Result

// Summary counts what [DB.IngestAll] did; Read = Accepted + quarantined.
type Summary = store.Summary

// IngestOptions configure [DB.IngestAll].
type IngestOptions = store.IngestOptions

// Ingest folds one normalised record into the profiles in one
// transaction. Ingesting the same record again changes nothing.
func (db *DB) Ingest(ctx context.Context, rec identity.Record) (Result, error) {
	return db.s.Ingest(ctx, rec)
}

// IngestAll ingests the records an adapter yields ([identity.Decode]),
// in batches, keeping quarantined records with their reasons, and reports
// progress after each batch.
func (db *DB) IngestAll(ctx context.Context, recs iter.Seq2[identity.Record, error], opts IngestOptions) (Summary, error) {
	return db.s.IngestAll(ctx, recs, opts)
}

// ByPhone returns the profile of a phone number, written in any form
// [identity.ParsePhone] reads. It returns an error wrapping one of
// identity's phone errors for a number that cannot be a key, [ErrHub] for
// a shared placeholder, [ErrAmbiguous] for a number on several profiles and
// [ErrNotFound] when no one has it.
func (db *DB) ByPhone(ctx context.Context, phone string) (*Profile, error) {
	p, err := db.phones.Parse(phone)
	if err != nil {
		return nil, fmt.Errorf("scv: phone: %w", err)
	}
	return db.ByIdentifier(ctx, identity.Identifier{Kind: identity.KindPhone, Value: p.String()})
}

// ByIdentifier returns the profile an identifier (normalised, as in
// records) belongs to, with the errors of [DB.ByPhone].
func (db *DB) ByIdentifier(ctx context.Context, id identity.Identifier) (*Profile, error) {
	p, err := db.s.ByIdentifier(ctx, id)
	if err != nil {
		return nil, err
	}
	return db.at(p)
}

// ByID returns the profile with an id, following the forward of an id
// that was merged into another profile.
func (db *DB) ByID(ctx context.Context, id string) (*Profile, error) {
	p, err := db.s.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return db.at(p)
}

// Filter narrows listings by churn risk, channel, consent and last
// activity, and pages them: set After to the Cursor of the last profile
// of the previous page, and Limit to the page size.
type Filter = store.Filter

// ByStage streams the profiles in a lifecycle stage that match the
// filter, ordered by profile id. Each profile's Cursor resumes the listing
// after it.
func (db *DB) ByStage(ctx context.Context, stage Stage, f Filter) iter.Seq2[*Profile, error] {
	if f.AsOf.IsZero() {
		f.AsOf = db.asOf
	}
	return profiles(db.s.ByStage(ctx, stage, f))
}

// All streams every profile that matches the filter. Like ByStage and
// Export, it yields a profile that cannot be opened as an error matching
// [ErrDamaged] (a [*store.DamagedError] naming its id) and goes on with
// the next if the caller's loop continues.
func (db *DB) All(ctx context.Context, f Filter) iter.Seq2[*Profile, error] {
	if f.AsOf.IsZero() {
		f.AsOf = db.asOf
	}
	return profiles(db.s.All(ctx, f))
}

// Export streams the profiles that may be used for purpose: consent for
// it, or every profile for [PurposeInternal], the brand's own use.
func (db *DB) Export(ctx context.Context, purpose Purpose) iter.Seq2[*Profile, error] {
	f := Filter{}
	switch purpose {
	case PurposeInternal:
	case identity.PurposeMarketing, identity.PurposePersonalisation, identity.PurposeThirdParty:
		f.Consent = purpose
	default:
		return func(yield func(*Profile, error) bool) {
			yield(nil, fmt.Errorf("scv: unknown purpose %q", purpose))
		}
	}
	return db.All(ctx, f)
}

func profiles(seq iter.Seq2[store.Page, error]) iter.Seq2[*Profile, error] {
	return func(yield func(*Profile, error) bool) {
		for pg, err := range seq {
			if errors.Is(err, store.ErrDamaged) {
				if !yield(nil, err) {
					return
				}
				continue
			}
			if err != nil {
				yield(nil, err)
				return
			}
			p := newProfile(pg.Profile)
			p.Cursor = pg.Cursor
			if !yield(p, nil) {
				return
			}
		}
	}
}

// Stats are counts over the whole database.
type Stats = store.Stats

// Stats counts profiles by stage and risk, records, quarantined records,
// hubs, erasures and forwards, without opening a profile (a view of
// [DB.AsOf] opens those whose stage or risk may differ by its time).
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	if !db.asOf.IsZero() {
		return db.s.StatsAsOf(ctx, db.asOf)
	}
	return db.s.Stats(ctx)
}

// Explanation is a profile and, for each of its records, what links it to
// the others.
type Explanation struct {
	Profile *Profile            `json:"profile"`
	Links   []merge.RecordLinks `json:"-"`
}

// Explain returns a profile and what links each of its records to the
// others.
func (db *DB) Explain(ctx context.Context, id string) (*Explanation, error) {
	p, links, err := db.s.Explain(ctx, id)
	if err != nil {
		return nil, err
	}
	q, err := db.at(p)
	if err != nil {
		return nil, err
	}
	return &Explanation{Profile: q, Links: links}, nil
}

// ExplainPair says whether two source records (keys as
// "channel/source/id") are one profile and why, or which rule keeps them
// apart.
func (db *DB) ExplainPair(ctx context.Context, a, b identity.RecordKey) (*merge.PairExplanation, error) {
	return db.s.ExplainPair(ctx, a, b)
}

// Unmerge takes a source record out of its profile and keeps it apart (a
// do-not-link against the rest). The larger part keeps the profile id.
func (db *DB) Unmerge(ctx context.Context, record identity.RecordKey) (*merge.Change, error) {
	return db.s.Detach(ctx, record)
}

// Erase crypto-shreds a profile: its data key is destroyed, every stored
// copy of its sealed values becomes unreadable, its records are
// tombstoned so a re-import cannot bring it back, its identifiers are
// suppressed so a record of another source carrying them is quarantined
// (see [DB.Unsuppress]), and restores re-apply the erasure to its records
// only.
func (db *DB) Erase(ctx context.Context, id string) error { return db.s.Erase(ctx, id) }

// Unsuppress lifts the suppression an erasure put on an identifier
// (normalised, as in records), so that records carrying it are ingested
// again; see [store.Store.Unsuppress]. It returns [ErrNotFound] when the
// identifier is not suppressed.
func (db *DB) Unsuppress(ctx context.Context, id identity.Identifier) error {
	return db.s.Unsuppress(ctx, id)
}

// Refresh recomputes time-dependent stages, risks and metrics as of asOf.
func (db *DB) Refresh(ctx context.Context, asOf time.Time) (store.RefreshSummary, error) {
	return db.s.Refresh(ctx, asOf)
}

// Rotate rotates the key-encryption key without downtime; see
// [store.Store.Rotate].
func (db *DB) Rotate(ctx context.Context, opts store.RotateOptions) (store.RotateSummary, error) {
	return db.s.Rotate(ctx, opts)
}

// Maintain finishes erasure purges a crash interrupted and reclaims the
// engine's space held by old versions; call it on a schedule of your
// choosing. See [store.Store.Maintain].
func (db *DB) Maintain(ctx context.Context) error { return db.s.Maintain(ctx) }

// Verify checks the database's consistency; see [store.Store.Verify].
func (db *DB) Verify(ctx context.Context) (*store.Report, error) { return db.s.Verify(ctx) }

// Backup writes a consistent backup to w; see [store.Store.Backup].
func (db *DB) Backup(ctx context.Context, w io.Writer) error { return db.s.Backup(ctx, w) }

// Restore replaces the database with a backup, erasures since still
// applied; see [store.Store.Restore].
func (db *DB) Restore(ctx context.Context, r io.Reader) error { return db.s.Restore(ctx, r) }

// RestoreWith is Restore with options, reporting which erasures it
// applied again; see [store.Store.RestoreWith].
func (db *DB) RestoreWith(ctx context.Context, r io.Reader, opts store.RestoreOptions) (store.RestoreReport, error) {
	return db.s.RestoreWith(ctx, r, opts)
}

// Event is an entry of the change feed.
type Event = store.Event

// Watch streams stage transitions, detractor feedback and erasures,
// starting after the event with Cursor after ("" from the start), and
// waits for new ones until ctx is done.
func (db *DB) Watch(ctx context.Context, after string) iter.Seq2[Event, error] {
	return db.s.Watch(ctx, after)
}

// Quarantine streams the records that were not ingested, with their
// reasons; entries hold no record content.
func (db *DB) Quarantine(ctx context.Context) iter.Seq2[store.QuarantineEntry, error] {
	return db.s.Quarantine(ctx)
}
