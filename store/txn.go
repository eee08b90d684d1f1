package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/codec"
	"github.com/scv-go/scv/merge"
)

// txn is the store's view of one engine transaction: a cache of the
// profiles, records, index entries and pending credits it has read or
// changed, which implements [merge.Reader] for the resolver and writes
// everything that changed, once, at the end. Changes made earlier in the
// transaction are visible to later reads, so a batch of records behaves as
// if ingested one by one.
type txn struct {
	s    *Store
	kr   *crypto.Keyring
	tx   Txn
	now  time.Time // the wall clock: stamps events, journal and quarantine entries
	asOf time.Time // the time stages and metrics are computed for
	file string    // the input's name, for quarantine entries
	// encoded, if set, holds the encodings (appendRecord's) of records
	// about to be ingested, by address: a bulk load decodes them from it.
	encoded map[*identity.Record][]byte

	profiles map[ProfileID]*liveProfile
	rtags    map[identity.RecordKey][]byte  // blind-index tags computed so far
	ikeys    map[identity.Identifier][]byte // identifier index keys computed so far
	records  map[string]*liveRecord
	index    map[string]*indexEntry
	pending  map[string]*pendingEntry
	events   []Event

	// suppressRead says anySuppressed holds: whether suppression entries
	// exist (see suppress.go).
	suppressRead, anySuppressed bool

	// What changed since the last flush, in the order it changed.
	dirtyP []*liveProfile
	dirtyR []*liveRecord
	dirtyI []*indexEntry
	dirtyX []*pendingEntry
}

// touchProfile, touchRecord, touchIndex and touchPending mark a value
// changed: it is written at the next flush.
func (t *txn) touchProfile(lp *liveProfile)  { touch(&t.dirtyP, &lp.dirty, lp) }
func (t *txn) touchRecord(lr *liveRecord)    { touch(&t.dirtyR, &lr.dirty, lr) }
func (t *txn) touchIndex(ie *indexEntry)     { touch(&t.dirtyI, &ie.dirty, ie) }
func (t *txn) touchPending(pe *pendingEntry) { touch(&t.dirtyX, &pe.dirty, pe) }

// touch appends v to the list of changed values unless its dirty flag
// says it is there already, and sets the flag.
func touch[V any](changed *[]V, dirty *bool, v V) {
	if !*dirty {
		*dirty = true
		*changed = append(*changed, v)
	}
}

type liveProfile struct {
	id       ProfileID
	p        *merge.Profile // nil once merged away or erased
	absorbed []ProfileID
	dk       *crypto.DataKey
	wrapped  []byte // the data key wrapped under the keyring, stored with the profile

	stored     bool         // the profile exists in the engine
	origStage  merge.Stage  // as stored, for the stage index and events
	origBlocks blockSource  // names and birthdays as stored, for the blocking index
	origSum    []byte       // stored summary
	origNPS    *merge.Score // latest scores as stored, for feedback events
	origCSAT   *merge.Score
	forward    ProfileID // set when merged away
	dirty      bool
}

type liveRecord struct {
	rtag    []byte
	pid     ProfileID // holder; zero if none
	ctag    []byte
	rec     *identity.Record // decoded on demand
	plain   []byte           // the encoded content, once known
	sealed  []byte           // as stored, sealed under origPID's data key
	origPID ProfileID
	erased  bool // a tombstone: the record belonged to an erased profile
	dirty   bool
	deleted bool
}

type indexEntry struct {
	key   []byte
	hub   bool
	pids  []ProfileID
	dirty bool
}

type pendingEntry struct {
	key     []byte
	credits []merge.Credit
	dirty   bool
}

func (s *Store) newTxn(tx Txn, now time.Time) *txn {
	// The caches are made on first use (put): a lookup fills two or
	// three of them, a count none.
	return &txn{s: s, kr: s.kr, tx: tx, now: now, asOf: s.asOf()}
}

// put sets (*m)[k] = v, making the map if it is nil.
func put[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = make(map[K]V)
	}
	(*m)[k] = v
}

var _ merge.Reader = (*txn)(nil)

// profile returns the live profile with id, loading it; nil, nil if none.
func (t *txn) profile(id ProfileID) (*liveProfile, error) {
	if lp, ok := t.profiles[id]; ok {
		return lp, nil
	}
	var lp *liveProfile
	err := getProfile(t.tx, id, func(wrapped, sealed []byte) (err error) {
		lp = &liveProfile{id: id, wrapped: wrapped, stored: true}
		lp.p, lp.absorbed, lp.dk, err = t.s.openProfile(id, wrapped, sealed)
		return err
	})
	if errors.Is(err, ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := lp.p
	lp.origStage, lp.origSum, lp.origBlocks = p.Stage, summarise(p).encode(), blockSourceOf(p)
	lp.origNPS, lp.origCSAT = p.Metrics.NPS, p.Metrics.CSAT
	put(&t.profiles, id, lp)
	return lp, nil
}

// openProfile unwraps a profile's data key (its K value), opens the
// sealed profile (its P value) and decodes it.
func (s *Store) openProfile(id ProfileID, wrapped, sealed []byte) (*merge.Profile, []ProfileID, *crypto.DataKey, error) {
	dk, err := s.kr.UnwrapDataKey(id[:], wrapped)
	if err != nil {
		return nil, nil, nil, damaged(id, err)
	}
	buf := getBuf()
	plain, err := dk.AppendOpen(*buf, id[:], purposeProfile, sealed)
	if err != nil {
		clear((*buf)[:cap(*buf)]) // whatever a failed open left
		putBuf(buf)
		return nil, nil, nil, damaged(id, err)
	}
	p, absorbed, err := decodeProfile(plain) // copies what it keeps
	*buf = plain
	putBuf(buf)
	if err != nil {
		return nil, nil, nil, damaged(id, err)
	}
	return p, absorbed, dk, nil
}

func (t *txn) mustProfile(s string) (*liveProfile, error) {
	id, err := ParseProfileID(s)
	if err != nil {
		return nil, err
	}
	lp, err := t.profile(id)
	if err != nil {
		return nil, err
	}
	if lp == nil || lp.p == nil {
		return nil, fmt.Errorf("store: profile %v: %w", id, ErrNotFound)
	}
	return lp, nil
}

func (t *txn) recordTag(k identity.RecordKey) []byte {
	if tag, ok := t.rtags[k]; ok {
		return tag
	}
	tag, _ := t.kr.BlindIndex(tagRecord, recordValue(k)) // the kind is valid
	put(&t.rtags, k, tag)
	return tag
}

// encodeContent returns a record's encoded content and its content tag:
// a blind index of the encoding, so equal content has equal tags and the
// tag says nothing else. A record of t.encoded is not encoded again.
func (t *txn) encodeContent(rec *identity.Record) (plain, ctag []byte, err error) {
	if enc, ok := t.encoded[rec]; ok {
		plain = enc
	} else if plain, err = appendRecord(nil, rec); err != nil {
		return nil, nil, err
	}
	ctag, _ = t.kr.BlindIndex(tagContent, plain)
	return plain, ctag, nil
}

// record returns the live record with tag rtag, loading its entry (not its
// content); a record the engine does not hold has a zero pid.
func (t *txn) record(rtag []byte) (*liveRecord, error) {
	if lr, ok := t.records[string(rtag)]; ok {
		return lr, nil
	}
	lr := &liveRecord{rtag: rtag}
	v, err := t.tx.Get(recordKey(rtag))
	switch {
	case errors.Is(err, ErrKeyNotFound):
	case err != nil:
		return nil, err
	case isTombstone(v):
		lr.erased = true
	default:
		pid, ctag, sealed, err := splitRecordValue(v, crypto.BlindIndexSize)
		if err != nil {
			return nil, err
		}
		lr.pid, lr.origPID, lr.ctag, lr.sealed = pid, pid, ctag, sealed
	}
	put(&t.records, string(rtag), lr)
	return lr, nil
}

// content returns the record's content, opening it under the data key of
// the profile that sealed it.
func (t *txn) content(lr *liveRecord) (*identity.Record, error) {
	if lr.rec != nil {
		return lr.rec, nil
	}
	if lr.sealed == nil {
		return nil, errors.New("store: record has no content")
	}
	lp, err := t.profile(lr.origPID)
	if err != nil {
		return nil, err
	}
	if lp == nil {
		return nil, fmt.Errorf("store: record held by missing profile %v", lr.origPID)
	}
	plain, err := lp.dk.Open(lr.origPID[:], recordPurpose(lr.rtag), lr.sealed)
	if err != nil {
		return nil, fmt.Errorf("store: record of profile %v: %w", lr.origPID, err)
	}
	rec, err := decodeRecord(plain)
	if err != nil {
		return nil, err
	}
	lr.rec, lr.plain = &rec, plain
	return lr.rec, nil
}

func (t *txn) identifierKey(id identity.Identifier) []byte {
	if k, ok := t.ikeys[id]; ok {
		return k
	}
	k := make([]byte, 2, 2+crypto.BlindIndexSize)
	k[0], k[1] = nsIdentifier, byte(id.Kind)
	k, _ = t.kr.AppendBlindIndex(k, id.Kind.String(), identifierValue(id))
	put(&t.ikeys, id, k)
	return k
}

func (t *txn) indexEntry(id identity.Identifier) (*indexEntry, error) {
	return t.indexEntryAt(t.identifierKey(id))
}

// indexEntryAt is the identifier index entry with key k (an I key).
func (t *txn) indexEntryAt(k []byte) (*indexEntry, error) {
	if e, ok := t.index[string(k)]; ok {
		return e, nil
	}
	e := &indexEntry{key: k}
	v, err := t.tx.Get(k)
	switch {
	case errors.Is(err, ErrKeyNotFound):
	case err != nil:
		return nil, err
	default:
		if e.hub, e.pids, err = decodeIndexValue(v); err != nil {
			return nil, err
		}
	}
	put(&t.index, string(k), e)
	return e, nil
}

func (t *txn) pendingEntry(phone identity.Identifier) (*pendingEntry, error) {
	tag, _ := t.kr.BlindIndex(phone.Kind.String(), identifierValue(phone))
	k := key(nsCredit, tag)
	if e, ok := t.pending[string(k)]; ok {
		return e, nil
	}
	e := &pendingEntry{key: k}
	v, err := t.tx.Get(k)
	switch {
	case errors.Is(err, ErrKeyNotFound):
	case err != nil:
		return nil, err
	default:
		plain, err := t.kr.Open(purposeCredits, v)
		if err != nil {
			return nil, fmt.Errorf("store: pending credits: %w", err)
		}
		if err := json.Unmarshal(plain, &e.credits); err != nil {
			return nil, fmt.Errorf("store: pending credits: %w", err)
		}
	}
	put(&t.pending, string(k), e)
	return e, nil
}

// Holder implements [merge.Reader].
func (t *txn) Holder(k identity.RecordKey) (*merge.Profile, error) {
	lr, err := t.record(t.recordTag(k))
	if err != nil || lr.pid.IsZero() {
		return nil, err
	}
	lp, err := t.profile(lr.pid)
	if err != nil {
		return nil, err
	}
	if lp == nil || lp.p == nil {
		return nil, fmt.Errorf("store: record held by missing profile %v", lr.pid)
	}
	return lp.p, nil
}

// Lookup implements [merge.Reader].
func (t *txn) Lookup(id identity.Identifier) ([]*merge.Profile, bool, error) {
	e, err := t.indexEntry(id)
	if err != nil {
		return nil, false, err
	}
	if e.hub {
		return nil, true, nil
	}
	out := make([]*merge.Profile, 0, len(e.pids))
	for _, pid := range e.pids {
		lp, err := t.profile(pid)
		if err != nil {
			return nil, false, err
		}
		if lp == nil || lp.p == nil {
			return nil, false, fmt.Errorf("store: identifier index points at missing profile %v", pid)
		}
		out = append(out, lp.p)
	}
	return out, false, nil
}

// Records implements [merge.Reader].
func (t *txn) Records(profileID string) ([]identity.Record, error) {
	lp, err := t.mustProfile(profileID)
	if err != nil {
		return nil, err
	}
	out := make([]identity.Record, 0, len(lp.p.Records))
	for _, ref := range lp.p.Records {
		lr, err := t.record(t.recordTag(ref.Key))
		if err != nil {
			return nil, err
		}
		rec, err := t.content(lr)
		if err != nil {
			return nil, err
		}
		out = append(out, *rec)
	}
	return out, nil
}

// Pending implements [merge.Reader].
func (t *txn) Pending(phone identity.Identifier) ([]merge.Credit, error) {
	e, err := t.pendingEntry(phone)
	if err != nil {
		return nil, err
	}
	return slices.Clone(e.credits), nil
}

// ingested is a record a decision ingested, with its encoded content.
type ingested struct {
	rec         *identity.Record
	plain, ctag []byte
}

// apply records a resolver's decision in the cache. ins are the records
// the decision ingested, if any.
func (t *txn) apply(c *merge.Change, ins ...*ingested) error {
	if c.NoOp {
		return nil
	}
	for _, f := range c.Forwards {
		from, err := t.mustProfile(f.From)
		if err != nil {
			return err
		}
		to, err := ParseProfileID(f.To)
		if err != nil {
			return err
		}
		from.forward = to
		from.p = nil
		t.touchProfile(from)
	}
	created := map[string]bool{}
	for _, id := range c.Created {
		created[id] = true
	}
	for _, p := range c.Profiles {
		id, err := ParseProfileID(p.ID)
		if err != nil {
			return err
		}
		lp, ok := t.profiles[id]
		if !ok && !created[p.ID] {
			if lp, err = t.profile(id); err != nil {
				return err
			}
		}
		if lp == nil {
			dk, wrapped := t.kr.NewDataKey(id[:])
			lp = &liveProfile{id: id, dk: dk, wrapped: wrapped}
			put(&t.profiles, id, lp)
		}
		lp.p = p
		t.touchProfile(lp)
	}
	// Absorbed ids follow the survivor, for erasure.
	for _, f := range c.Forwards {
		from, _ := ParseProfileID(f.From)
		to, _ := ParseProfileID(f.To)
		if lt, ok := t.profiles[to]; ok {
			lt.absorbed = append(lt.absorbed, from)
			lt.absorbed = append(lt.absorbed, t.profiles[from].absorbed...)
			t.touchProfile(lt)
		}
	}
	for _, in := range ins {
		lr, err := t.record(t.recordTag(in.rec.Key()))
		if err != nil {
			return err
		}
		r := *in.rec
		lr.rec, lr.plain, lr.ctag = &r, in.plain, in.ctag
		t.touchRecord(lr)
	}
	for _, f := range c.Forwards {
		t.events = append(t.events, Event{Time: t.now, Kind: EventMerged, Profile: f.To, Other: f.From})
	}
	split := map[[2]ProfileID]bool{}
	for _, a := range c.Assign {
		pid, err := ParseProfileID(a.Profile)
		if err != nil {
			return err
		}
		lr, err := t.record(t.recordTag(a.Record))
		if err != nil {
			return err
		}
		if from := lr.pid; !from.IsZero() && from != pid && slices.Contains(c.Created, a.Profile) && !split[[2]ProfileID{from, pid}] {
			split[[2]ProfileID{from, pid}] = true
			t.events = append(t.events, Event{Time: t.now, Kind: EventSplit, Profile: from.String(), Other: a.Profile})
		}
		if _, err := t.content(lr); err != nil { // re-sealed under the new holder
			return err
		}
		lr.pid = pid
		t.touchRecord(lr)
	}
	for _, e := range c.Index {
		ie, err := t.indexEntry(e.Identifier)
		if err != nil {
			return err
		}
		pid, err := ParseProfileID(e.Profile)
		if err != nil {
			return err
		}
		i := slices.Index(ie.pids, pid)
		switch {
		case e.Remove && i >= 0:
			ie.pids = slices.Delete(ie.pids, i, i+1)
		case !e.Remove && i < 0:
			ie.pids = append(ie.pids, pid)
		default:
			continue
		}
		t.touchIndex(ie)
	}
	for _, h := range c.Hubs {
		ie, err := t.indexEntry(h)
		if err != nil {
			return err
		}
		ie.hub = true
		t.touchIndex(ie)
	}
	for _, cr := range c.Pending {
		// A phone an erasure suppressed is an erased person's: a
		// referral naming it is kept nowhere, not even waiting.
		if suppressed, err := t.isSuppressed(cr.Referrer); err != nil {
			return err
		} else if suppressed && !cr.Revoked {
			continue
		}
		pe, err := t.pendingEntry(cr.Referrer)
		if err != nil {
			return err
		}
		pe.credits = slices.DeleteFunc(pe.credits, func(x merge.Credit) bool { return x.Referred == cr.Referred })
		if !cr.Revoked {
			pe.credits = append(pe.credits, cr)
		}
		t.touchPending(pe)
	}
	for _, ph := range c.Claimed {
		pe, err := t.pendingEntry(ph)
		if err != nil {
			return err
		}
		pe.credits = nil
		t.touchPending(pe)
	}
	return nil
}

// flush writes everything the transaction changed.
func (t *txn) flush() error {
	for _, lp := range t.dirtyP {
		if err := t.flushProfile(lp); err != nil {
			return err
		}
	}
	for _, lr := range t.dirtyR {
		if lr.erased {
			if err := t.tx.Set(recordKey(lr.rtag), tombstone); err != nil {
				return err
			}
			if err := t.tx.Set(key(nsTombstone, lr.rtag), nil); err != nil {
				return err
			}
			continue
		}
		if lr.deleted || lr.pid.IsZero() {
			if err := t.tx.Delete(recordKey(lr.rtag)); err != nil {
				return err
			}
			continue
		}
		lp := t.profiles[lr.pid]
		if lp == nil || lp.dk == nil {
			return fmt.Errorf("store: record assigned to unknown profile %v", lr.pid)
		}
		if lr.plain == nil {
			var err error
			if lr.plain, err = appendRecord(nil, lr.rec); err != nil {
				return err
			}
		}
		v := make([]byte, 0, ProfileIDSize+len(lr.ctag)+len(lr.plain)+crypto.Overhead)
		v = append(v, lr.pid[:]...)
		v = append(v, lr.ctag...)
		v = lp.dk.AppendSeal(v, lr.pid[:], recordPurpose(lr.rtag), lr.plain)
		if err := t.tx.Set(recordKey(lr.rtag), v); err != nil {
			return err
		}
	}
	for _, ie := range t.dirtyI {
		var err error
		if len(ie.pids) == 0 && !ie.hub {
			err = t.tx.Delete(ie.key)
		} else {
			err = t.tx.Set(ie.key, encodeIndexValue(ie.hub, ie.pids))
		}
		if err != nil {
			return err
		}
	}
	for _, pe := range t.dirtyX {
		if len(pe.credits) == 0 {
			if err := t.tx.Delete(pe.key); err != nil {
				return err
			}
			continue
		}
		plain, err := json.Marshal(pe.credits)
		if err != nil {
			return err
		}
		if err := t.tx.Set(pe.key, t.kr.Seal(purposeCredits, plain)); err != nil {
			return err
		}
	}
	if len(t.events) > 0 {
		// One entry per transaction, holding all its events: a bulk load
		// adds a key per batch, not per profile.
		plain, err := codec.Marshal(&eventList{Events: t.events})
		if err != nil {
			return err
		}
		if err := t.tx.Set(seqKey(nsEvent, t.now), t.kr.Seal(purposeEvent, plain)); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) flushProfile(lp *liveProfile) error {
	id := lp.id
	if err := t.flushBlocks(lp); err != nil {
		return err
	}
	if lp.stored && lp.origStage != "" && (lp.p == nil || lp.p.Stage != lp.origStage) {
		if err := t.tx.Delete(stageKey(stageCode(lp.origStage), id)); err != nil {
			return err
		}
	}
	if lp.p == nil { // merged away or erased
		if err := t.tx.Delete(profileKey(id)); err != nil {
			return err
		}
		if err := t.tx.Delete(dataKeyKey(id)); err != nil {
			return err
		}
		if !lp.forward.IsZero() {
			return t.tx.Set(forwardKey(id), lp.forward[:])
		}
		return nil
	}
	buf := getBuf()
	plain, err := appendProfile(*buf, lp.p, lp.absorbed)
	if err != nil {
		return err
	}
	if !lp.stored {
		if err := t.tx.Set(dataKeyKey(id), lp.wrapped); err != nil {
			return err
		}
	}
	v := lp.dk.AppendSeal(make([]byte, 0, len(plain)+crypto.Overhead), id[:], purposeProfile, plain)
	*buf = plain
	putBuf(buf)
	if err := t.tx.Set(profileKey(id), v); err != nil {
		return err
	}
	sum := summarise(lp.p).encode()
	if !lp.stored || lp.p.Stage != lp.origStage || !bytes.Equal(sum, lp.origSum) {
		if err := t.tx.Set(stageKey(stageCode(lp.p.Stage), id), sum); err != nil {
			return err
		}
	}
	t.noteEvents(lp)
	return nil
}

// settle marks everything flushed as clean and stored, so that the cache
// can serve the next batch of a pipelined ingest as if it had been read
// back from the engine.
func (t *txn) settle() {
	for _, lp := range t.dirtyP {
		lp.dirty = false
		if lp.p != nil {
			lp.stored, lp.origStage, lp.origSum = true, lp.p.Stage, summarise(lp.p).encode()
			lp.origBlocks = blockSourceOf(lp.p)
			lp.origNPS, lp.origCSAT = lp.p.Metrics.NPS, lp.p.Metrics.CSAT
		} else {
			lp.stored, lp.origStage = false, ""
		}
	}
	for _, lr := range t.dirtyR {
		lr.dirty, lr.origPID, lr.sealed = false, lr.pid, nil
	}
	for _, ie := range t.dirtyI {
		ie.dirty = false
	}
	for _, pe := range t.dirtyX {
		pe.dirty = false
	}
	t.dirtyP, t.dirtyR, t.dirtyI, t.dirtyX, t.events = t.dirtyP[:0], t.dirtyR[:0], t.dirtyI[:0], t.dirtyX[:0], nil
}
