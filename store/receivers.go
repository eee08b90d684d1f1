package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Receiver records ([merge.ReceiverRecords]) are ingested beside every
// order since this build. A database that an older build wrote holds its
// orders without them, so that its gift receivers have no profile: Open
// (and Restore) derive them once, for every order a profile holds, and
// mark the database. The marker is not a schema change: an older build
// reads receiver records like any other.
const (
	metaReceivers  = "receivers" // "1": every order held has its receiver records
	receiversBatch = 64          // orders per transaction
)

// backfillReceivers ingests the receiver records of every order held,
// unless the database is marked as holding them; it returns how many it
// made. It is idempotent, so a crash midway is finished by the next Open.
func (s *Store) backfillReceivers(ctx context.Context) (int, error) {
	if s.noReceivers {
		return 0, nil
	}
	done := false
	if err := s.kv.View(ctx, func(tx Txn) error {
		_, err := tx.Get(metaKey(metaReceivers))
		done = err == nil
		if errors.Is(err, ErrKeyNotFound) {
			err = nil
		}
		return err
	}); err != nil || done {
		return 0, err
	}
	orders, err := s.ordersWithReceivers(ctx)
	if err != nil {
		return 0, err
	}
	made := 0
	for batch := range slices.Chunk(orders, receiversBatch) {
		n := 0
		err := s.update(ctx, func(t *txn) error {
			n = 0
			for _, k := range batch {
				lr, err := t.record(t.recordTag(k))
				if err != nil {
					return err
				}
				if lr.pid.IsZero() || lr.erased {
					continue
				}
				rec, err := t.content(lr)
				if err != nil {
					return err
				}
				m, err := t.ingestReceivers(rec)
				if err != nil {
					return err
				}
				n += m.Receivers
			}
			return nil
		})
		if err != nil {
			return made, fmt.Errorf("store: derive receiver records: %w", err)
		}
		made += n
	}
	return made, s.put(ctx, metaKey(metaReceivers), []byte("1"))
}

// ordersWithReceivers lists the keys of the records held that name an
// order's receivers.
func (s *Store) ordersWithReceivers(ctx context.Context) ([]identity.RecordKey, error) {
	ids, err := s.profileIDs(ctx)
	if err != nil {
		return nil, err
	}
	var keys []identity.RecordKey
	for batch := range slices.Chunk(ids, receiversBatch) {
		err := s.view(ctx, func(t *txn) error {
			for _, id := range batch {
				lp, err := t.profile(id)
				if errors.Is(err, ErrDamaged) {
					continue // Verify and Repair report it; its orders wait for an erase or a re-import
				}
				if err != nil {
					return err
				}
				if lp == nil || lp.p == nil {
					continue
				}
				for _, r := range lp.p.Records {
					if len(r.Receivers) > 0 {
						keys = append(keys, r.Key)
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// ingestReceivers ingests the receiver records of rec, which was
// accepted, and counts in the result those it made or updated.
func (t *txn) ingestReceivers(rec *identity.Record) (Result, error) {
	var r Result
	if t.s.noReceivers {
		return r, nil
	}
	for _, d := range merge.ReceiverRecords(rec) {
		// A receiver at a hub phone (a parcel station's) is found by
		// nothing: her record would make a customer no one can reach,
		// one an order. The records made before the phone was flagged
		// stay, and follow their orders. The record is read first (the
		// ingest reads it anyway), so that an order read again costs no
		// look-up of its receiver's phone.
		lr, err := t.record(t.recordTag(d.Key()))
		if err != nil {
			return r, err
		}
		if lr.pid.IsZero() && !lr.erased {
			ie, err := t.indexEntry(d.Identifiers[0])
			if err != nil {
				return r, err
			}
			if ie.hub {
				r.ReceiversAtHub++
				continue
			}
		}
		dr, _, err := t.ingestOne(&d)
		if err != nil {
			return r, err
		}
		switch dr.Outcome {
		case OutcomeErased, OutcomeSuppressed, OutcomeUnchanged, OutcomeStale:
			continue
		}
		r.Receivers++
		r.Created += dr.Created
		r.Merged += dr.Merged
	}
	return r, nil
}
