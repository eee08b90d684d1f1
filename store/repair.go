package store

import (
	"bytes"
	"context"
	"errors"
	"slices"
)

// RepairReport is what [Store.Repair] did and could not do.
type RepairReport struct {
	Profiles    int      `json:"profiles"`    // profiles that open
	Damaged     []string `json:"damaged"`     // ids of profiles that do not open, left as they are
	Stages      int      `json:"stages"`      // stage entries written or removed
	Identifiers int      `json:"identifiers"` // identifier entries rewritten or removed
}

// repairBatch is how many profiles one repair transaction reads.
const repairBatch = 256

// Repair rebuilds the stage and identifier indexes from the profiles that
// still open: every such profile gets its stage entry and its place in
// the entry of each of its identifiers, and entries that name no such
// profile (or a stage it is not in) are removed. Profiles that do not
// open (see [DamagedError]) are listed and left, with their entries, for
// [Store.Erase] or a restore. Hub entries, source-record entries (they
// hold sealed record contents) and the blocking index are not rebuilt;
// run [Store.Verify] afterwards. It keeps in memory a set of every
// profile and identifier pair.
func (s *Store) Repair(ctx context.Context) (*RepairReport, error) {
	done, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	rep := &RepairReport{}
	var pids []ProfileID
	err = s.kv.View(ctx, func(tx Txn) error {
		for e, err := range tx.Scan([]byte{nsProfile}, nil, true) {
			if err != nil {
				return err
			}
			pid, err := profileIDFrom(e.Key[1:])
			if err != nil {
				continue
			}
			pids = append(pids, pid)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	live := map[ProfileID]byte{} // stage code of each profile that opens; 0 for a damaged one
	pairs := map[string][]ProfileID{}
	for start := 0; start < len(pids); start += repairBatch {
		batch := pids[start:min(start+repairBatch, len(pids))]
		var stages, idents int
		var damagedIDs []string
		var found map[ProfileID]byte
		var fpairs map[string][]ProfileID
		err := s.update(ctx, func(t *txn) error {
			stages, idents, damagedIDs, found, fpairs = 0, 0, nil, map[ProfileID]byte{}, map[string][]ProfileID{}
			for _, pid := range batch {
				lp, err := t.profile(pid)
				if errors.Is(err, ErrDamaged) {
					damagedIDs = append(damagedIDs, pid.String())
					found[pid] = 0
					continue
				}
				if err != nil {
					return err
				}
				if lp == nil || lp.p == nil {
					continue
				}
				code := stageCode(lp.p.Stage)
				found[pid] = code
				sum := summarise(lp.p).encode()
				if v, err := t.tx.Get(stageKey(code, pid)); err != nil || !bytes.Equal(v, sum) {
					if err := t.tx.Set(stageKey(code, pid), sum); err != nil {
						return err
					}
					stages++
				}
				for _, st := range lp.p.Identifiers {
					ie, err := t.indexEntry(st.Identifier)
					if err != nil {
						return err
					}
					fpairs[string(ie.key)] = append(fpairs[string(ie.key)], pid)
					if !ie.hub && !slices.Contains(ie.pids, pid) {
						ie.pids = append(ie.pids, pid)
						t.touchIndex(ie)
						idents++
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		rep.Stages += stages
		rep.Identifiers += idents
		rep.Damaged = append(rep.Damaged, damagedIDs...)
		for pid, code := range found {
			live[pid] = code
			if code != 0 {
				rep.Profiles++
			}
		}
		for k, v := range fpairs {
			pairs[k] = append(pairs[k], v...)
		}
	}
	// Entries that name no profile that opens, or another stage.
	n, err := s.prune(ctx, []byte{nsStage}, func(e Entry) ([]byte, bool) {
		pid, err := profileIDFrom(e.Key[2:])
		if err != nil {
			return nil, true
		}
		code, ok := live[pid]
		return nil, !ok || code != 0 && code != e.Key[1]
	})
	rep.Stages += n
	if err != nil {
		return rep, err
	}
	n, err = s.prune(ctx, []byte{nsIdentifier}, func(e Entry) ([]byte, bool) {
		hub, ids, err := decodeIndexValue(e.Value)
		if err != nil || hub {
			return nil, false
		}
		keep := ids[:0:0]
		for _, pid := range ids {
			if code, ok := live[pid]; ok && (code == 0 || slices.Contains(pairs[string(e.Key)], pid)) {
				keep = append(keep, pid)
			}
		}
		if len(keep) == len(ids) {
			return nil, false
		}
		if len(keep) == 0 {
			return nil, true
		}
		return encodeIndexValue(false, keep), true
	})
	rep.Identifiers += n
	return rep, err
}

// prune walks the entries under prefix, a page per transaction, and
// replaces each for which fix says so with the value it returns (nil:
// deletes it). It returns how many it changed.
func (s *Store) prune(ctx context.Context, prefix []byte, fix func(Entry) ([]byte, bool)) (int, error) {
	changed := 0
	start := prefix
	for start != nil {
		var next []byte
		n := 0
		err := s.kv.Update(ctx, func(tx Txn) error {
			next, n = nil, 0
			type change struct{ k, v []byte }
			var cs []change
			seen := 0
			for e, err := range tx.Scan(prefix, start, false) {
				if err != nil {
					return err
				}
				if seen == pageSize {
					next = bytes.Clone(e.Key)
					break
				}
				seen++
				if v, ok := fix(e); ok {
					cs = append(cs, change{bytes.Clone(e.Key), v})
				}
			}
			for _, c := range cs {
				var err error
				if c.v == nil {
					err = tx.Delete(c.k)
				} else {
					err = tx.Set(c.k, c.v)
				}
				if err != nil {
					return err
				}
			}
			n = len(cs)
			return nil
		})
		if err != nil {
			return changed, err
		}
		changed += n
		start = next
	}
	return changed, nil
}
