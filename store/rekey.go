package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Schema 4 re-keys e-commerce records. Builds of schema 3 and before gave
// every e-commerce record read with the default source the key
// "ecommerce/ecommerce/<id>", so that a Taobao trade and a JD order with
// the same number were one record, the later replacing the earlier; the
// identity package now makes the platform the default source
// ("ecommerce/taobao/<id>", "ecommerce/jd/<id>"). Opening (or restoring)
// a database of an older schema marks it schema 4 and rekeyPending, and
// re-keys it before Open returns:
//
//  1. Every record under a legacy key whose platform its content tells
//     (its order's platform, or its buyer id's) gets its platform as
//     source: its R entry moves to the new key's tag, re-sealed, with the
//     content tag of its new content, and every reference to it in any
//     profile (records, provenance, orders, events, credits, do-not-link
//     pairs, separations: found by reflection) is renamed.
//  2. Every profile that refers to an e-commerce record is re-resolved
//     from its records (merge.Resolver.Resolve), so that its order and
//     fingerprints are what this build computes.
//
// A record whose platform its content does not tell, or whose new key is
// held already (the same order imported once with the default source and
// once with --source taobao), keeps its legacy key, which still resolves.
// The tombstones of erased legacy records cannot be re-keyed (they are
// blind-index tags; the records are shredded), so a database that had any
// is marked legacyTombstones, and an e-commerce record whose legacy key
// is tombstoned is refused as erased when it is ingested again.
//
// Each step is idempotent and runs in batches; a crash leaves
// rekeyPending set, and the next Open finishes the work.
const (
	metaRekey            = "rekey"             // "1": step 1 owed; "2": step 2 owed
	metaLegacyTombstones = "legacy-tombstones" // tombstones of legacy e-commerce keys may exist
	legacySource         = "ecommerce"         // the e-commerce source of schemas 1 to 3
	rekeyBatch           = 64                  // profiles per transaction
)

// legacyKey returns the key an older build gave the e-commerce record k
// read with the default source, and whether k is such a record.
func legacyKey(k identity.RecordKey) (identity.RecordKey, bool) {
	if k.Channel != identity.ChannelEcommerce || (k.Source != identity.PlatformTaobao && k.Source != identity.PlatformJD) {
		return k, false
	}
	return identity.RecordKey{Channel: k.Channel, Source: legacySource, ID: k.ID}, true
}

func isLegacy(k identity.RecordKey) bool {
	return k.Channel == identity.ChannelEcommerce && k.Source == legacySource
}

// recordPlatform is the platform a record's content tells: its order's,
// or its buyer id's; "" if neither.
func recordPlatform(rec *identity.Record) string {
	for _, o := range rec.Orders {
		if o.Platform != "" {
			return o.Platform
		}
	}
	for _, id := range rec.Identifiers {
		if id.Kind == identity.KindBuyer && id.Scope != "" {
			return id.Scope
		}
	}
	return ""
}

// rekeyState reads the re-keying step owed, "" if none.
func (s *Store) rekeyState(ctx context.Context) (string, error) {
	var state string
	err := s.kv.View(ctx, func(tx Txn) error {
		v, err := tx.Get(metaKey(metaRekey))
		if errors.Is(err, ErrKeyNotFound) {
			return nil
		}
		state = string(v)
		return err
	})
	return state, err
}

// rekey runs the re-keying steps owed, if any, derives the receiver
// records a database of an older build lacks (receivers.go), and loads
// the legacyTombstones mark.
func (s *Store) rekey(ctx context.Context) error {
	state, err := s.rekeyState(ctx)
	if err != nil {
		return err
	}
	if state == "1" {
		n, err := s.rekeyRecords(ctx)
		if err != nil {
			return fmt.Errorf("store: re-key e-commerce records: %w", err)
		}
		if err := s.kv.Update(ctx, func(tx Txn) error {
			// Any tombstone may be a legacy e-commerce record's.
			for range tx.Scan([]byte{nsTombstone}, nil, true) {
				if err := tx.Set(metaKey(metaLegacyTombstones), []byte("1")); err != nil {
					return err
				}
				break
			}
			return tx.Set(metaKey(metaRekey), []byte("2"))
		}); err != nil {
			return err
		}
		state = "2"
		if n > 0 {
			s.log.Info("store: re-keyed e-commerce records by platform", "records", n)
		}
	}
	if state == "2" {
		if err := s.rekeyResolve(ctx); err != nil {
			return fmt.Errorf("store: re-key e-commerce records: %w", err)
		}
		if err := s.kv.Update(ctx, func(tx Txn) error { return tx.Delete(metaKey(metaRekey)) }); err != nil {
			return err
		}
	}
	if n, err := s.backfillReceivers(ctx); err != nil {
		return err
	} else if n > 0 {
		s.log.Info("store: derived the receiver records of the orders held", "records", n)
	}
	return s.kv.View(ctx, func(tx Txn) error {
		_, err := tx.Get(metaKey(metaLegacyTombstones))
		s.legacyTombstones = err == nil
		if errors.Is(err, ErrKeyNotFound) {
			err = nil
		}
		return err
	})
}

// rekeyRecords is step 1; it returns how many records it re-keyed.
func (s *Store) rekeyRecords(ctx context.Context) (int, error) {
	ids, err := s.profileIDs(ctx)
	if err != nil {
		return 0, err
	}
	moved := 0
	for batch := range slices.Chunk(ids, rekeyBatch) {
		n := 0
		err := s.update(ctx, func(t *txn) error {
			n = 0
			for _, id := range batch {
				lp, err := t.profile(id)
				if err != nil {
					return err
				}
				if lp == nil || lp.p == nil {
					continue
				}
				m, err := t.rekeyProfile(lp)
				if err != nil {
					return err
				}
				n += m
			}
			return nil
		})
		if err != nil {
			return moved, err
		}
		moved += n
	}
	return moved, nil
}

// rekeyProfile moves the profile's own legacy records to their new keys
// and renames every legacy key it refers to; it returns how many records
// it moved.
func (t *txn) rekeyProfile(lp *liveProfile) (int, error) {
	// The profile's own records first: after them, every legacy key whose
	// record moved is found under its new key.
	moved := map[identity.RecordKey]identity.RecordKey{}
	for _, ref := range lp.p.Records {
		if !isLegacy(ref.Key) {
			continue
		}
		nk, rec, err := t.moveTarget(ref.Key)
		if err != nil {
			return 0, err
		}
		if rec == nil {
			continue
		}
		old, err := t.record(t.recordTag(ref.Key))
		if err != nil {
			return 0, err
		}
		c := *rec
		c.Source = nk.Source
		plain, ctag, err := t.encodeContent(&c)
		if err != nil {
			return 0, err
		}
		lr, err := t.record(t.recordTag(nk))
		if err != nil {
			return 0, err
		}
		lr.rec, lr.plain, lr.ctag, lr.pid = &c, plain, ctag, lp.id
		t.touchRecord(lr)
		old.deleted, old.pid = true, ProfileID{}
		t.touchRecord(old)
		moved[ref.Key] = nk
	}
	q := lp.p.Clone()
	var ferr error
	renamed := 0
	walkKeys(reflect.ValueOf(q), func(k *identity.RecordKey) {
		if ferr != nil || !isLegacy(*k) {
			return
		}
		nk, ok := moved[*k]
		if !ok {
			nk, ok, ferr = t.movedTo(*k)
		}
		if ok {
			*k = nk
			renamed++
		}
	})
	if ferr != nil {
		return 0, ferr
	}
	if renamed == 0 {
		return 0, nil
	}
	newKeys := slices.Collect(maps.Values(moved))
	for i := range q.Records {
		if nk := q.Records[i].Key; slices.Contains(newKeys, nk) {
			lr, err := t.record(t.recordTag(nk))
			if err != nil {
				return 0, err
			}
			q.Records[i].Fingerprint = merge.Fingerprint(lr.rec)
		}
	}
	// Keep the orders merge relies on until step 2 rebuilds the profile.
	slices.SortFunc(q.Records, func(a, b merge.RecordRef) int { return compareKeys(a.Key, b.Key) })
	for i, p := range q.DoNotLink {
		if compareKeys(p.A, p.B) > 0 {
			q.DoNotLink[i].A, q.DoNotLink[i].B = p.B, p.A
		}
	}
	slices.SortFunc(q.DoNotLink, func(a, b merge.Pair) int {
		return cmpOr(compareKeys(a.A, b.A), compareKeys(a.B, b.B))
	})
	for i, p := range q.Separations {
		if compareKeys(p.A, p.B) > 0 {
			q.Separations[i].A, q.Separations[i].B = p.B, p.A
		}
	}
	lp.p = q
	t.touchProfile(lp)
	return len(moved), nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func compareKeys(a, b identity.RecordKey) int {
	return cmpOr(cmpOr(strings.Compare(string(a.Channel), string(b.Channel)), strings.Compare(a.Source, b.Source)), strings.Compare(a.ID, b.ID))
}

// moveTarget returns the new key of the legacy record k and its content,
// or a nil record if it keeps its key: no record is held under k, its
// content tells no platform, or its new key is taken.
func (t *txn) moveTarget(k identity.RecordKey) (identity.RecordKey, *identity.Record, error) {
	lr, err := t.record(t.recordTag(k))
	if err != nil || lr.pid.IsZero() {
		return k, nil, err
	}
	rec, err := t.content(lr)
	if err != nil {
		return k, nil, err
	}
	p := recordPlatform(rec)
	if p == "" {
		return k, nil, nil
	}
	nk := identity.RecordKey{Channel: k.Channel, Source: p, ID: k.ID}
	taken, err := t.record(t.recordTag(nk))
	if err != nil || !taken.pid.IsZero() || taken.erased {
		return k, nil, err
	}
	return nk, rec, nil
}

// movedTo returns the key the legacy record k of another profile has or
// will have: its new key if it moved already, or will move.
func (t *txn) movedTo(k identity.RecordKey) (identity.RecordKey, bool, error) {
	lr, err := t.record(t.recordTag(k))
	if err != nil {
		return k, false, err
	}
	if !lr.pid.IsZero() { // not moved yet: where it will go
		nk, rec, err := t.moveTarget(k)
		return nk, rec != nil, err
	}
	// Moved: under the one platform key that holds it.
	var found []identity.RecordKey
	for _, p := range []string{identity.PlatformTaobao, identity.PlatformJD} {
		nk := identity.RecordKey{Channel: k.Channel, Source: p, ID: k.ID}
		lr, err := t.record(t.recordTag(nk))
		if err != nil {
			return k, false, err
		}
		if !lr.pid.IsZero() {
			found = append(found, nk)
		}
	}
	if len(found) != 1 {
		return k, false, nil
	}
	return found[0], true, nil
}

var recordKeyType = reflect.TypeFor[identity.RecordKey]()

// walkKeys calls fn with every identity.RecordKey reachable from v
// through pointers, structs and slices, settable in place.
func walkKeys(v reflect.Value, fn func(*identity.RecordKey)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkKeys(v.Elem(), fn)
		}
	case reflect.Struct:
		if v.Type() == recordKeyType {
			if v.CanAddr() {
				fn(v.Addr().Interface().(*identity.RecordKey))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkKeys(v.Field(i), fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkKeys(v.Index(i), fn)
		}
	}
}

// rekeyResolve is step 2: it re-resolves every profile that refers to an
// e-commerce record.
func (s *Store) rekeyResolve(ctx context.Context) error {
	ids, err := s.profileIDs(ctx)
	if err != nil {
		return err
	}
	for batch := range slices.Chunk(ids, rekeyBatch) {
		err := s.update(ctx, func(t *txn) error {
			var todo []ProfileID
			for _, id := range batch {
				lp, err := t.profile(id)
				if err != nil {
					return err
				}
				if lp == nil || lp.p == nil {
					continue
				}
				ecommerce := false
				walkKeys(reflect.ValueOf(lp.p), func(k *identity.RecordKey) {
					ecommerce = ecommerce || k.Channel == identity.ChannelEcommerce
				})
				if ecommerce {
					todo = append(todo, id)
				}
			}
			return t.resolveAll(todo, false)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// erasedLegacy reports whether rec, an e-commerce record of a platform
// source that no profile holds, was erased under its legacy key.
func (t *txn) erasedLegacy(rec *identity.Record) (bool, error) {
	if !t.s.legacyTombstones {
		return false, nil
	}
	k, ok := legacyKey(rec.Key())
	if !ok {
		return false, nil
	}
	lr, err := t.record(t.recordTag(k))
	if err != nil {
		return false, err
	}
	return lr.erased, nil
}
