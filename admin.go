package scv

import (
	"context"
	"io"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// Restaged returns what the restage Open ran under [RulesReapply] did, or
// nil if it ran none (the rules were unchanged).
func (db *DB) Restaged() *RestageSummary {
	r := db.s.Restaged()
	if r == nil {
		return nil
	}
	out := newRestageSummary(*r)
	return &out
}

// Restage re-resolves and re-stages every profile under the database's
// rules, as Open does under [RulesReapply], while ingest and lookups go
// on.
func (db *DB) Restage(ctx context.Context) (RestageSummary, error) {
	r, err := db.s.Restage(ctx)
	return newRestageSummary(r), wrap(err)
}

// Unmerge takes a source record out of its profile and keeps it apart (a
// do-not-link against the rest). The larger part keeps the profile id.
// It returns [ErrNotFound] when no profile holds the record.
func (db *DB) Unmerge(ctx context.Context, record identity.RecordKey) (*Change, error) {
	ch, err := db.s.Detach(ctx, record)
	if err != nil {
		return nil, wrap(err)
	}
	return newChange(ch), nil
}

// Separate says two source records are different people: a do-not-link
// between them, and their profile split accordingly if they were one. It
// is how an operator rejects a [Suggestion]: a pair of profiles holding
// separated records is not suggested again. It returns [ErrNotFound]
// when no profile holds one of the records.
func (db *DB) Separate(ctx context.Context, a, b identity.RecordKey) (*Change, error) {
	ch, err := db.s.Separate(ctx, a, b)
	if err != nil {
		return nil, wrap(err)
	}
	return newChange(ch), nil
}

// Erase crypto-shreds a profile: its data key is destroyed, every stored
// copy of its sealed values becomes unreadable, its records are
// tombstoned so a re-import cannot bring it back, its identifiers are
// suppressed so a record of another source carrying them is quarantined
// (see [DB.Unsuppress]), and restores re-apply the erasure to its records
// only. A profile that cannot be opened ([*DamagedError]) is erased
// without opening it.
func (db *DB) Erase(ctx context.Context, id string) error { return wrap(db.s.Erase(ctx, id)) }

// ErasureRetention says what an erasure leaves in the engine: "" when
// every version of an erased profile's keys is purged at once (the
// embedded engine), else how long the engine keeps their old versions.
// On such an engine [DB.Verify] reports the purge owed until it is done.
func (db *DB) ErasureRetention() string { return db.s.ErasureRetention() }

// Unsuppress lifts the suppression an erasure put on an identifier
// (normalised, as in records), so that records carrying it are ingested
// again. It returns [ErrNotFound] when the identifier is not suppressed.
func (db *DB) Unsuppress(ctx context.Context, id identity.Identifier) error {
	return wrap(db.s.Unsuppress(ctx, id))
}

// Refresh recomputes time-dependent stages, risks and metrics as of asOf
// and stores them, emitting a change-feed event for every stage that
// moves.
func (db *DB) Refresh(ctx context.Context, asOf time.Time) (RefreshSummary, error) {
	r, err := db.s.Refresh(ctx, asOf)
	return RefreshSummary(r), wrap(err)
}

// Rotate rotates the key-encryption key without downtime: it adds a new
// epoch, makes it primary, rewraps every profile's data key and reseals
// every value sealed under the keyring, page by page, while ingest and
// lookups go on. Profiles and records are not re-encrypted: their data
// keys do not change. With opts.Retire it then deletes the old epochs.
func (db *DB) Rotate(ctx context.Context, opts RotateOptions) (RotateSummary, error) {
	r, err := db.s.Rotate(ctx, store.RotateOptions(opts))
	return RotateSummary(r), wrap(err)
}

// Maintain finishes erasure purges a crash interrupted and reclaims the
// engine's space held by old versions; call it on a schedule of your
// choosing.
func (db *DB) Maintain(ctx context.Context) error { return wrap(db.s.Maintain(ctx)) }

// Verify checks the database's consistency: every profile opens and its
// records and identifiers point back at it, every index entry points at a
// profile that lists it, and the counts reconcile. It reads one snapshot.
// An error means it could not read; inconsistencies are in the Report.
func (db *DB) Verify(ctx context.Context) (*Report, error) {
	r, err := db.s.Verify(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	out := Report(*r)
	return &out, nil
}

// Repair rebuilds the stage and identifier indexes from the profiles that
// still open, and lists those that do not ([*DamagedError]), left for
// [DB.Erase] or for restoring a backup. Run [DB.Verify] afterwards.
func (db *DB) Repair(ctx context.Context) (*RepairReport, error) {
	r, err := db.s.Repair(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	out := RepairReport(*r)
	return &out, nil
}

// Backup writes a consistent, authenticated backup to w while the
// database stays in use. It holds sealed values only: the root key is not
// in it.
func (db *DB) Backup(ctx context.Context, w io.Writer) error { return wrap(db.s.Backup(ctx, w)) }

// Restore replaces the database with a backup written by [DB.Backup]
// under the same root key; erasures made since the backup was taken are
// applied again. See [DB.RestoreWith].
func (db *DB) Restore(ctx context.Context, r io.Reader) error { return wrap(db.s.Restore(ctx, r)) }

// RestoreWith is Restore with options, reporting which erasures it
// applied again. A damaged backup ([ErrBackupDamaged]) or a new database
// without an erasure journal ([ErrErasuresUnknown], unless opts.Force)
// replaces nothing.
func (db *DB) RestoreWith(ctx context.Context, r io.Reader, opts RestoreOptions) (RestoreReport, error) {
	rep, err := db.s.RestoreWith(ctx, r, store.RestoreOptions(opts))
	return RestoreReport(rep), wrap(err)
}
