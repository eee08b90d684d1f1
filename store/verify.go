package store

import (
	"context"
	"fmt"
	"slices"
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
// reads everything in one snapshot. An error means it could not read;
// inconsistencies are in the Report.
func (s *Store) Verify(ctx context.Context) (*Report, error) {
	r := &Report{}
	err := s.read(ctx, func(t *txn) error { return t.verify(ctx, r) })
	return r, err
}

func (t *txn) verify(ctx context.Context, r *Report) error {
	records := map[string]ProfileID{}  // record tag -> the profile listing it
	idents := map[string][]ProfileID{} // identifier key -> profiles listing it
	stages := map[ProfileID]byte{}     // profile -> stage code
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
		stages[pid] = stageCode(lp.p.Stage)
		for _, ref := range lp.p.Records {
			tag := t.recordTag(ref.Key)
			if other, dup := records[string(tag)]; dup {
				r.problem("R %x: listed by profiles %v and %v", tag, other, pid)
			}
			records[string(tag)] = pid
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
				if _, err := t.content(lr); err != nil {
					r.problem("R %x: %v", tag, err)
				}
			}
		}
		for _, st := range lp.p.Identifiers {
			k := t.identifierKey(st.Identifier)
			idents[string(k)] = append(idents[string(k)], pid)
			ie, err := t.indexEntry(st.Identifier)
			if err != nil {
				return err
			}
			if !slices.Contains(ie.pids, pid) {
				r.problem("P %v: %s identifier %x not indexed to it", pid, st.Identifier.Kind, k[2:])
			}
		}
		if err := blocks.profile(r, pid, lp.p); err != nil {
			return err
		}
		// Keep memory flat: profiles, their records and the blind
		// indexes of their keys are not needed once checked.
		delete(t.profiles, pid)
		clear(t.records)
		clear(t.index)
		clear(t.rtags)
		clear(t.ikeys)
	}
	for e, err := range t.tx.Scan([]byte{nsPurge}, nil, true) {
		if err != nil {
			return err
		}
		r.problem("U %x: an erasure's journal line or purge is not done (or is running); until it is, old versions of its keys may stay on disk; Open, Maintain and Restore finish it", e.Key[1:])
	}
	for e, err := range t.tx.Scan([]byte{nsDataKey}, nil, true) {
		if err != nil {
			return err
		}
		pid, err := profileIDFrom(e.Key[1:])
		if err != nil {
			r.problem("K %x: bad key", e.Key[1:])
			continue
		}
		if _, ok := stages[pid]; !ok {
			r.problem("K %v: a data key without its profile", pid)
		}
	}
	for e, err := range t.tx.Scan([]byte{nsRecord}, nil, false) {
		if err != nil {
			return err
		}
		tag := e.Key[1:]
		if isTombstone(e.Value) {
			if _, err := t.tx.Get(key(nsTombstone, tag)); err != nil {
				r.problem("R %x: tombstone without its Z entry", tag)
			}
			continue
		}
		r.Records++
		pid, _, _, err := splitRecordValue(e.Value, len(tag))
		if err != nil {
			r.problem("R %x: %v", tag, err)
			continue
		}
		if want, ok := records[string(tag)]; !ok {
			r.problem("R %x: held by %v, which does not list it", tag, pid)
		} else if want != pid {
			r.problem("R %x: held by %v, listed by %v", tag, pid, want)
		}
	}
	if r.Records != len(records) {
		r.problem("counts: %d record entries, profiles list %d records", r.Records, len(records))
	}
	for e, err := range t.tx.Scan([]byte{nsIdentifier}, nil, false) {
		if err != nil {
			return err
		}
		r.Identifiers++
		_, pids, err := decodeIndexValue(e.Value)
		if err != nil {
			r.problem("I %x: %v", e.Key[1:], err)
			continue
		}
		want := idents[string(e.Key)]
		for _, pid := range pids {
			if !slices.Contains(want, pid) {
				r.problem("I %x: points at %v, which does not list it", e.Key[1:], pid)
			}
		}
	}
	seen := 0
	for e, err := range t.tx.Scan([]byte{nsStage}, nil, false) {
		if err != nil {
			return err
		}
		seen++
		pid, err := profileIDFrom(e.Key[2:])
		if err != nil {
			r.problem("S %x: bad key", e.Key[1:])
			continue
		}
		code, ok := stages[pid]
		switch {
		case !ok:
			r.problem("S %x: no profile %v", e.Key[1:2], pid)
		case code != e.Key[1]:
			r.problem("S: profile %v indexed under stage %d, is in %d", pid, e.Key[1], code)
		}
		if _, err := decodeSummary(e.Value); err != nil {
			r.problem("S %v: %v", pid, err)
		}
	}
	if seen != r.Profiles {
		r.problem("counts: %d stage index entries for %d profiles", seen, r.Profiles)
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
		if _, ok := stages[pid]; ok {
			r.problem("F %v: forwarded id is also a live profile", pid)
		}
		if _, err := t.byID(pid); err != nil && !isErased(err) {
			r.problem("F %v: %v", pid, err)
		}
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
