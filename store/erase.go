package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// erasure is one entry of the erasure journal: an erased profile id, the
// ids merged into it over time, and the blind-index tags of its source
// records. It holds no personal data.
type erasure struct {
	Profile  string   `json:"profile"`
	Absorbed []string `json:"absorbed,omitempty"`
	Records  [][]byte `json:"records,omitempty"` // record tags under every live blind-index version
	// Suppressed are the suppression entries the erasure wrote (N keys
	// without the namespace byte: an identifier kind and a blind-index
	// tag), see suppress.go.
	Suppressed [][]byte  `json:"suppressed,omitempty"`
	Time       time.Time `json:"time"`
	// stripped are the ids of the profiles the erasure took the erased
	// person out of as a gift's receiver ([txn.stripErasedReceivers]):
	// their keys are purged with the erased profile's, and the feed keeps
	// their events.
	stripped []ProfileID
}

// EventErased is the change-feed event of an erased profile: downstream
// copies (marketing lists, exports) must delete it too.
const EventErased EventKind = "erased"

// Erase erases a customer by crypto-shredding: in one transaction it
// deletes the profile, its wrapped data key, its source records and its
// index entries, leaves a tombstone for each source record (so that
// re-importing the same records never brings the customer back) and
// journals the erasure; then it purges every stored version of the
// profile's key, which holds its wrapped data key (and those of the
// profiles merged into it), so no older copy of its sealed values can be
// opened again. The change feed's events about the profile and the
// profiles merged into it (but the [EventErased] notice) and the
// quarantine entries of its records are removed after the transaction
// (see [Store.Watch]). The identifiers that linked the profile's records
// and that no other profile carries are suppressed: a later record
// carrying one, from any source, is refused ([OutcomeSuppressed]) until
// [Store.Unsuppress] lifts it. id may be a forwarded id; the profile it
// forwards to is erased. Erase returns [ErrNotFound] for an unknown id
// and [ErrErased] for one erased before.
//
// A gift's receiver is also taken out of the orders of the buyers who
// shipped to her: in the erasing transaction for up to 1,000 buyers,
// in further transactions of as many for the rest (a transaction could
// not hold the receiver of 10,000 buyers).
//
// An error after the erasing transaction committed (a further one, writing
// the external journal, or the purge) leaves the customer erased and the
// rest owed: Open, [Store.Maintain] and [Store.Restore] finish it, and
// [Store.Verify] reports it until then.
func (s *Store) Erase(ctx context.Context, id string) error {
	pid, err := ParseProfileID(id)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	var j *erasure
	strip := s.stripChunk()
	eraseTxn := func(t *txn) error {
		p, err := t.byID(pid)
		if de := (*DamagedError)(nil); errors.As(err, &de) {
			target, _ := ParseProfileID(de.ID)
			j, err = t.eraseDamaged(target) // shredding needs no decryption
			return err
		}
		if err != nil {
			return err
		}
		target, _ := ParseProfileID(p.ID)
		j, err = t.erase(target, strip)
		return err
	}
	for {
		err = s.update(ctx, eraseTxn)
		if !errors.Is(err, ErrTxnTooBig) || strip == 0 {
			break
		}
		strip /= 2 // the buyers' orders made it too big: fewer of them
	}
	if err != nil {
		return err
	}
	if s.eraseStopsAfterFirst {
		return nil
	}
	// A strip that fails leaves j's U entries owed, though settled
	// otherwise: finishErasures strips the rest, then settles again.
	js, ids := []*erasure{j}, erasedIDs([]*erasure{j})
	var owed []ProfileID
	serr := s.stripOwed(ctx, j, strip)
	if serr != nil {
		owed = ids
	}
	return errors.Join(serr, s.settle(ctx, js, append(ids, j.stripped...), js, owed...))
}

// stripChunk is how many buyers' profiles one transaction of an erasure
// takes the erased receiver out of (at first: fewer if they do not fit).
func (s *Store) stripChunk() int {
	if s.eraseStripChunk > 0 {
		return s.eraseStripChunk
	}
	return defaultStripChunk
}

// defaultStripChunk: the receiver of 5,000 buyers' gifts, each buyer's
// profile of one order, fits one Badger transaction; 10,000 do not.
const defaultStripChunk = 1000

// stripOwed takes the person j erased out of the orders of the buyers
// the erasing transaction did not reach: those the index still lists
// under j's suppressed identifiers, a chunk of them a transaction (half
// as many when they do not fit). A transaction cannot hold the receiver
// of ten thousand buyers' gifts. Until it is done, j's U entry says the
// erasure is owed: Open, Maintain and Restore finish it
// (finishErasures).
func (s *Store) stripOwed(ctx context.Context, j *erasure, chunk int) error {
	if len(j.Suppressed) == 0 {
		return nil
	}
	if s.stripFails != nil {
		return s.stripFails
	}
	chunk = max(1, chunk)
	// A profile the strip left as it was is not tried again; one it
	// changed moved to a new id, which the index lists if anything is
	// left to strip.
	tried := map[ProfileID]bool{}
	for {
		var stripped, took []ProfileID
		err := s.update(ctx, func(t *txn) error {
			stripped, took = nil, nil
			taken := map[ProfileID]bool{}
			for _, sk := range j.Suppressed {
				ie, err := t.indexEntryAt(key(nsIdentifier, sk))
				if err != nil {
					return err
				}
				for _, pid := range ie.pids {
					if !tried[pid] && !taken[pid] && len(took) < chunk {
						taken[pid] = true
						took = append(took, pid)
					}
				}
			}
			var err error
			stripped, err = t.stripErasedReceivers(took)
			return err
		})
		switch {
		case errors.Is(err, ErrTxnTooBig) && chunk > 1:
			chunk /= 2
			continue
		case err != nil:
			return fmt.Errorf("store: erase: take the erased receiver out of her buyers' orders: %w", err)
		case len(took) == 0:
			return nil
		}
		for _, pid := range took {
			if !slices.Contains(stripped, pid) {
				tried[pid] = true
			}
		}
		j.stripped = append(j.stripped, stripped...)
	}
}

// erase removes one live profile and returns its journal entry. It takes
// the erased person out of the orders of at most stripMost buyers who
// shipped them a gift; stripOwed does the rest.
func (t *txn) erase(pid ProfileID, stripMost int) (*erasure, error) {
	lp, err := t.profile(pid)
	if err != nil {
		return nil, err
	}
	if lp == nil || lp.p == nil {
		return nil, fmt.Errorf("profile %v: %w", pid, ErrNotFound)
	}
	j := &erasure{Profile: pid.String(), Time: t.now.UTC()}
	var buyers []ProfileID // who hold a suppressed identifier as a receiver
	for _, a := range lp.absorbed {
		j.Absorbed = append(j.Absorbed, a.String())
	}
	// Until the journal line is written and the purge after this
	// transaction has dropped every version of these profiles' keys, U
	// says they are owed (see [Store.settle]).
	for _, x := range append([]ProfileID{pid}, lp.absorbed...) {
		if err := t.tx.Set(purgeKey(x), purgeOwed); err != nil {
			return nil, err
		}
	}
	for _, ref := range lp.p.Records {
		tags, err := t.kr.BlindIndexAll(tagRecord, recordValue(ref.Key))
		if err != nil {
			return nil, err
		}
		for _, tag := range tags {
			j.Records = append(j.Records, tag)
			if err := t.tombstone(tag); err != nil {
				return nil, err
			}
		}
	}
	for _, st := range lp.p.Identifiers {
		ie, err := t.indexEntry(st.Identifier)
		if err != nil {
			return nil, err
		}
		for i, x := range ie.pids {
			if x == pid {
				ie.pids = append(ie.pids[:i], ie.pids[i+1:]...)
				t.touchIndex(ie)
				break
			}
		}
		// Suppressed: what linked the erased person's records and no
		// one else carries (an excluded identifier, such as a second
		// member card on a receipt, may be someone else's). A buyer
		// whose order names the erased person as a gift's receiver
		// does not carry their phone: it is the receiver's.
		if ie.hub || st.Status != merge.StatusLinking {
			continue
		}
		if carried, err := t.carriedByOthers(st.Identifier, ie.pids); err != nil || carried {
			if err != nil {
				return nil, err
			}
			continue
		}
		keys, err := t.suppressionKeys(st.Identifier)
		if err != nil {
			return nil, err
		}
		j.Suppressed = append(j.Suppressed, keys...)
		buyers = append(buyers, ie.pids...)
	}
	if err := t.suppress(j.Suppressed); err != nil {
		return nil, err
	}
	buyers = buyers[:min(len(buyers), stripMost)]
	if j.stripped, err = t.stripErasedReceivers(buyers); err != nil {
		return nil, err
	}
	if err := t.tx.Delete(stageKey(stageCode(lp.origStage), pid)); err != nil {
		return nil, err
	}
	lp.p = nil // flush deletes the profile and its data key
	t.touchProfile(lp)
	plain, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	if err := t.tx.Set(erasureKey(pid), t.kr.Seal(purposeErasure, plain)); err != nil {
		return nil, err
	}
	t.events = append(t.events, Event{Time: t.now, Kind: EventErased, Profile: pid.String(), From: lp.origStage})
	return j, nil
}

// carriedByOthers reports whether a profile among pids carries id other
// than as a gift's receiver ([merge.StatusReceiver]).
func (t *txn) carriedByOthers(id identity.Identifier, pids []ProfileID) (bool, error) {
	for _, pid := range pids {
		lp, err := t.profile(pid)
		if err != nil {
			return false, err
		}
		if lp == nil || lp.p == nil {
			return true, nil // the index is damaged: suppress nothing it may name
		}
		i := slices.IndexFunc(lp.p.Identifiers, func(st merge.IdentifierState) bool { return st.Identifier == id })
		if i < 0 || lp.p.Identifiers[i].Status != merge.StatusReceiver {
			return true, nil
		}
	}
	return false, nil
}

// tombstone replaces a source record's entry with a tombstone, so that
// ingesting the record again is refused with one point read, and counts
// it under Z.
func (t *txn) tombstone(rtag []byte) error {
	lr, err := t.record(rtag)
	if err != nil {
		return err
	}
	lr.erased, lr.pid, lr.rec, lr.plain = true, ProfileID{}, nil, nil
	t.touchRecord(lr)
	return nil
}

// strippedIDs lists the ids of the profiles the erasures js took an
// erased receiver out of: keys to purge, but not people erased.
func strippedIDs(js []*erasure) []ProfileID {
	var ids []ProfileID
	for _, j := range js {
		ids = append(ids, j.stripped...)
	}
	return ids
}

// erasedIDs lists the profile ids the journal entries erased, merged-in
// ones included.
func erasedIDs(js []*erasure) []ProfileID {
	var ids []ProfileID
	for _, j := range js {
		for _, id := range append([]string{j.Profile}, j.Absorbed...) {
			if pid, err := ParseProfileID(id); err == nil {
				ids = append(ids, pid)
			}
		}
	}
	return ids
}

// Retainer is implemented by engines that keep old versions of deleted
// and overwritten values for a while and cannot drop them on demand (they
// do not implement [Purger]): PostgreSQL keeps dead rows until VACUUM
// reclaims them, CockroachDB keeps MVCC versions for the zone's
// gc.ttlseconds (25 hours by default), TiKV until its GC safe point
// passes them. On such an engine an erased profile's wrapped data key
// stays readable in those old versions, by whoever holds the engine's
// files and the keyring, until the engine drops them.
type Retainer interface {
	// Retention says, in words for an operator, how long the engine
	// keeps old versions: "until VACUUM reclaims the dead rows", "for
	// gc.ttlseconds (25 hours by default)".
	Retention() string
}

// ErasureRetention says what an erasure leaves in the engine: "" on an
// engine that purges every version of an erased profile's keys at once
// ([Purger]; Badger), else how long the engine keeps their old versions
// (its [Retainer] words, or that it does not say). On such an engine the
// purge stays owed: [Store.Verify] reports each erased profile's U entry
// with these words until an engine that can purge finishes it.
func (s *Store) ErasureRetention() string {
	if _, ok := s.kv.(Purger); ok {
		return ""
	}
	if r, ok := s.kv.(Retainer); ok {
		return r.Retention()
	}
	return "until the engine reclaims them (it does not say when)"
}

// The values of a U entry.
var (
	purgeOwed = []byte{1} // the journal line and the purge are owed
	purgeKept = []byte{2} // the journal line is written; the engine cannot purge
)

// settle finishes what erasures owe once their transaction has
// committed: it appends their entries js to the external journal, it
// removes what the change feed and the quarantine hold of the people the
// entries traces erased ([Store.purgeTraces]), and it drops every stored
// version of the erased profiles' keys ids (P and K, so of their wrapped
// data keys) and of the feed and quarantine entries it deleted, on an
// engine that can ([Purger]). None waits for another: a journal that
// cannot be written must not keep the keys on disk. Only when all are
// done are the profiles' U entries deleted; until then they are owed (see
// [Store.finishErasures]). On an engine that cannot purge they stay owed
// for good, marked as journaled, so that Verify goes on saying what the
// engine keeps. The U entries of stillOwed stay owed all the same: their
// erasures have buyers left to strip (stripOwed).
func (s *Store) settle(ctx context.Context, js []*erasure, ids []ProfileID, traces []*erasure, stillOwed ...ProfileID) error {
	if len(ids) == 0 && len(traces) == 0 {
		return nil
	}
	jerr := s.appendJournal(js)
	_, purges := s.kv.(Purger)
	deleted, terr := s.purgeTraces(ctx, traces)
	// A buyer an erased receiver was taken out of is no one erased: the
	// purge of its old id's data key leaves the versions that id sealed
	// unreadable, as with its records. Its profile key's versions stay
	// for compactions to drop. Badger's DropPrefix compares every key of
	// the tables it rewrites with every prefix: the receiver of 10,000
	// buyers cost 9 s of it with both keys, most of her erasure.
	strippedOnly := map[ProfileID]bool{}
	for _, pid := range append(strippedIDs(js), strippedIDs(traces)...) {
		strippedOnly[pid] = true
	}
	for _, pid := range append(erasedIDs(js), erasedIDs(traces)...) {
		delete(strippedOnly, pid)
	}
	prefixes := make([][]byte, 0, 2*len(ids)+len(deleted))
	for _, pid := range ids {
		prefixes = append(prefixes, dataKeyKey(pid))
		if !strippedOnly[pid] {
			prefixes = append(prefixes, profileKey(pid))
		}
	}
	if err := s.purgeKeys(ctx, append(prefixes, deleted...)); err != nil {
		return errors.Join(jerr, terr, err)
	}
	if err := errors.Join(jerr, terr); err != nil {
		return err
	}
	return s.kv.Update(ctx, func(tx Txn) error {
		for _, pid := range ids {
			if slices.Contains(stillOwed, pid) {
				continue
			}
			var err error
			if purges {
				err = tx.Delete(purgeKey(pid))
			} else {
				err = tx.Set(purgeKey(pid), purgeKept)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// purgeKeys drops every stored version of the keys with the prefixes on
// an engine that can ([Purger]), and does nothing on one that cannot. It
// holds the write lock exclusively: Badger refuses writes, and a second
// purge, while one runs.
func (s *Store) purgeKeys(ctx context.Context, prefixes [][]byte) error {
	p, ok := s.kv.(Purger)
	if !ok || len(prefixes) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := p.Purge(ctx, prefixes...); err != nil {
		return fmt.Errorf("store: purge erased data keys: %w", err)
	}
	return nil
}

// finishErasures finishes what erasures still owe after their transactions
// committed (their U entries remain: a crash, a full disk, an engine
// error): the external journal's lines, written again (reading the
// journal drops repeats), and the purges. An entry that only a purge the
// engine cannot do keeps is left as it is. Open, Maintain and Restore
// call it.
func (s *Store) finishErasures(ctx context.Context) (int, error) {
	_, purges := s.kv.(Purger)
	var ids, journaled []ProfileID
	var js []*erasure
	err := s.kv.View(ctx, func(tx Txn) error {
		for e, err := range tx.Scan([]byte{nsPurge}, nil, false) {
			if err != nil {
				return err
			}
			pid, err := profileIDFrom(e.Key[1:])
			if err != nil {
				return fmt.Errorf("store: U %x: %w", e.Key[1:], err)
			}
			switch {
			case !bytes.Equal(e.Value, purgeKept):
				ids = append(ids, pid)
			case purges:
				journaled = append(journaled, pid)
			}
		}
		for _, pid := range ids {
			sealed, err := tx.Get(erasureKey(pid))
			if errors.Is(err, ErrKeyNotFound) {
				continue // merged into an erased profile: journaled under its id
			}
			if err != nil {
				return err
			}
			j, err := s.openErasure(sealed)
			if err != nil {
				return err
			}
			js = append(js, j)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	// An erasure whose strip fails keeps its U entries owed; the others
	// settle, and so do its journal line and purge.
	var serrs []error
	var owed []ProfileID
	for _, j := range js {
		if err := s.stripOwed(ctx, j, s.stripChunk()); err != nil {
			serrs = append(serrs, err)
			owed = append(owed, erasedIDs([]*erasure{j})...)
		}
		ids = append(ids, j.stripped...)
	}
	err = s.settle(ctx, js, append(ids, journaled...), js, owed...)
	return len(ids) + len(journaled), errors.Join(append(serrs, err)...)
}

// openErasure opens an E entry.
func (s *Store) openErasure(sealed []byte) (*erasure, error) {
	plain, err := s.kr.Open(purposeErasure, sealed)
	if err != nil {
		return nil, fmt.Errorf("store: erasure journal entry: %w", err)
	}
	var j erasure
	if err := json.Unmarshal(plain, &j); err != nil {
		return nil, fmt.Errorf("store: erasure journal entry: %w", err)
	}
	return &j, nil
}

// appendJournal appends entries to the external erasure journal, one JSON
// entry per line, and syncs it. The entries hold random profile ids and
// blind-index tags, no personal data, so the file is not sealed: it must
// stay readable across key rotations, whatever happens to the database.
func (s *Store) appendJournal(js []*erasure) error {
	if s.journal == "" || len(js) == 0 {
		return nil
	}
	f, err := os.OpenFile(s.journal, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("store: erasure journal: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, j := range js {
		plain, err := json.Marshal(j)
		if err != nil {
			f.Close()
			return err
		}
		w.Write(plain)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("store: erasure journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store: erasure journal: %w", err)
	}
	return f.Close()
}

// readJournal returns the erasures journaled in the engine and in the
// external journal file.
func (s *Store) readJournal(ctx context.Context) ([]*erasure, error) {
	var js []*erasure
	seen := map[string]bool{}
	add := func(j *erasure) {
		if !seen[j.Profile] {
			seen[j.Profile] = true
			js = append(js, j)
		}
	}
	err := s.view(ctx, func(t *txn) error {
		for e, err := range t.tx.Scan([]byte{nsErasure}, nil, false) {
			if err != nil {
				return err
			}
			j, err := s.openErasure(e.Value)
			if err != nil {
				return err
			}
			add(j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.journal == "" {
		return js, nil
	}
	f, err := os.Open(s.journal)
	if errors.Is(err, os.ErrNotExist) {
		return js, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: erasure journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var j erasure
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			return nil, fmt.Errorf("store: erasure journal entry: %w", err)
		}
		add(&j)
	}
	return js, sc.Err()
}
