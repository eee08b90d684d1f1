package store

import (
	"errors"
	"slices"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// A bulk load resolves each group of records at once where that gives
// what ingesting them one by one gives, record by record otherwise.

// resolveGroup ingests the records of one group, decoded in recs: at
// once when it can, else record by record, source by source, as
// IngestAll would. A group of one record without receivers goes record
// by record: Add's fast path creates its profile without recomputing.
func (b *bulkLoad) resolveGroup(t *txn, group []bulkRec, recs []identity.Record) (Summary, error) {
	if (len(recs) > 1 || len(recs[0].Receivers) > 0) && !b.s.bulkRecordByRecord {
		sum, ok, err := t.ingestGroup(recs)
		if ok || err != nil {
			return sum, err
		}
	}
	total := newSummary()
	for lo := 0; lo < len(recs); {
		src := group[lo].src
		hi := lo + 1
		for hi < len(recs) && group[hi].src == src {
			hi++
		}
		t.file = b.files[src]
		sum, err := t.ingestBatch(recs[lo:hi], nil)
		if err != nil {
			return total, err
		}
		total.Add(sum)
		lo = hi
	}
	return total, nil
}

// ingestGroup ingests the records of one group of a bulk load, and the
// receiver records of its orders, in one resolution
// ([merge.Resolver.AddGroup]), which gives what ingesting them one by one
// gives. Versions of one record are combined first, in the order they
// arrive ([merge.Combine]), as ingesting them one by one combines them.
// It reports false, having changed nothing, when a record needs what only
// that does: a record held, erased or suppressed, a record or version the
// resolver refuses, or a group where a hub could be flagged, whose
// result depends on the order its records arrive in.
func (t *txn) ingestGroup(recs []identity.Record) (Summary, bool, error) {
	sum := newSummary()
	// versions holds the version each key keeps so far, in the order
	// the keys first arrive.
	var versions []*identity.Record
	var derived []identity.Record // receiver records, every one derived
	at := make(map[identity.RecordKey]int, len(recs))
	// arrive folds rec into the version of its key and returns the
	// outcome ingesting it one by one has, or false when rec needs that.
	arrive := func(rec *identity.Record) (Outcome, bool, error) {
		if rec.ID == "" || rec.Channel == "" || rec.Source == "" || merge.CheckRecord(rec) != nil {
			return "", false, nil // quarantined one by one
		}
		k := rec.Key()
		if i, seen := at[k]; seen {
			held := versions[i]
			kept, same := merge.Combine(held, rec)
			switch versions[i] = kept; {
			case same:
				return OutcomeUnchanged, true, nil
			case kept == held:
				return OutcomeStale, true, nil
			}
			return OutcomeUpdated, true, nil
		}
		lr, err := t.record(t.recordTag(k))
		if err != nil || !lr.pid.IsZero() || lr.erased {
			return "", false, err
		}
		if erased, err := t.erasedLegacy(rec); err != nil || erased {
			return "", false, err
		}
		if _, suppressed, err := t.suppressed(rec); err != nil || suppressed {
			return "", false, err
		}
		at[k] = len(versions)
		versions = append(versions, rec)
		return OutcomeJoined, true, nil
	}
	for i := range recs {
		rec := &recs[i]
		outcome, ok, err := arrive(rec)
		if !ok || err != nil {
			return sum, false, err
		}
		sum.count(Result{Outcome: outcome}, rec)
		if t.s.noReceivers || len(rec.Receivers) == 0 {
			continue
		}
		// The receiver records of the version the order keeps now.
		for _, d := range merge.ReceiverRecords(versions[at[rec.Key()]]) {
			derived = append(derived, d)
			outcome, ok, err := arrive(&d)
			if !ok || err != nil {
				return sum, false, err
			}
			if outcome == OutcomeJoined || outcome == OutcomeUpdated {
				sum.Receivers++
			}
		}
	}
	// Hub flags stick: where one could be flagged, the order of the
	// versions and records counts, and only ingesting them one by one
	// in the order read gives what IngestAll gives.
	if t.s.resolver.MayFlagHubs(append(slices.Clip(recs), derived...)) {
		return sum, false, nil
	}
	all := make([]identity.Record, len(versions))
	ins := make([]*ingested, len(versions))
	for i, v := range versions {
		plain, ctag, err := t.encodeContent(v)
		if err != nil {
			return sum, false, err
		}
		all[i] = *v
		ins[i] = &ingested{rec: &all[i], plain: plain, ctag: ctag}
	}
	c, err := t.s.resolver.AddGroup(t, all, newProfileID, t.asOf)
	if isInvalid(err) || errors.Is(err, merge.ErrGroupOrder) {
		return sum, false, nil
	}
	if err != nil {
		return sum, false, err
	}
	if err := t.apply(c, ins...); err != nil {
		return sum, true, err
	}
	sum.ProfilesCreated = len(c.Created)
	t.s.bulkGroups.Add(1)
	return sum, true, nil
}
