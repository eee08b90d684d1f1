package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/codec"
)

// purgeTraces removes from the change feed and the quarantine what names
// the people the erasures js erased: the feed's events about their
// profile ids (merged-in ids included) but the erasure notices
// ([EventErased]), which tell downstream copies to delete them too, and
// the quarantine entries whose record key is one of their source
// records. It is idempotent, so an erasure or restore that is finished
// again after a crash runs it again. It returns the keys of the entries
// it deleted, whose older versions [Store.settle] purges with the erased
// data keys; an entry it rewrote (a feed entry that also holds other
// profiles' events) keeps its older versions, sealed under the keyring,
// until the engine compacts them.
//
// Neither holds an index by person: the feed's entries are sealed event
// lists keyed by number, the quarantine's are keyed by a blind index of
// the position. So it reads both whole, a page of [pageSize] entries per
// transaction: one open (XChaCha20-Poly1305) and decoding per feed entry
// and per quarantine entry, and a blind index (HMAC-SHA256, once per
// live blind-index version) per quarantine entry that names a record id.
// The cost grows with the feed and the quarantine, not with the number
// of erasures: a restore re-applying many erasures reads them once.
func (s *Store) purgeTraces(ctx context.Context, js []*erasure) (deleted [][]byte, err error) {
	if len(js) == 0 {
		return nil, nil
	}
	ids := map[string]bool{}
	for _, pid := range erasedIDs(js) {
		ids[pid.String()] = true
	}
	tags := map[string]bool{}
	for _, j := range js {
		for _, tag := range j.Records {
			tags[string(tag)] = true
		}
	}
	// Events still pending (W) are published first, so that one pass
	// over the feed (L) sees them: the erasing transaction has committed,
	// so no event about the erased profiles can follow.
	if err := s.publish(ctx); err != nil {
		return nil, err
	}
	feed, err := s.scanPages(ctx, nsLog, func(t *txn, e Entry) (bool, error) { return t.redactEvents(e, ids) })
	if err != nil {
		return nil, fmt.Errorf("store: removing an erased person's feed events: %w", err)
	}
	quarantine, err := s.scanPages(ctx, nsQuarantine, func(t *txn, e Entry) (bool, error) { return t.dropQuarantined(e, tags) })
	if err != nil {
		return nil, fmt.Errorf("store: removing an erased person's quarantine entries: %w", err)
	}
	return append(feed, quarantine...), nil
}

// scanPages calls fn with every entry of the namespace ns, [pageSize]
// entries per write transaction, so that neither a transaction's size
// nor its conflicts grow with the namespace. It returns the keys of the
// entries fn deleted (fn returns true).
func (s *Store) scanPages(ctx context.Context, ns byte, fn func(*txn, Entry) (bool, error)) ([][]byte, error) {
	start := []byte{ns}
	var deleted [][]byte
	for {
		var next []byte
		var page [][]byte
		err := s.update(ctx, func(t *txn) error {
			next, page = nil, page[:0]
			n := 0
			for e, err := range t.tx.Scan([]byte{ns}, start, false) {
				if err != nil {
					return err
				}
				if n == pageSize {
					next = append([]byte(nil), e.Key...)
					break
				}
				n++
				del, err := fn(t, e)
				if err != nil {
					return err
				}
				if del {
					page = append(page, append([]byte(nil), e.Key...))
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		deleted = append(deleted, page...)
		if next == nil {
			return deleted, nil
		}
		start = next
	}
}

// redactEvents rewrites the feed entry e without the events that name one
// of ids (but erasure notices). A removed event is left in its place as a
// zero event, which [Store.Watch] skips, so that every other event keeps
// its cursor; an entry left with no event is deleted, and a consumer
// resuming after one of its events resumes at the next entry. An empty
// entry (the mark a purge sets before it drops a key, left by a purge
// that failed) is deleted again.
func (t *txn) redactEvents(e Entry, ids map[string]bool) (deleted bool, err error) {
	if len(e.Value) == 0 {
		return true, t.tx.Delete(append([]byte(nil), e.Key...)) // left by a purge that failed
	}
	plain, err := t.kr.Open(purposeEvent, e.Value)
	if err != nil {
		return false, fmt.Errorf("event %x: %w", e.Key[1:], err)
	}
	var list eventList
	if err := codec.Unmarshal(plain, &list); err != nil {
		return false, fmt.Errorf("event %x: %w", e.Key[1:], err)
	}
	changed, left := false, 0
	for i, ev := range list.Events {
		if ev.Kind != EventErased && (ids[ev.Profile] || ids[ev.Other]) {
			list.Events[i], changed = Event{}, true
		}
		if list.Events[i].Kind != "" {
			left++
		}
	}
	k := append([]byte(nil), e.Key...)
	switch {
	case left == 0:
		return true, t.tx.Delete(k)
	case !changed:
		return false, nil
	}
	plain, err = codec.Marshal(&list)
	if err != nil {
		return false, err
	}
	return false, t.tx.Set(k, t.kr.Seal(purposeEvent, plain))
}

// dropQuarantined deletes the quarantine entry e if its record key's tag,
// under any live blind-index version, is one of tags.
func (t *txn) dropQuarantined(e Entry, tags map[string]bool) (deleted bool, err error) {
	if len(e.Value) == 0 {
		return true, t.tx.Delete(append([]byte(nil), e.Key...)) // left by a purge that failed
	}
	plain, err := t.kr.Open(purposeQuarantine, e.Value)
	if err != nil {
		return false, fmt.Errorf("quarantine entry %x: %w", e.Key[1:], err)
	}
	var q heldEntry
	if err := json.Unmarshal(plain, &q.sealedQuarantine); err != nil {
		return false, fmt.Errorf("quarantine entry %x: %w", e.Key[1:], err)
	}
	if q.RecordID != "" {
		all, err := t.kr.BlindIndexAll(tagRecord, recordValue(identity.RecordKey{Channel: q.Channel, Source: q.Source, ID: q.RecordID}))
		if err != nil {
			return false, err
		}
		for _, tag := range all {
			if tags[string(tag)] {
				return true, t.tx.Delete(append([]byte(nil), e.Key...))
			}
		}
	}
	if len(q.Raw) > 0 {
		// A quarantined record never joined the profile: its raw record
		// names the person only by the identifiers in it, which the
		// erasure has suppressed.
		_, hit, err := t.suppressed(&identity.Record{Identifiers: rawIdentifiers(q.sealedQuarantine)})
		if err != nil {
			return false, err
		}
		if hit {
			return true, t.tx.Delete(append([]byte(nil), e.Key...))
		}
	}
	return false, nil
}
