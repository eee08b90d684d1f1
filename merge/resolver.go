package merge

import (
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
)

// Reader is what a [Resolver] needs to read from the store, inside the
// store's transaction. The resolver calls it only for what a decision
// needs, at most once per argument per call, and never modifies what it
// returns; what it returns must not change until the call returns.
type Reader interface {
	// Holder returns the profile holding the record with key k, or nil
	// when no profile does.
	Holder(k identity.RecordKey) (*Profile, error)
	// Lookup returns the profiles whose Identifiers list id, in any
	// order, or hub true (and no profiles) when the store has flagged id
	// as a hub. The resolver never looks up a blocked identifier.
	Lookup(id identity.Identifier) (profiles []*Profile, hub bool, err error)
	// Records returns the source records of the profile with id
	// profileID, in any order: exactly the records its Records list.
	Records(profileID string) ([]identity.Record, error)
	// Pending returns the referral credits waiting for the phone, which no
	// profile held when they were made (see [Change].Pending).
	Pending(phone identity.Identifier) ([]Credit, error)
}

// Resolver decides how source records become profiles. It stores nothing
// and does no I/O of its own: every method reads through a [Reader] and
// returns a [Change] for the store to write. Its decisions depend only on
// the records, the constraints the profiles carry, the [Options] and the
// as-of time, never on the clock or on the order records arrived in.
//
// A Resolver is immutable and safe for concurrent use by multiple
// goroutines.
type Resolver struct {
	c *config
}

// New returns a Resolver with the options. It returns an error wrapping
// [ErrInvalid] for options that contradict each other or name unknown
// fields or kinds.
func New(opts Options) (*Resolver, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Resolver{c: c}, nil
}

// Change is everything a store must write after one decision, in one
// transaction. Slices are sorted and free of duplicates; the Change and
// the profiles in it belong to the caller, but a profile may share
// unchanged slices with the value a [Reader] returned for it: Clone a
// profile before modifying it in place.
type Change struct {
	// NoOp reports that nothing changed: the record was ingested before
	// with the same content, or the operation had nothing to do. Every
	// other field is then empty and the store writes nothing.
	NoOp bool
	// Stale reports a NoOp for a version of a record that differs from
	// the version held but adds nothing to it: see [Resolver.Add].
	Stale bool
	// Record, when set, is what the store writes under the key of the
	// record passed to Add instead of that record: the versions of one
	// source record combined.
	Record *identity.Record
	// Recomputed reports that existing profiles were rebuilt from their
	// records (a merge, a split, an update, a protection rule at work)
	// rather than folded incrementally or created. It is informational.
	Recomputed bool

	// Profiles are the profiles created or updated, full new values, by
	// id. Write each one, replacing the stored value.
	Profiles []*Profile
	// Created are the ids of the new profiles among Profiles.
	Created []string
	// Forwards are the ids merged away: delete the profile, keep a
	// forward From -> To so that old ids still resolve.
	Forwards []Forward
	// Assign are the records whose profile changed, new records
	// included: point the record key at the profile.
	Assign []Assignment
	// Index are the identifier index entries to add or remove. Every
	// identifier a profile lists (whatever its status) is indexed to it.
	Index []IndexEdit
	// Hubs are identifiers newly flagged as hubs: mark them, and from now
	// on answer Lookup for them with hub true.
	Hubs []identity.Identifier
	// Pending are referral credits for phones no profile holds: keep them
	// by phone until a Reader.Pending call claims them. A credit with
	// Revoked set cancels the pending credit with the same referrer and
	// referred record.
	Pending []Credit
	// Claimed are the phones whose pending credits are now applied: delete
	// their pending credits.
	Claimed []identity.Identifier
	// Separations are the joins protection refused within the recomputed
	// component, for logs and metrics; they are also on the profiles.
	Separations []Separation
}

// Forward says that profile id From was merged into profile id To.
type Forward struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Assignment says that the record Record is now held by profile Profile.
type Assignment struct {
	Record  identity.RecordKey `json:"record"`
	Profile string             `json:"profile"`
}

// IndexEdit adds (or, with Remove, removes) the index entry identifier ->
// profile id.
type IndexEdit struct {
	Identifier identity.Identifier `json:"identifier"`
	Profile    string              `json:"profile"`
	Remove     bool                `json:"remove,omitempty"`
}

// Add ingests one source record as of asOf. It looks up the profile
// already holding the record's key and the profiles its identifiers
// reach, and then:
//
//   - returns a NoOp change if the same key was ingested before with the
//     same content ([Fingerprint]; Line is not content). A different
//     content combines with the version held, field by field: the newest
//     stated value of each field wins, and what the new version does not
//     state is kept (see the package documentation, "Versions"). When the
//     combination says nothing new, the change is a NoOp, Stale; otherwise
//     Change.Record is the combination, for the store to write;
//   - creates a profile for a new record that reaches no profile, and
//     folds a new record into the one profile it reaches when nothing else
//     can change: no other profile, no shared identifiers, no limit or
//     hub rule triggered. These read no other record and are what most
//     records of a bulk load take;
//   - otherwise recomputes the component from its records: the profiles
//     reached, the profiles sharing identifiers with them, and the record
//     (new, or replacing its previous version). This merges and splits.
//
// newID returns a fresh, unique profile id each time it is called; Add
// calls it once per profile it creates. The store writes the record itself
// under its key unless the change is a NoOp.
func (r *Resolver) Add(rd Reader, rec identity.Record, newID func() string, asOf time.Time) (*Change, error) {
	return r.add(rd, rec, newID, asOf, true)
}

// add is Add; without fast, it recomputes whenever it does not return a
// NoOp, which the tests compare with the fast paths.
func (r *Resolver) add(rd Reader, rec identity.Record, newID func() string, asOf time.Time, fast bool) (*Change, error) {
	if err := checkCall(newID, asOf); err != nil {
		return nil, err
	}
	if err := checkRecord(&rec); err != nil {
		return nil, err
	}
	s := newSession(r.c, rd)
	key := rec.Key()
	holder, err := s.holder(key)
	if err != nil {
		return nil, err
	}
	n := newNode(&rec)
	var combined *identity.Record
	if holder != nil {
		i, _ := holder.record(key)
		if holder.Records[i].Fingerprint == n.fp {
			return &Change{NoOp: true}, nil
		}
		held, err := s.heldRecord(holder, key)
		if err != nil {
			return nil, err
		}
		switch c := combine(held, &rec); c {
		case held:
			return &Change{NoOp: true, Stale: true}, nil
		case &rec:
		default:
			rec, combined = *c, c
			n = newNode(&rec)
		}
	}
	// The profiles the record reaches, and the identifiers flagged as
	// hubs, in the order found.
	var oldsBuf [4]*Profile
	olds := oldsBuf[:0]
	var sticky []identity.Identifier
	if holder != nil {
		olds = append(olds, holder)
	}
	olds, sticky, err = s.reach(n.ids, olds, sticky)
	if err != nil {
		return nil, err
	}
	if fast && holder == nil {
		var ch *Change
		var ok bool
		switch len(olds) {
		case 0:
			ch, ok, err = s.create(&n, sticky, newID, asOf)
		case 1:
			ch, ok, err = s.tryFold(olds[0], &n, sticky, asOf)
		}
		if ok || err != nil {
			return ch, err
		}
	}
	pl := newPlan()
	for _, p := range olds {
		pl.include(p)
	}
	for _, id := range sticky {
		pl.sticky[id] = true
	}
	pl.record = &rec
	ch, err := s.recompute(pl, newID, asOf)
	if err == nil && !ch.NoOp && combined != nil {
		ch.Record = combined
	}
	return ch, err
}

// AddGroup adds records that no profile holds, each key once, in one
// recomputation of the component they reach. Resolution depends on the
// records a component holds, not on the order they came in, but for hub
// flags, which stick (see the package doc): so when no hub can be
// flagged, the change is what calling [Resolver.Add] for each of them in
// turn would leave, in any order, without the profiles in between. A
// bulk load that has grouped its records into components calls it once
// per component. A record held already, or given twice, is refused with
// ErrInvalid, and a group in which a hub could be flagged
// ([Resolver.MayFlagHubs], the profiles reached included) with
// ErrGroupOrder; nothing is added then. Versions of one record are
// combined by Add, or by the caller with [Combine] in the order they
// arrive; the caller then checks every version with [CheckRecord] and
// [Resolver.MayFlagHubs], as Add would see each.
func (r *Resolver) AddGroup(rd Reader, recs []identity.Record, newID func() string, asOf time.Time) (*Change, error) {
	if err := checkCall(newID, asOf); err != nil {
		return nil, err
	}
	s := newSession(r.c, rd)
	pl := newPlan()
	var olds []*Profile
	var sticky []identity.Identifier
	keys := make(map[identity.RecordKey]bool, len(recs))
	for i := range recs {
		rec := &recs[i]
		if err := checkRecord(rec); err != nil {
			return nil, err
		}
		k := rec.Key()
		if keys[k] {
			return nil, fmt.Errorf("%w: record %s: given twice", ErrInvalid, k)
		}
		keys[k] = true
		if p, err := s.holder(k); err != nil {
			return nil, err
		} else if p != nil {
			return nil, fmt.Errorf("%w: record %s: held by profile %s", ErrInvalid, k, p.ID)
		}
		var err error
		if olds, sticky, err = s.reach(rec.Identifiers, olds, sticky); err != nil {
			return nil, err
		}
		pl.group = append(pl.group, rec)
	}
	for _, p := range olds {
		pl.include(p)
	}
	for _, id := range sticky {
		pl.sticky[id] = true
	}
	if len(recs) == 0 {
		return &Change{NoOp: true}, nil
	}
	var bound hubBound
	for _, p := range pl.olds {
		for i := range p.Records {
			ref := &p.Records[i]
			bound.add(r.c, personOfRef(ref), ref.Identifiers)
		}
	}
	for _, rec := range pl.group {
		bound.add(r.c, personOf(rec), rec.Identifiers)
	}
	if bound.over {
		return nil, ErrGroupOrder
	}
	return s.recompute(pl, newID, asOf)
}

// MayFlagHubs reports whether adding recs one by one, in some order,
// could flag an identifier as a hub: the records carrying some
// identifier of a hub kind show more distinct descriptions of people, or
// more member numbers, than the hub threshold (people are never more
// than their descriptions). Only then can the order of recs change what
// they resolve to.
func (r *Resolver) MayFlagHubs(recs []identity.Record) bool {
	var bound hubBound
	for i := range recs {
		bound.add(r.c, personOf(&recs[i]), recs[i].Identifiers)
		if bound.over {
			return true
		}
	}
	return false
}

// hubBound bounds, for each identifier of a hub kind, the people and
// member numbers of the records carrying it.
type hubBound struct {
	witnesses map[identity.Identifier]*hubWitness
	over      bool // some identifier's records are over the threshold
}

// add adds a record with person p and identifiers ids.
func (b *hubBound) add(c *config, p match.Person, ids []identity.Identifier) {
	if c.hubThreshold <= 0 || b.over {
		return
	}
	for _, id := range ids {
		if !c.hubKinds[id.Kind] || c.blocked[id] {
			continue
		}
		if b.witnesses == nil {
			b.witnesses = map[identity.Identifier]*hubWitness{}
		}
		w := b.witnesses[id]
		if w == nil {
			w = &hubWitness{}
			b.witnesses[id] = w
		}
		w.add(c.hubThreshold, p, ids)
		if len(w.members) > c.hubThreshold || len(w.people.descs) > c.hubThreshold {
			b.over = true
		}
	}
}

// CheckRecord returns the error, wrapping ErrInvalid, with which
// [Resolver.Add] refuses rec, or nil: a record without a key, malformed
// identifiers, orders without ids, amounts below zero, scores off their
// scale.
func CheckRecord(rec *identity.Record) error { return checkRecord(rec) }

// reach looks up ids, blocked ones aside, and returns sticky with
// those flagged as hubs appended, and olds with the profiles holding the
// others, each profile once.
func (s *session) reach(ids []identity.Identifier, olds []*Profile, sticky []identity.Identifier) ([]*Profile, []identity.Identifier, error) {
	// A set, not a search of olds for each profile: the receiver of
	// 20,000 buyers' gifts reaches all of them, which cost 2.9 s a gift.
	in := make(map[string]bool, len(olds))
	for _, q := range olds {
		in[q.ID] = true
	}
	for _, id := range ids {
		if s.c.blocked[id] {
			continue
		}
		lk, err := s.lookup(id)
		if err != nil {
			return olds, sticky, err
		}
		if lk.hub {
			sticky = append(sticky, id)
			continue
		}
		for _, p := range lk.profiles {
			if !in[p.ID] {
				in[p.ID] = true
				olds = append(olds, p)
			}
		}
	}
	return olds, sticky, nil
}

// heldRecord returns the version of the record with key k that profile p
// holds.
func (s *session) heldRecord(p *Profile, k identity.RecordKey) (*identity.Record, error) {
	recs, ok := s.records[p.ID]
	if !ok {
		var err error
		if recs, err = s.rd.Records(p.ID); err != nil {
			return nil, fmt.Errorf("merge: reading the records of profile %s: %w", p.ID, err)
		}
		if s.records == nil {
			s.records = map[string][]identity.Record{}
		}
		s.records[p.ID] = recs
	}
	for i := range recs {
		if recs[i].Key() == k {
			return &recs[i], nil
		}
	}
	return nil, &StateError{Profile: p.ID, Record: k, Problem: "Records did not return a record the profile lists"}
}

func checkCall(newID func() string, asOf time.Time) error {
	if newID == nil {
		return fmt.Errorf("%w: newID is nil", ErrInvalid)
	}
	if asOf.IsZero() {
		return fmt.Errorf("%w: as-of time is zero", ErrInvalid)
	}
	return nil
}

// checkRecord rejects what the identity adapters never produce: a record
// without a key, malformed identifiers, orders without ids, amounts below
// zero, scores off their scale. The error names the record and the field.
func checkRecord(rec *identity.Record) error {
	key := rec.Key()
	bad := func(field, problem string) error {
		return fmt.Errorf("%w: record %s: %s: %s", ErrInvalid, key, field, problem)
	}
	if rec.Channel == "" || rec.ID == "" {
		return bad("id", "record key needs a channel and an id")
	}
	for i, id := range rec.Identifiers {
		if err := checkIdentifier(id); err != nil {
			return bad(fmt.Sprintf("identifiers[%d]", i), err.Error())
		}
	}
	for i := range rec.Orders {
		o := &rec.Orders[i]
		problem := ""
		switch {
		case o.ID == "":
			problem = "order has no id"
		case o.AmountFen < 0:
			problem = "amount is negative"
		case orderStatusRank(o.Status) > 3:
			problem = "unknown order status"
		}
		if problem != "" {
			return bad(fmt.Sprintf("orders[%d]", i), problem)
		}
	}
	for i := range rec.Interactions {
		if rec.Interactions[i].Type == "" {
			return bad(fmt.Sprintf("interactions[%d]", i), "interaction has no type")
		}
	}
	for i := range rec.Feedback {
		f := &rec.Feedback[i]
		problem := ""
		switch {
		case f.Kind == identity.FeedbackNPS && (f.Score < 0 || f.Score > 10):
			problem = "NPS score outside 0-10"
		case f.Kind == identity.FeedbackCSAT && (f.Score < 1 || f.Score > 5):
			problem = "CSAT score outside 1-5"
		case f.Kind != identity.FeedbackNPS && f.Kind != identity.FeedbackCSAT:
			problem = "unknown feedback kind"
		}
		if problem != "" {
			return bad(fmt.Sprintf("feedback[%d]", i), problem)
		}
	}
	for i, c := range rec.Consent {
		if !slices.Contains(identity.Purposes, c.Purpose) {
			return bad(fmt.Sprintf("consent[%d]", i), "unknown purpose")
		}
	}
	return nil
}

// session memoises a Reader within one call and checks its answers
// against each other. Its maps are made when first needed: most calls
// of Add read one holder and a few identifiers.
type session struct {
	c  *config
	rd Reader
	// looked are the lookups made, searched in order while they are few;
	// lookups indexes them once they are not.
	looked  []lookupEntry
	lookups map[identity.Identifier]int
	holders []holderEntry // a few at most: searched in order
	records map[string][]identity.Record
	buf     [4]lookupEntry
	hbuf    [2]holderEntry
}

type holderEntry struct {
	key identity.RecordKey
	p   *Profile
}

type lookupEntry struct {
	id identity.Identifier
	lookupResult
}

type lookupResult struct {
	profiles []*Profile // by id
	hub      bool
}

// maxLinear is how many lookups a session searches in order before it
// indexes them.
const maxLinear = 8

func newSession(c *config, rd Reader) *session {
	s := &session{c: c, rd: rd}
	s.looked, s.holders = s.buf[:0], s.hbuf[:0]
	return s
}

// lookedUp returns the memoised lookup of id, if any.
func (s *session) lookedUp(id identity.Identifier) (lookupResult, bool) {
	if s.lookups != nil {
		i, ok := s.lookups[id]
		if !ok {
			return lookupResult{}, false
		}
		return s.looked[i].lookupResult, true
	}
	for i := range s.looked {
		if s.looked[i].id == id {
			return s.looked[i].lookupResult, true
		}
	}
	return lookupResult{}, false
}

func (s *session) holder(k identity.RecordKey) (*Profile, error) {
	for _, h := range s.holders {
		if h.key == k {
			return h.p, nil
		}
	}
	p, err := s.rd.Holder(k)
	if err != nil {
		return nil, fmt.Errorf("merge: reading the holder of record %s: %w", k, err)
	}
	if p != nil && !p.Holds(k) {
		return nil, &StateError{Profile: p.ID, Record: k, Problem: "Holder returned a profile that does not list the record"}
	}
	s.holders = append(s.holders, holderEntry{key: k, p: p})
	return p, nil
}

func (s *session) lookup(id identity.Identifier) (lookupResult, error) {
	if lk, ok := s.lookedUp(id); ok {
		return lk, nil
	}
	ps, hub, err := s.rd.Lookup(id)
	if err != nil {
		return lookupResult{}, fmt.Errorf("merge: looking up a %s identifier: %w", id.Kind, err)
	}
	lk := lookupResult{hub: hub}
	if !hub {
		for _, p := range ps {
			if p == nil {
				return lookupResult{}, &StateError{Problem: fmt.Sprintf("Lookup of a %s identifier returned a nil profile", id.Kind)}
			}
			if _, ok := p.identifier(id); !ok {
				return lookupResult{}, &StateError{Profile: p.ID, Problem: fmt.Sprintf("Lookup returned a profile that does not list the %s identifier", id.Kind)}
			}
		}
		byID := func(a, b *Profile) int { return compareStr(a.ID, b.ID) }
		lk.profiles = ps
		if !slices.IsSortedFunc(ps, byID) {
			// Sorted in a copy: what a Reader returns is not ours.
			lk.profiles = slices.SortedFunc(slices.Values(ps), byID)
		}
		if len(lk.profiles) == 0 {
			lk.profiles = nil
		}
	}
	s.looked = append(s.looked, lookupEntry{id: id, lookupResult: lk})
	switch {
	case s.lookups != nil:
		s.lookups[id] = len(s.looked) - 1
	case len(s.looked) > maxLinear:
		s.lookups = make(map[identity.Identifier]int, 2*len(s.looked))
		for i, e := range s.looked {
			s.lookups[e.id] = i
		}
	}
	return lk, nil
}
