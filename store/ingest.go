package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Outcome says what ingesting one record did.
type Outcome string

// The outcomes of [Store.Ingest].
const (
	OutcomeCreated   Outcome = "created"   // the record started a new profile
	OutcomeJoined    Outcome = "joined"    // the record joined or updated an existing profile
	OutcomeMerged    Outcome = "merged"    // the record linked profiles that became one
	OutcomeUnchanged Outcome = "unchanged" // the same record with the same content was ingested before
	OutcomeUpdated   Outcome = "updated"   // a new version of a record held: combined with the version held
	OutcomeStale     Outcome = "stale"     // a version of a record held that adds nothing to it: older, or saying nothing new
	OutcomeErased    Outcome = "erased"    // the record belongs to an erased profile and was refused
	// OutcomeSuppressed (suppress.go): the record carries an erased
	// person's identifier and was refused.
)

// Result is what ingesting one record did.
type Result struct {
	Outcome Outcome
	Profile string // the id of the profile holding the record; empty if erased
	Created int    // profiles created (a split can create more than one)
	Merged  int    // profile ids merged away
	// Suppressed is, for [OutcomeSuppressed], the kind of the record's
	// first suppressed identifier.
	Suppressed identity.Kind
	// Receivers counts the receiver records of the record's order
	// ([merge.ReceiverRecords]) this ingest made or updated.
	Receivers int
	// ReceiverSuppressed says that the order named an erased person as
	// its receiver: it was kept without them (their phone, name and
	// address), with a suppressed warning on field "receiver".
	ReceiverSuppressed bool
	// ReceiversAtHub counts the receiver phones of an order that arrived
	// or changed that are hubs (a parcel station's) and have no receiver
	// record: none is made, and the summary counts a receiver_hub
	// warning for each. One made before the phone was flagged stays and
	// follows its order.
	ReceiversAtHub int
}

// maxAttempts bounds the retries of a transaction that keeps conflicting.
const maxAttempts = 20

// update runs fn in a read-write transaction, then writes what it changed,
// retrying the whole function on conflict with jittered exponential
// backoff.
func (s *Store) update(ctx context.Context, fn func(*txn) error) error {
	s.wmu.RLock()
	defer s.wmu.RUnlock()
	backoff := 500 * time.Microsecond
	for attempt := 1; ; attempt++ {
		err := s.kv.Update(ctx, func(tx Txn) error {
			if err := s.checkShared(tx, true); err != nil {
				return err
			}
			t := s.newTxn(tx, s.clock())
			if err := fn(t); err != nil {
				return err
			}
			return t.flush()
		})
		if !errors.Is(err, ErrConflict) || attempt == maxAttempts {
			return err
		}
		sleep := backoff/2 + rand.N(backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// put writes one value in a transaction of its own, as a writer of the
// store (it waits for a bulk ingest or a purge).
func (s *Store) put(ctx context.Context, key, value []byte) error {
	s.wmu.RLock()
	defer s.wmu.RUnlock()
	return s.kv.Update(ctx, func(tx Txn) error { return tx.Set(key, value) })
}

// read runs fn in a read transaction under the store's shared lock: the
// shape of every lookup.
func (s *Store) read(ctx context.Context, fn func(*txn) error) error {
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return s.view(ctx, fn)
}

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(*txn) error) error {
	return s.kv.View(ctx, func(tx Txn) error {
		if err := s.checkShared(tx, false); err != nil {
			return err
		}
		return fn(s.newTxn(tx, s.clock()))
	})
}

func newProfileID() string { return NewProfileID().String() }

// Ingest resolves one source record into the profiles, in one transaction
// that writes the profiles, indexes and record map together. Ingesting the
// same record (same key, same content) again changes nothing. An invalid
// record is an error wrapping merge.ErrInvalid.
func (s *Store) Ingest(ctx context.Context, rec identity.Record) (Result, error) {
	res, err := s.IngestBatch(ctx, []identity.Record{rec})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// IngestBatch ingests records in as few transactions as the engine allows
// (one, unless it grows too big), with the same outcome as ingesting them
// one by one in order. It is the fast path for bulk loads: each profile a
// batch touches is sealed and written once.
func (s *Store) IngestBatch(ctx context.Context, recs []identity.Record) ([]Result, error) {
	done, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	out := make([]Result, len(recs))
	return out, s.ingestBatch(ctx, recs, out)
}

func (s *Store) ingestBatch(ctx context.Context, recs []identity.Record, out []Result) error {
	err := s.update(ctx, func(t *txn) error {
		for i := range recs {
			r, err := t.ingest(&recs[i])
			if err != nil {
				return err
			}
			out[i] = r
		}
		return nil
	})
	if (errors.Is(err, ErrTxnTooBig) || errors.Is(err, ErrConflict)) && len(recs) > 1 {
		// Split: halves are smaller and conflict less.
		h := len(recs) / 2
		if err := s.ingestBatch(ctx, recs[:h], out[:h]); err != nil {
			return err
		}
		return s.ingestBatch(ctx, recs[h:], out[h:])
	}
	return err
}

// ingest ingests rec and then its receiver records
// ([merge.ReceiverRecords]), unless rec was refused: an order of an erased
// buyer, or one carrying an erased person's identifier, makes nobody. A
// receiver record of an erased receiver is refused like any record of
// theirs and not counted.
//
// The receiver records are derived from the version of the order held
// after the ingest (the versions combined), not from rec: the receiver
// record of an order is dated by the order's time, equal in every export
// of it, so that a version derived from an older export arriving last
// would win over the newer one the order keeps.
func (t *txn) ingest(rec *identity.Record) (Result, error) {
	r, held, err := t.ingestOne(rec)
	if err != nil || r.Outcome == OutcomeErased || r.Outcome == OutcomeSuppressed || len(rec.Receivers) == 0 {
		return r, err
	}
	if held == nil {
		lr, err := t.record(t.recordTag(rec.Key()))
		if err != nil || lr.pid.IsZero() {
			return r, err
		}
		if held, err = t.content(lr); err != nil {
			return r, err
		}
	}
	d, err := t.ingestReceivers(held)
	r.Receivers, r.Created, r.Merged = d.Receivers, r.Created+d.Created, r.Merged+d.Merged
	if r.Outcome != OutcomeUnchanged && r.Outcome != OutcomeStale {
		// Counted once, when the order arrives or changes, as
		// Receivers counts records made or updated.
		r.ReceiversAtHub = d.ReceiversAtHub
	}
	return r, err
}

// ingestOne ingests one record. It returns the version of the record held
// after it, when that is rec or the combination of rec with the version
// held before; nil when the ingest refused rec or kept the version held
// (a stale or unchanged version).
func (t *txn) ingestOne(rec *identity.Record) (Result, *identity.Record, error) {
	if rec.ID == "" || rec.Channel == "" || rec.Source == "" {
		return Result{}, nil, fmt.Errorf("%w: record without channel, source or id", merge.ErrInvalid)
	}
	lr, err := t.record(t.recordTag(rec.Key()))
	if err != nil {
		return Result{}, nil, err
	}
	stripped := false // the order lost an erased receiver (suppress.go)
	plain, ctag, err := t.encodeContent(rec)
	if err != nil {
		return Result{}, nil, err
	}
	if !lr.pid.IsZero() && bytes.Equal(lr.ctag, ctag) {
		return Result{Outcome: OutcomeUnchanged, Profile: lr.pid.String()}, rec, nil
	}
	if lr.erased {
		return Result{Outcome: OutcomeErased}, nil, nil
	}
	if lr.pid.IsZero() {
		if erased, err := t.erasedLegacy(rec); err != nil || erased {
			return Result{Outcome: OutcomeErased}, nil, err
		}
	}
	if kind, ok, err := t.suppressed(rec); err != nil {
		return Result{}, nil, err
	} else if ok {
		kept, err := t.withoutErasedReceivers(rec)
		if err != nil || kept == nil {
			return Result{Outcome: OutcomeSuppressed, Suppressed: kind}, nil, err
		}
		rec = kept
		if plain, ctag, err = t.encodeContent(rec); err != nil {
			return Result{}, nil, err
		}
		stripped = true
	}
	c, err := t.s.resolver.Add(t, *rec, newProfileID, t.asOf)
	if err != nil {
		return Result{}, nil, err
	}
	if c.NoOp {
		if c.Stale {
			return Result{Outcome: OutcomeStale, Profile: lr.pid.String()}, nil, nil
		}
		return Result{Outcome: OutcomeUnchanged, Profile: lr.pid.String()}, nil, nil
	}
	wasHeld := !lr.pid.IsZero()
	in := &ingested{rec: rec, plain: plain, ctag: ctag}
	if c.Record != nil {
		// The versions combined: the combination is what is stored.
		in.rec = c.Record
		if in.plain, in.ctag, err = t.encodeContent(c.Record); err != nil {
			return Result{}, nil, err
		}
	}
	if err := t.apply(c, in); err != nil {
		return Result{}, nil, err
	}
	r := Result{Profile: lr.pid.String(), Created: len(c.Created), Merged: len(c.Forwards), Outcome: OutcomeJoined, ReceiverSuppressed: stripped}
	switch {
	case wasHeld && len(c.Forwards) == 0:
		r.Outcome = OutcomeUpdated
	case len(c.Forwards) > 0:
		r.Outcome = OutcomeMerged
	case !wasHeld && len(c.Created) > 0 && slices.Contains(c.Created, r.Profile):
		r.Outcome = OutcomeCreated
	}
	return r, in.rec, nil
}

// Summary counts what a bulk ingest did. Read = Accepted + the sum of
// Quarantined.
type Summary struct {
	Read        int                     `json:"read"`
	Accepted    int                     `json:"accepted"`
	Quarantined map[identity.Reason]int `json:"quarantined"`
	Unchanged   int                     `json:"unchanged"` // the same content as the version held
	Updated     int                     `json:"updated"`   // new versions of records held, combined with them
	Stale       int                     `json:"stale"`     // versions that added nothing to the one held
	// ProfilesCreated counts the profiles made, ProfilesMerged those
	// merged into another. A bulk load resolves each group of records at
	// once and makes only their final profiles, so it merges none where
	// an import record by record makes profiles and then merges them.
	ProfilesCreated int                     `json:"profiles_created"`
	ProfilesMerged  int                     `json:"profiles_merged"`
	Warnings        map[identity.Reason]int `json:"warnings"`
	// Receivers counts the receiver records made or updated from orders
	// ([merge.ReceiverRecords]): records derived from the ones read, so
	// not in Read.
	Receivers int `json:"receivers"`
}

// ReasonErased is the quarantine reason of a record that belongs to an
// erased profile: it is refused, never ingested again.
const ReasonErased identity.Reason = "erased"

// ReasonInvalid is the quarantine reason of a record the resolver refused
// as invalid.
const ReasonInvalid identity.Reason = "invalid_record"

// DefaultBatchSize is IngestOptions.BatchSize when it is not set.
const DefaultBatchSize = 512

// IngestOptions configure [Store.IngestAll]. The zero value is the
// default.
type IngestOptions struct {
	// BatchSize is the number of records per transaction; default
	// [DefaultBatchSize].
	BatchSize int
	// Progress, if set, is called after each batch with the totals so far.
	Progress func(Summary)
	// File names the input (a base name, no personal data) in quarantine
	// entries, so that the same line of two files of one source are two
	// entries.
	File string
}

// IngestAll reads records from seq, as yielded by identity.Decode, and
// ingests them in batches, each in one transaction. A
// *identity.RecordError from seq is a quarantined record: it is kept
// (sealed, without the record's content) with its reason and counted; so
// is a record the resolver refuses as invalid. Any other error from seq
// stops the ingest and is returned after the records before it are
// committed. The summary always reconciles: Read = Accepted +
// quarantined. Progress, if set, is called after each batch commits.
//
// On an [Exclusive] engine (Badger) IngestAll pipelines: it resolves the
// next batch while the previous one commits, and other writers of the
// store wait until it returns. A call that has read 8,192 records and has
// more then scans the store's identifier, record and credit keys once into
// a filter that answers most reads of keys a bulk load is the first to
// write; a smaller call does not pay for the scan.
func (s *Store) IngestAll(ctx context.Context, seq iter.Seq2[identity.Record, error], opts IngestOptions) (Summary, error) {
	done, err := s.begin()
	if err != nil {
		return Summary{}, err
	}
	defer done()
	size := opts.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	if x, ok := s.kv.(Exclusive); ok && x.Exclusive() {
		return s.ingestPipelined(ctx, seq, size, opts)
	}
	total := newSummary()
	next, stop := iter.Pull2(seq)
	defer stop()
	for {
		recs, quarantined, rerr, more := pullBatch(next, size)
		if len(recs)+len(quarantined) > 0 {
			sum, err := s.ingestSplitting(ctx, recs, quarantined, opts.File)
			if err != nil {
				return total, err
			}
			total.Add(sum)
			if opts.Progress != nil {
				opts.Progress(total)
			}
		}
		if rerr != nil {
			return total, rerr
		}
		if !more {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// ingestSplitting ingests a batch of IngestAll in one transaction; a batch
// that still conflicts after every retry (several processes writing one
// shared database) is split in halves, which touch fewer keys and
// conflict less, down to single records, as [Store.IngestBatch] does.
func (s *Store) ingestSplitting(ctx context.Context, recs []identity.Record, quarantined []*identity.RecordError, file string) (Summary, error) {
	var sum Summary
	err := s.update(ctx, func(t *txn) error {
		var err error
		t.file = file
		sum, err = t.ingestBatch(recs, quarantined)
		return err
	})
	if !errors.Is(err, ErrConflict) || len(recs) < 2 {
		return sum, err
	}
	h := len(recs) / 2
	first, err := s.ingestSplitting(ctx, recs[:h], quarantined, file)
	if err != nil {
		return first, err
	}
	second, err := s.ingestSplitting(ctx, recs[h:], nil, file)
	first.Add(second)
	return first, err
}

func newSummary() Summary {
	return Summary{Quarantined: map[identity.Reason]int{}, Warnings: map[identity.Reason]int{}}
}

// count adds the result of ingesting rec.
func (s *Summary) count(r Result, rec *identity.Record) {
	s.Read++
	if r.Outcome == OutcomeErased {
		s.Quarantined[ReasonErased]++
		return
	}
	s.Accepted++
	switch r.Outcome {
	case OutcomeUnchanged:
		s.Unchanged++
	case OutcomeUpdated:
		s.Updated++
	case OutcomeStale:
		s.Stale++
	}
	s.ProfilesCreated += r.Created
	s.ProfilesMerged += r.Merged
	s.Receivers += r.Receivers
	for _, w := range rec.Warnings {
		s.Warnings[w.Reason]++
	}
	if r.ReceiverSuppressed {
		s.Warnings[ReasonSuppressed]++
	}
	if r.ReceiversAtHub > 0 {
		s.Warnings[ReasonReceiverHub] += r.ReceiversAtHub
	}
}

// Add adds the counts of o to s, as the summary of two imports together;
// s's maps must not be nil.
func (s *Summary) Add(o Summary) {
	s.Read += o.Read
	s.Accepted += o.Accepted
	s.Unchanged += o.Unchanged
	s.Updated += o.Updated
	s.Stale += o.Stale
	s.ProfilesCreated += o.ProfilesCreated
	s.ProfilesMerged += o.ProfilesMerged
	s.Receivers += o.Receivers
	for k, v := range o.Quarantined {
		s.Quarantined[k] += v
	}
	for k, v := range o.Warnings {
		s.Warnings[k] += v
	}
}

func isInvalid(err error) bool { return errors.Is(err, merge.ErrInvalid) }
