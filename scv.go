package scv

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
	"github.com/scv-go/scv/store"
)

// Options configure [Open]. The zero value, with a key (KeyFile or Keys),
// is the default: durable commits, the engine's encryption at rest on
// under the database's own sealing, phone numbers read with region CN.
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
	// protection, lifecycle thresholds. The rules a database is first
	// opened with are stored in it, so that every process resolves and
	// stages it alike; Rules says what Open does when Merge differs from
	// them.
	Merge MergeOptions
	// Rules says what Open does when the database was resolved under
	// other rules than Merge: [RulesRefuse] (the default) refuses with a
	// [*RulesError] naming the fields that differ, [RulesStored] uses the
	// stored rules, [RulesReapply] re-resolves and re-stages every
	// profile under Merge ([DB.Restaged] says how many changed).
	Rules RulesPolicy
	// NoSync turns off the fsync after every commit: faster bulk loads,
	// at the price of losing roughly the last second of acknowledged
	// writes on power loss (not on a process crash).
	NoSync bool
	// NoAtRestEncryption turns off the engine's own encryption at rest.
	// The database's sealing (per-profile keys, blind indexes) stays on.
	NoAtRestEncryption bool
	// Memory tunes the engine's memtables, caches and value log; the zero
	// value is the default, about 450 MiB of memtables and caches (the
	// process needs more: see docs/operations.md).
	Memory MemoryOptions
	// InMemory keeps the database in memory, for tests; dir must be "".
	// Package scvtest opens such a database in one call.
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
	rules, err := opts.Rules.store()
	if err != nil {
		return nil, err
	}
	s, err := store.Open(context.Background(), dir, store.Options{
		Keys:               keys,
		Merge:              opts.Merge.merge(),
		Badger:             opts.Memory.badger(opts.InMemory, opts.NoSync),
		Rules:              rules,
		NoAtRestEncryption: opts.NoAtRestEncryption,
		Clock:              opts.Clock,
		AsOf:               opts.AsOf,
		ErasureJournal:     opts.ErasureJournal,
		Logger:             opts.Logger,
	})
	if err != nil {
		return nil, wrap(err)
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

// at returns p as db's lookups of one profile answer it, with its Detail.
func (db *DB) at(p *merge.Profile) (*Profile, error) {
	if !db.asOf.IsZero() {
		var err error
		if p, err = db.s.AsOf(p, db.asOf); err != nil {
			return nil, wrap(err)
		}
	}
	q := newProfile(p)
	q.Detail = newDetail(p)
	return q, nil
}

// GenerateKey returns a new root key in the key-file format: the text
// "scv keygen" prints. Write it to a file of mode 0600 on another volume
// than the database, or to a secret manager.
func GenerateKey() []byte { return crypto.GenerateRootKey().KeyFile() }

// Close closes the database.
func (db *DB) Close() error { return wrap(db.s.Close()) }

// Ingest folds one normalised record into the profiles in one
// transaction. Ingesting the same record again changes nothing. Records
// come from the channel adapters of package identity ([identity.Decode]),
// or are built by the caller: [identity.Record] is the one input type.
func (db *DB) Ingest(ctx context.Context, rec identity.Record) (Result, error) {
	r, err := db.s.Ingest(ctx, rec)
	return resultOf(r), wrap(err)
}

// resultOf is the store's result of one ingest as the root package's.
func resultOf(r store.Result) Result {
	return Result{
		Outcome: Outcome(r.Outcome), Profile: r.Profile, Created: r.Created, Merged: r.Merged,
		Suppressed: r.Suppressed, Receivers: r.Receivers, ReceiverSuppressed: r.ReceiverSuppressed,
		ReceiversAtHub: r.ReceiversAtHub,
	}
}

// IngestAll ingests the records an adapter yields ([identity.Decode]),
// in batches, keeping quarantined records with their reasons, and reports
// progress after each batch.
func (db *DB) IngestAll(ctx context.Context, recs iter.Seq2[identity.Record, error], opts IngestOptions) (Summary, error) {
	sum, err := db.s.IngestAll(ctx, recs, opts.store())
	return Summary(sum), wrap(err)
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
		return nil, wrap(err)
	}
	return db.at(p)
}

// ByID returns the profile with an id, following the forward of an id
// that was merged into another profile.
func (db *DB) ByID(ctx context.Context, id string) (*Profile, error) {
	p, err := db.s.ByID(ctx, id)
	if err != nil {
		return nil, wrap(err)
	}
	return db.at(p)
}

// ByStage streams the profiles in a lifecycle stage that match the
// filter, ordered by profile id. Each profile's Cursor resumes the listing
// after it.
func (db *DB) ByStage(ctx context.Context, stage Stage, f Filter) iter.Seq2[*Profile, error] {
	if f.AsOf.IsZero() {
		f.AsOf = db.asOf
	}
	return profiles(db.s.ByStage(ctx, merge.Stage(stage), f.store()))
}

// All streams every profile that matches the filter. Like ByStage and
// Export, it yields a profile that cannot be opened as a [*DamagedError]
// naming its id and goes on with the next if the caller's loop continues.
func (db *DB) All(ctx context.Context, f Filter) iter.Seq2[*Profile, error] {
	if f.AsOf.IsZero() {
		f.AsOf = db.asOf
	}
	return profiles(db.s.All(ctx, f.store()))
}

// Export streams the profiles that may be used for purpose: those that
// consent to it ([PurposeMarketing], [PurposePersonalisation],
// [PurposeThirdParty]), or every profile for [PurposeInternal], the
// brand's own use. Any other purpose yields one error.
func (db *DB) Export(ctx context.Context, purpose Purpose) iter.Seq2[*Profile, error] {
	f := Filter{}
	switch purpose {
	case PurposeInternal:
	case PurposeMarketing, PurposePersonalisation, PurposeThirdParty:
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
				if !yield(nil, wrap(err)) {
					return
				}
				continue
			}
			if err != nil {
				yield(nil, wrap(err))
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

// Stats counts profiles by stage and risk, records, quarantined records,
// hubs, erasures and forwards, without opening a profile (a view of
// [DB.AsOf] opens those whose stage or risk may differ by its time).
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	var st store.Stats
	var err error
	if !db.asOf.IsZero() {
		st, err = db.s.StatsAsOf(ctx, db.asOf)
	} else {
		st, err = db.s.Stats(ctx)
	}
	return newStats(st), wrap(err)
}

// Explain returns a profile and what links each of its records to the
// others.
func (db *DB) Explain(ctx context.Context, id string) (*Explanation, error) {
	p, links, err := db.s.Explain(ctx, id)
	if err != nil {
		return nil, wrap(err)
	}
	q, err := db.at(p)
	if err != nil {
		return nil, err
	}
	return newExplanation(q, links), nil
}

// ExplainPair says whether two source records (keys as
// "channel/source/id") are one profile and why, or which rule keeps them
// apart.
func (db *DB) ExplainPair(ctx context.Context, a, b identity.RecordKey) (*PairExplanation, error) {
	pe, err := db.s.ExplainPair(ctx, a, b)
	if err != nil {
		return nil, wrap(err)
	}
	return newPairExplanation(pe), nil
}

// Watch streams the change feed: stage transitions, detractor feedback
// and erasures, starting after the event with Cursor after ("" from the
// start). When it has caught up it waits for new events until ctx is
// done, then ends without an error. An erasure removes the events about
// the erased person but the [EventErased] notice.
func (db *DB) Watch(ctx context.Context, after string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for e, err := range db.s.Watch(ctx, after) {
			if !yield(newEvent(e), wrap(err)) {
				return
			}
		}
	}
}

// Quarantine streams the records that were not ingested, with their
// reasons; entries hold no record content.
func (db *DB) Quarantine(ctx context.Context) iter.Seq2[QuarantineEntry, error] {
	return func(yield func(QuarantineEntry, error) bool) {
		for q, err := range db.s.Quarantine(ctx) {
			if !yield(QuarantineEntry(q), wrap(err)) {
				return
			}
		}
	}
}
