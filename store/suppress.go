package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Suppression after erasure (PIPL Art. 47): an erasure puts the
// identifiers that only the erased person carried on a suppression list,
// so that a later record carrying one of them, from any channel and
// source, is quarantined as [ReasonSuppressed] instead of bringing the
// person back under a new record key (a tombstone refuses only the same
// record). Entries are blind-indexed like the identifier index, under
// every live blind-index version:
//
//	N kind tag   a suppressed identifier (no value)
//
// Only identifiers that linked the erased person's records are: not a
// hub, a blocked value or an identifier a limit excluded, and not one
// another live profile still carries (a member card two people shared);
// a buyer whose order names the phone as a gift's receiver does not carry
// it. An order whose only suppressed identifiers are its receivers is the
// buyer's and is kept, without the erased receiver's phone, name and
// address (a suppressed warning on field "receiver"); the erasure stores
// the buyer's earlier orders to the phone so too
// ([txn.stripErasedReceivers]). The erasure journal keeps the entries, so
// a restore suppresses again what the erasures it re-applies suppressed
// (a lift made since must be made again). [Store.Unsuppress] lifts a
// suppression.
const nsSuppress byte = 'N'

// metaSuppress is the M entry that says suppression entries exist: an
// ingest that reads it absent (the common case, one point read per
// transaction) reads no N entry.
const metaSuppress = "suppress"

// ReasonSuppressed is the quarantine reason of a record that carries an
// identifier of an erased person: see [Store.Unsuppress].
const ReasonSuppressed identity.Reason = "suppressed"

// ReasonReceiverHub is the warning reason of an order whose receiver
// phone is a hub (a parcel station's): no receiver record is made of it.
const ReasonReceiverHub identity.Reason = "receiver_hub"

// OutcomeSuppressed is the outcome of ingesting a record that carries a
// suppressed identifier: it is refused (and quarantined by
// [Store.IngestAll]).
const OutcomeSuppressed Outcome = "suppressed"

// suppressionKeys returns the N keys of identifier id, one per live
// blind-index version, without the namespace byte: what the journal
// keeps.
func (t *txn) suppressionKeys(id identity.Identifier) ([][]byte, error) {
	tags, err := t.kr.BlindIndexAll(id.Kind.String(), identifierValue(id))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(tags))
	for i, tag := range tags {
		out[i] = append([]byte{byte(id.Kind)}, tag...)
	}
	return out, nil
}

// suppress writes suppression entries (keys without their namespace
// byte).
func (t *txn) suppress(keys [][]byte) error {
	if len(keys) == 0 {
		return nil
	}
	for _, k := range keys {
		if err := t.tx.Set(key(nsSuppress, k), nil); err != nil {
			return err
		}
	}
	t.anySuppressed, t.suppressRead = true, true
	return t.tx.Set(metaKey(metaSuppress), []byte("1"))
}

// suppressed returns the first identifier of rec that is suppressed.
func (t *txn) suppressed(rec *identity.Record) (identity.Kind, bool, error) {
	if !t.suppressRead {
		_, err := t.tx.Get(metaKey(metaSuppress))
		switch {
		case err == nil:
			t.anySuppressed = true
		case !errors.Is(err, ErrKeyNotFound):
			return 0, false, err
		}
		t.suppressRead = true
	}
	if !t.anySuppressed {
		return 0, false, nil
	}
	for _, id := range rec.Identifiers {
		if sup, err := t.isSuppressed(id); err != nil || sup {
			return id.Kind, sup, err
		}
	}
	return 0, false, nil
}

// isSuppressed reports whether id is on the suppression list; call it
// after [txn.suppressed] found that the list is not empty.
func (t *txn) isSuppressed(id identity.Identifier) (bool, error) {
	k := t.identifierKey(id)
	_, err := t.tx.Get(key(nsSuppress, k[1:]))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrKeyNotFound):
		return false, nil
	}
	return false, err
}

// withoutErasedReceivers returns an order whose only suppressed
// identifiers are receivers (a gift to a person who was erased since)
// without them and without its receiver's name and address, which
// describe that person: the order is the buyer's and is kept, and nothing
// of the erased receiver is stored again. It returns nil when an
// identifier other than a receiver is suppressed: the record is then
// refused as before.
func (t *txn) withoutErasedReceivers(rec *identity.Record) (*identity.Record, error) {
	if len(rec.Receivers) == 0 {
		return nil, nil
	}
	out := *rec
	out.Identifiers, out.Receivers = nil, nil
	for _, id := range rec.Identifiers {
		sup, err := t.isSuppressed(id)
		if err != nil {
			return nil, err
		}
		switch {
		case !sup:
			out.Identifiers = append(out.Identifiers, id)
			if slices.Contains(rec.Receivers, id) {
				out.Receivers = append(out.Receivers, id)
			}
		case !slices.Contains(rec.Receivers, id):
			return nil, nil
		}
	}
	a := &out.Attributes
	a.Name, a.Country, a.Province, a.City, a.District = "", "", "", "", ""
	out.Warnings = append(slices.Clone(rec.Warnings), identity.Warning{Field: "receiver", Reason: ReasonSuppressed})
	return &out, nil
}

// stripErasedReceivers takes erased receivers out of the orders of the
// profiles pids, which hold a suppressed identifier as a gift's receiver:
// each order naming one is stored again as [txn.withoutErasedReceivers]
// makes it, and the profile moves to a new id and data key ([txn.split]),
// recomputed from its records, its old id forwarding there. The purge
// after the transaction drops the old data key, and with it every sealed
// copy of the orders as they were. It returns the ids to purge. Only the
// buyer's profile id changes: an erasure of a receiver must not leave
// her phone, name and address in the orders her buyer placed before.
func (t *txn) stripErasedReceivers(pids []ProfileID) ([]ProfileID, error) {
	var purge []ProfileID
	var split []*merge.Profile
	for _, pid := range pids {
		lp, err := t.profile(pid)
		if err != nil {
			return nil, err
		}
		if lp == nil || lp.p == nil {
			continue // stripped already, or damaged: Verify names it
		}
		keep := slices.Clone(lp.p.Records)
		changed := false
		for i, ref := range keep {
			lr, err := t.record(t.recordTag(ref.Key))
			if err != nil {
				return nil, err
			}
			if lr.pid != pid {
				continue
			}
			rec, err := t.content(lr)
			if err != nil {
				return nil, err
			}
			erased := false
			for _, id := range rec.Receivers {
				if erased, err = t.isSuppressed(id); err != nil {
					return nil, err
				} else if erased {
					break
				}
			}
			if !erased {
				continue
			}
			kept, err := t.withoutErasedReceivers(rec)
			if err != nil {
				return nil, err
			}
			if kept == nil {
				continue // one of its own identifiers is suppressed too
			}
			if lr.plain, lr.ctag, err = t.encodeContent(kept); err != nil {
				return nil, err
			}
			lr.rec = kept
			keep[i].Fingerprint = merge.Fingerprint(kept)
			// The reference lists what the record carries now.
			keep[i].Identifiers = slices.DeleteFunc(slices.Clone(ref.Identifiers), func(id identity.Identifier) bool { return !slices.Contains(kept.Identifiers, id) })
			keep[i].Receivers = slices.Clone(kept.Receivers)
			t.touchRecord(lr)
			changed = true
		}
		if !changed {
			continue
		}
		purge = append(purge, pid)
		purge = append(purge, lp.absorbed...)
		// A buyer taken out of the receiver's orders shares nothing with
		// the buyers who still hold her phone: recomputing each chunk of
		// an erasure with all of those read them again, ten times in
		// all at 10,000 buyers.
		carried := map[identity.Identifier]bool{}
		for _, ref := range keep {
			for _, id := range ref.Identifiers {
				carried[id] = true
			}
		}
		q, err := t.splitOff(lp, keep, nil, carried)
		if err != nil {
			return nil, err
		}
		split = append(split, q)
	}
	// One recomputation of them all: the buyers of one receiver share a
	// component, and recomputing it once a buyer made an erasure cost
	// the square of their number.
	if err := t.recomputeSplit(split...); err != nil {
		return nil, err
	}
	return purge, nil
}

// Unsuppress lifts the suppression of an identifier (normalised, as in
// records: a phone in E.164) that an erasure put on the suppression
// list: records carrying it are ingested again. It returns an error
// wrapping [ErrNotFound] when the identifier is not suppressed. Lift a
// suppression only when the identifier now belongs to someone else (a
// recycled phone number) or the person asked to come back.
func (s *Store) Unsuppress(ctx context.Context, id identity.Identifier) error {
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return s.update(ctx, func(t *txn) error {
		keys, err := t.suppressionKeys(id)
		if err != nil {
			return fmt.Errorf("store: unsuppress: %w", err)
		}
		found := false
		for _, k := range keys {
			_, err := t.tx.Get(key(nsSuppress, k))
			switch {
			case err == nil:
				found = true
			case !errors.Is(err, ErrKeyNotFound):
				return err
			}
			if err := t.tx.Delete(key(nsSuppress, k)); err != nil {
				return err
			}
		}
		if !found {
			return fmt.Errorf("store: %s identifier is not suppressed: %w", id.Kind, ErrNotFound)
		}
		return nil
	})
}
