package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// reapply erases again, in the engine's current contents (a restored
// backup), what the journal entries js erased: their source records and
// profile ids, never more. A profile that holds only journaled records is
// erased whole. A profile that also holds records of someone else (the
// backup predates an unmerge) is split: the journaled records are
// tombstoned, and the rest move to a new profile id under a new data key
// and are recomputed from their records alone, so nothing the journaled
// records contributed (identifiers, names, orders, do-not-link pairs)
// survives; the old id is shredded like an erased one, since its data key
// sealed the erased records, and forwards to the new id unless the journal
// names it. A journaled id is never left live nor forwarding to a live
// profile. It writes the journal entries and tombstones back, and removes
// the change-feed events and quarantine entries of the erased people
// ([Store.purgeTraces]).
//
// reapply is idempotent: run again on its own result it changes nothing,
// so an interrupted restore may run it again.
func (s *Store) reapply(ctx context.Context, js []*erasure) error {
	var erased []*erasure
	var shredded []ProfileID
	err := s.update(ctx, func(t *txn) error {
		erased, shredded = erased[:0], shredded[:0]
		tags := map[string]bool{}
		ids := map[ProfileID]bool{}
		for _, j := range js {
			for _, tag := range j.Records {
				tags[string(tag)] = true
			}
			for _, id := range append([]string{j.Profile}, j.Absorbed...) {
				pid, err := ParseProfileID(id)
				if err != nil {
					return fmt.Errorf("store: erasure journal: %w", err)
				}
				ids[pid] = true
			}
		}
		// A split recomputes a component, which may move records between
		// profiles: look for targets again until there are none.
		for round := 0; ; round++ {
			targets, err := t.reapplyTargets(tags, ids)
			if err != nil {
				return err
			}
			if len(targets) == 0 {
				break
			}
			if round > len(tags)+len(ids) {
				return fmt.Errorf("store: re-applying erasures: %d profiles still hold erased records after %d rounds", len(targets), round)
			}
			for _, pid := range targets {
				lp, err := t.profile(pid)
				if err != nil {
					return err
				}
				if lp == nil || lp.p == nil {
					continue // changed by an earlier split of this round
				}
				var keep []merge.RecordRef
				for _, ref := range lp.p.Records {
					journaled, err := t.journaled(ref, tags)
					if err != nil {
						return err
					}
					if !journaled {
						keep = append(keep, ref)
					}
				}
				if len(keep) == 0 {
					e, err := t.erase(pid, 0) // its buyers below
					if err != nil {
						return err
					}
					erased = append(erased, e)
					continue
				}
				if err := t.split(lp, keep, tags, ids); err != nil {
					return err
				}
				shredded = append(shredded, pid)
				shredded = append(shredded, lp.absorbed...)
			}
		}
		for _, j := range js {
			pid, err := ParseProfileID(j.Profile)
			if err != nil {
				return err
			}
			plain, err := json.Marshal(j)
			if err != nil {
				return err
			}
			if err := t.tx.Set(erasureKey(pid), t.kr.Seal(purposeErasure, plain)); err != nil {
				return err
			}
			// The erased id names no one (ErrErased); the ids merged
			// into it lead to it, as after the erasure itself.
			if err := t.tx.Delete(forwardKey(pid)); err != nil {
				return err
			}
			for _, a := range j.Absorbed {
				aid, _ := ParseProfileID(a)
				if err := t.tx.Set(forwardKey(aid), pid[:]); err != nil {
					return err
				}
			}
			for _, tag := range j.Records {
				if err := t.tombstone(tag); err != nil {
					return err
				}
			}
			if err := t.suppress(j.Suppressed); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The restored buyers' orders name the erased receivers again: they
	// are taken out as an erasure does, in transactions of their own.
	// Until the restore's entry is removed, a crash runs reapply again.
	for _, j := range js {
		j.stripped = nil
		if err := s.stripOwed(ctx, j, s.stripChunk()); err != nil {
			return err
		}
		shredded = append(shredded, j.stripped...)
	}
	for _, e := range erased { // strippedIDs(erased) below has their ids
		if err := s.stripOwed(ctx, e, s.stripChunk()); err != nil {
			return err
		}
	}
	// The feed and the quarantine of the restored data may name the
	// erased people even where no profile of theirs was left to erase.
	ids := append(erasedIDs(erased), strippedIDs(erased)...)
	return s.settle(ctx, erased, append(ids, shredded...), js)
}

// reapplyTargets returns, in id order, the live profiles that hold a
// record whose tag is in tags or whose id is in ids.
func (t *txn) reapplyTargets(tags map[string]bool, ids map[ProfileID]bool) ([]ProfileID, error) {
	var out []ProfileID
	for pid := range ids {
		lp, err := t.profile(pid)
		if err != nil {
			return nil, err
		}
		if lp != nil && lp.p != nil {
			out = append(out, pid)
		}
	}
	for tag := range tags {
		lr, err := t.record([]byte(tag))
		if err != nil {
			return nil, err
		}
		if !lr.pid.IsZero() {
			out = append(out, lr.pid)
		}
	}
	slices.SortFunc(out, func(a, b ProfileID) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(out), nil
}

// journaled reports whether the record ref is one of tags, under any live
// blind-index version.
func (t *txn) journaled(ref merge.RecordRef, tags map[string]bool) (bool, error) {
	all, err := t.kr.BlindIndexAll(tagRecord, recordValue(ref.Key))
	if err != nil {
		return false, err
	}
	for _, tag := range all {
		if tags[string(tag)] {
			return true, nil
		}
	}
	return false, nil
}

// split takes the journaled records out of the live profile lp, which
// keeps keep (not empty): it tombstones them, moves keep to a new profile
// id under a new data key, and recomputes that profile from keep's
// records. lp's id is marked for the purge of an erasure: its data key
// sealed the journaled records.
func (t *txn) split(lp *liveProfile, keep []merge.RecordRef, tags map[string]bool, ids map[ProfileID]bool) error {
	q, err := t.splitOff(lp, keep, ids, nil)
	if err != nil {
		return err
	}
	return t.recomputeSplit(q)
}

// recomputeSplit recomputes the profiles splitOff made, together: one
// recomputation of their component, where one each would recompute it
// as many times.
func (t *txn) recomputeSplit(qs ...*merge.Profile) error {
	if len(qs) == 0 {
		return nil
	}
	t.s.splitRecomputes.Add(1)
	c, err := t.s.resolver.Resolve(countingReader{t, &t.s.splitProfilesRead}, qs, newProfileID, t.asOf)
	if err != nil {
		return fmt.Errorf("store: re-applying erasures to profile %v: %w", qs[0].ID, err)
	}
	return t.apply(c)
}

// splitOff is split but the recomputation: it returns the new profile,
// for recomputeSplit. Given carried, the identifiers the records kept
// carry, the new profile holds only those, and the index lists it under
// no other: its recomputation reaches no one through what it no longer
// carries (see stripErasedReceivers).
func (t *txn) splitOff(lp *liveProfile, keep []merge.RecordRef, ids map[ProfileID]bool, carried map[identity.Identifier]bool) (*merge.Profile, error) {
	pid := lp.id
	erasedKey := map[string]bool{}
	for _, ref := range lp.p.Records {
		if !slices.ContainsFunc(keep, func(k merge.RecordRef) bool { return k.Key == ref.Key }) {
			erasedKey[ref.Key.String()] = true
		}
	}
	x := NewProfileID()
	q := lp.p.Clone()
	q.ID, q.Records = x.String(), keep
	if carried != nil {
		q.Identifiers = slices.DeleteFunc(q.Identifiers, func(st merge.IdentifierState) bool { return !carried[st.Identifier] })
	}
	q.DoNotLink = slices.DeleteFunc(q.DoNotLink, func(pr merge.Pair) bool {
		return erasedKey[pr.A.String()] || erasedKey[pr.B.String()]
	})
	q.Separations = slices.DeleteFunc(q.Separations, func(sp merge.Separation) bool {
		return erasedKey[sp.A.String()] || erasedKey[sp.B.String()]
	})
	q.Links = slices.DeleteFunc(q.Links, func(l merge.Assertion) bool {
		return erasedKey[l.A.String()] || erasedKey[l.B.String()]
	})
	dk, wrapped := t.kr.NewDataKey(x[:])
	lx := &liveProfile{id: x, p: q, dk: dk, wrapped: wrapped}
	for _, a := range lp.absorbed {
		if !ids[a] {
			lx.absorbed = append(lx.absorbed, a)
		}
	}
	if !ids[pid] {
		// pid forwards to x: an erasure of x must take pid's traces too.
		lx.absorbed = append(lx.absorbed, pid)
	}
	put(&t.profiles, x, lx)
	t.touchProfile(lx)
	for _, ref := range keep {
		lr, err := t.record(t.recordTag(ref.Key))
		if err != nil {
			return nil, err
		}
		if _, err := t.content(lr); err != nil { // sealed again under x's key
			return nil, err
		}
		lr.pid = x
		t.touchRecord(lr)
	}
	for _, ref := range lp.p.Records {
		if !erasedKey[ref.Key.String()] {
			continue
		}
		if err := t.tombstone(t.recordTag(ref.Key)); err != nil {
			return nil, err
		}
	}
	for _, st := range lp.p.Identifiers {
		ie, err := t.indexEntry(st.Identifier)
		if err != nil {
			return nil, err
		}
		i := slices.Index(ie.pids, pid)
		if i < 0 {
			continue
		}
		if (carried != nil && !carried[st.Identifier]) || slices.Contains(ie.pids, x) {
			ie.pids = slices.Delete(ie.pids, i, i+1)
		} else {
			ie.pids[i] = x
		}
		t.touchIndex(ie)
	}
	for _, id := range append([]ProfileID{pid}, lp.absorbed...) {
		if err := t.tx.Set(purgeKey(id), purgeOwed); err != nil {
			return nil, err
		}
	}
	for _, a := range lx.absorbed {
		if err := t.tx.Set(forwardKey(a), x[:]); err != nil {
			return nil, err
		}
	}
	if ids[pid] {
		t.events = append(t.events, Event{Time: t.now, Kind: EventErased, Profile: pid.String(), From: lp.origStage})
	} else {
		lp.forward = x
		t.events = append(t.events, Event{Time: t.now, Kind: EventMerged, Profile: x.String(), Other: pid.String()})
	}
	lp.p = nil // flush deletes the profile, its data key, stage and blocking entries
	t.touchProfile(lp)
	return q, nil
}

// countingReader is a transaction as a [merge.Reader] that counts the
// profiles whose records the resolver reads: what a recomputation saw.
type countingReader struct {
	*txn
	read *atomic.Int64
}

func (r countingReader) Records(profileID string) ([]identity.Record, error) {
	r.read.Add(1)
	return r.txn.Records(profileID)
}
