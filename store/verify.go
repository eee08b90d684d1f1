package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/scv-go/scv/merge"
)

// Report is what [Store.Verify] found. Problems name keys by their
// namespace and hex, never by personal data.
type Report struct {
	Profiles    int      `json:"profiles"`
	Records     int      `json:"records"`
	Identifiers int      `json:"identifiers"`
	Forwards    int      `json:"forwards"`
	Quarantined int      `json:"quarantined"`
	Problems    []string `json:"problems,omitempty"`
}

// OK reports whether Verify found no problem.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < 1000 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Verify checks that the store is consistent: every profile opens under
// its data key and its records and identifiers point back at it; every
// record entry is held by a profile that lists it; every identifier entry
// points at profiles that list the identifier; the stage index matches the
// profiles one for one; the blocking index holds exactly the blocks the
// profiles' names and birthdays give (once built, see [Store.Suggest]);
// forwards lead to a live or erased profile; and the counts reconcile. It
// reads everything in one snapshot, in memory that does not grow with the
// store. An error means it could not read; inconsistencies are in the
// Report.
func (s *Store) Verify(ctx context.Context) (*Report, error) {
	r := &Report{}
	if c, ok := s.kv.(checksummer); ok {
		// A damaged table reads as missing or wrong entries, not as an
		// error: its checksums say which file it is.
		if err := c.VerifyChecksums(); err != nil {
			r.problem("%v: %v; restore a backup", ErrEngineDamaged, err)
		}
	}
	err := s.read(ctx, func(t *txn) error { return t.verify(ctx, r) })
	return r, err
}

// checksummer is implemented by engines that can check the checksums of
// their files (Badger: every block of every table).
type checksummer interface {
	VerifyChecksums() error
}

// verify checks in a fixed amount of memory, whatever the store's size.
// Each profile's own entries are checked from the profile (its records,
// identifiers, stage and blocking entries point back at it; its data key
// is there); the entries no profile reaches are then found by counting:
// the profiles list as many records, give as many identifier-profile
// pairs and have as many stage entries as the indexes hold, or some entry
// is stray, and only then is each entry of that index checked against the
// profile it names (a profile read per entry: slow, and only for a damaged
// store).
func (t *txn) verify(ctx context.Context, r *Report) error {
	// Each count is of entries confirmed from a profile, so that a stray
	// entry cannot hide behind a missing one.
	var (
		listed int // record entries held by the profile that lists them
		pairs  int // identifier entries naming a profile that lists them
		staged int // stage entries where their profile's stage says
		keyed  int // profile entries with a data key
	)
	blocks, err := t.newBlockVerifier()
	if err != nil {
		return err
	}
	for e, err := range t.tx.Scan([]byte{nsProfile}, nil, true) {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		pid, err := profileIDFrom(e.Key[1:])
		if err != nil {
			r.problem("P %x: bad key", e.Key[1:])
			continue
		}
		switch _, err := t.tx.Get(dataKeyKey(pid)); {
		case err == nil:
			keyed++
		case !errors.Is(err, ErrKeyNotFound):
			return err
		}
		r.Profiles++
		lp, err := t.profile(pid)
		if err != nil {
			r.problem("P %v: %v", pid, err)
			continue
		}
		if lp == nil {
			r.problem("P %v: empty entry: an erasure's purge did not finish; old versions of its keys stay until it does (Open, Maintain and Restore finish it when a U entry says it is owed)", pid)
			continue
		}
		if lp.p.ID != pid.String() {
			r.problem("P %v: holds profile id %q", pid, lp.p.ID)
		}
		switch _, err := t.tx.Get(stageKey(stageCode(lp.p.Stage), pid)); {
		case errors.Is(err, ErrKeyNotFound):
			r.problem("P %v: no stage index entry under its stage %s", pid, lp.p.Stage)
		case err != nil:
			return err
		default:
			staged++
		}
		seen := map[string]bool{}
		for _, ref := range lp.p.Records {
			tag := t.recordTag(ref.Key)
			if seen[string(tag)] {
				r.problem("P %v: lists record %x twice", pid, tag)
				continue
			}
			seen[string(tag)] = true
			lr, err := t.record(tag)
			if err != nil {
				return err
			}
			switch {
			case lr.pid.IsZero():
				r.problem("P %v: record %x missing", pid, tag)
			case lr.pid != pid:
				r.problem("P %v: record %x is held by %v", pid, tag, lr.pid)
			default:
				listed++
				if _, err := t.content(lr); err != nil {
					r.problem("R %x: %v", tag, err)
				}
			}
		}
		clear(seen)
		for _, st := range lp.p.Identifiers {
			k := t.identifierKey(st.Identifier)
			if seen[string(k)] {
				r.problem("P %v: lists %s identifier %x twice", pid, st.Identifier.Kind, k[2:])
				continue
			}
			seen[string(k)] = true
			ie, err := t.indexEntry(st.Identifier)
			if err != nil {
				return err
			}
			if slices.Contains(ie.pids, pid) {
				pairs++
			} else {
				r.problem("P %v: %s identifier %x not indexed to it", pid, st.Identifier.Kind, k[2:])
			}
		}
		if err := blocks.profile(r, pid, lp.p); err != nil {
			return err
		}
		t.forget()
	}
	if err := t.verifyDataKeys(ctx, r, keyed); err != nil {
		return err
	}
	for e, err := range t.tx.Scan([]byte{nsPurge}, nil, false) {
		if err != nil {
			return err
		}
		if bytes.Equal(e.Value, purgeKept) {
			r.problem("U %x: erased, but the engine cannot purge: old versions of the erased profile's wrapped data key stay in it %s (see Store.ErasureRetention)", e.Key[1:], t.s.ErasureRetention())
			continue
		}
		r.problem("U %x: an erasure's journal line or purge is not done (or is running); until it is, old versions of its keys may stay on disk; Open, Maintain and Restore finish it", e.Key[1:])
	}
	switch sealed, err := t.tx.Get(metaKey(metaRestoreOwed)); {
	case err == nil:
		n := "some"
		if plain, err := t.kr.Open(purposeRestore, sealed); err == nil {
			var js []json.RawMessage
			if json.Unmarshal(plain, &js) == nil {
				n = fmt.Sprint(len(js))
			}
		}
		r.problem("M %s: a restore replaced the data but has not applied again the %s erasures it owes; erased customers may be readable until Open, Maintain or Restore finishes it", metaRestoreOwed, n)
	case !errors.Is(err, ErrKeyNotFound):
		return err
	}
	if err := t.verifyRecords(ctx, r, listed); err != nil {
		return err
	}
	if err := t.verifyIdentifiers(ctx, r, pairs); err != nil {
		return err
	}
	if err := t.verifyStages(ctx, r, staged); err != nil {
		return err
	}
	for e, err := range t.tx.Scan([]byte{nsForward}, nil, true) {
		if err != nil {
			return err
		}
		r.Forwards++
		pid, err := profileIDFrom(e.Key[1:])
		if err != nil {
			r.problem("F %x: bad key", e.Key[1:])
			continue
		}
		if _, err := sealedProfile(t.tx.Get(profileKey(pid))); err == nil {
			r.problem("F %v: forwarded id is also a live profile", pid)
		} else if !errors.Is(err, ErrKeyNotFound) {
			return err
		}
		if _, err := t.byID(pid); err != nil && !isErased(err) {
			r.problem("F %v: %v", pid, err)
		}
		t.forget()
	}
	if err := blocks.finish(r); err != nil {
		return err
	}
	for _, err := range t.tx.Scan([]byte{nsQuarantine}, nil, true) {
		if err != nil {
			return err
		}
		r.Quarantined++
	}
	return nil
}

// forget drops what the transaction cached while reading a profile, so
// that a pass over every profile keeps its memory flat.
func (t *txn) forget() {
	clear(t.profiles)
	clear(t.records)
	clear(t.index)
	clear(t.rtags)
	clear(t.ikeys)
}

// twoPasses checks the entries of namespace ns against a count: entry
// checks what an entry says of itself and returns how much it counts
// towards want; when the total is not want, that is a problem (mismatch
// formats the total and want), and a second pass calls entry with detail
// set, to check each entry against the profile it names.
func (t *txn) twoPasses(ctx context.Context, r *Report, ns byte, keysOnly bool, want int, mismatch string, entry func(e Entry, detail bool) (int, error)) error {
	for pass := range 2 {
		n := 0
		for e, err := range t.tx.Scan([]byte{ns}, nil, keysOnly) {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			c, err := entry(e, pass == 1)
			if err != nil {
				return err
			}
			n += c
		}
		if pass == 1 || n == want {
			return nil
		}
		r.problem(mismatch, n, want)
	}
	return nil
}

// verifyRecords checks the record entries: tombstones have their Z entry,
// live ones name a holder, and there are as many as the profiles list
// (listed); if not, each entry is checked against its holder.
func (t *txn) verifyRecords(ctx context.Context, r *Report, listed int) error {
	return t.twoPasses(ctx, r, nsRecord, false, listed, "counts: %d record entries, %d of them held by a profile that lists them", func(e Entry, detail bool) (int, error) {
		tag := e.Key[1:]
		if isTombstone(e.Value) {
			if !detail {
				if _, err := t.tx.Get(key(nsTombstone, tag)); err != nil {
					r.problem("R %x: tombstone without its Z entry", tag)
				}
			}
			return 0, nil
		}
		if !detail {
			r.Records++
		}
		pid, _, _, err := splitRecordValue(e.Value, len(tag))
		switch {
		case err != nil:
			if !detail {
				r.problem("R %x: %v", tag, err)
			}
		case detail:
			lists, err := t.lists(pid, func(p *merge.Profile) bool {
				return slices.ContainsFunc(p.Records, func(ref merge.RecordRef) bool { return bytes.Equal(t.recordTag(ref.Key), tag) })
			})
			if err != nil {
				return 0, err
			}
			if !lists {
				r.problem("R %x: held by %v, which does not list it", tag, pid)
			}
		}
		return 1, nil
	})
}

// verifyIdentifiers checks the identifier entries: they decode, and they
// name as many profiles in all as the profiles give identifier-profile
// pairs; if not, each profile an entry names is checked to list it.
func (t *txn) verifyIdentifiers(ctx context.Context, r *Report, pairs int) error {
	return t.twoPasses(ctx, r, nsIdentifier, false, pairs, "counts: identifier entries name %d profiles in all, %d of them list the identifier", func(e Entry, detail bool) (int, error) {
		if !detail {
			r.Identifiers++
		}
		_, pids, err := decodeIndexValue(e.Value)
		if err != nil {
			if !detail {
				r.problem("I %x: %v", e.Key[1:], err)
			}
			return 0, nil
		}
		for i, pid := range pids {
			if !detail {
				break // counted; the profiles are read on the second pass
			}
			if slices.Contains(pids[:i], pid) {
				r.problem("I %x: names %v twice", e.Key[1:], pid)
				continue
			}
			lists, err := t.lists(pid, func(p *merge.Profile) bool {
				return slices.ContainsFunc(p.Identifiers, func(st merge.IdentifierState) bool {
					return bytes.Equal(t.identifierKey(st.Identifier), e.Key)
				})
			})
			if err != nil {
				return 0, err
			}
			if !lists {
				r.problem("I %x: points at %v, which does not list it", e.Key[1:], pid)
			}
		}
		return len(pids), nil
	})
}

// verifyStages checks the stage entries: their summaries decode, and
// there are as many as profiles found theirs (staged); if not, each entry
// is checked against its profile.
func (t *txn) verifyStages(ctx context.Context, r *Report, staged int) error {
	return t.twoPasses(ctx, r, nsStage, false, staged, "counts: %d stage index entries, %d profiles found theirs", func(e Entry, detail bool) (int, error) {
		pid, err := profileIDFrom(e.Key[2:])
		switch {
		case err != nil:
			if !detail {
				r.problem("S %x: bad key", e.Key[1:])
			}
		case !detail:
			if _, err := decodeSummary(e.Value); err != nil {
				r.problem("S %v: %v", pid, err)
			}
		default:
			defer t.forget()
			lp, err := t.profile(pid)
			switch {
			case err != nil:
				r.problem("S %x: profile %v: %v", e.Key[1:2], pid, err)
			case lp == nil:
				r.problem("S %x: no profile %v", e.Key[1:2], pid)
			case stageCode(lp.p.Stage) != e.Key[1]:
				r.problem("S: profile %v indexed under stage %d, is in %d", pid, e.Key[1], stageCode(lp.p.Stage))
			}
		}
		return 1, nil
	})
}

// verifyDataKeys checks that there are as many data keys as profile
// entries with one (keyed); if not, each data key is checked for its
// profile entry.
func (t *txn) verifyDataKeys(ctx context.Context, r *Report, keyed int) error {
	return t.twoPasses(ctx, r, nsDataKey, true, keyed, "counts: %d data keys, %d profile entries with one", func(e Entry, detail bool) (int, error) {
		if !detail {
			return 1, nil
		}
		pid, err := profileIDFrom(e.Key[1:])
		if err != nil {
			r.problem("K %x: bad key", e.Key[1:])
			return 1, nil
		}
		switch _, err := t.tx.Get(profileKey(pid)); {
		case errors.Is(err, ErrKeyNotFound):
			r.problem("K %v: a data key without its profile", pid)
		case err != nil:
			return 0, err
		}
		return 1, nil
	})
}

// lists reports whether profile pid has what an index entry says it has,
// or cannot be opened (a problem reported with the profile); false when
// there is no such profile. An error is a failed read.
func (t *txn) lists(pid ProfileID, has func(*merge.Profile) bool) (bool, error) {
	defer t.forget()
	lp, err := t.profile(pid)
	switch {
	case err != nil:
		return true, nil
	case lp == nil:
		return false, nil
	}
	return has(lp.p), nil
}
