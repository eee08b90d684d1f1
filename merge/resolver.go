package merge

import (
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// Reader is what a [Resolver] needs to read from the store, inside the
// store's transaction. The resolver calls it only for what a decision
// needs, at most once per argument per call, and never modifies what it
// returns.
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
// the profiles in it belong to the caller.
type Change struct {
	// NoOp reports that nothing changed: the record was ingested before
	// with the same content, or the operation had nothing to do. Every
	// other field is then empty and the store writes nothing.
	NoOp bool
	// Stale reports a NoOp for a record older than the version of it
	// already held: see [Resolver.Add].
	Stale bool
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
//     same content ([Fingerprint]; Line is not content), and a NoOp, Stale
//     change if the version held is newer: a later Observed time, or at
//     equal times (an unknown time is older than any) the greater
//     fingerprint. Versions of a record thus replace each other in time
//     order, whatever order they arrive in;
//   - folds the record into the one profile it reaches when nothing else
//     can change: no other profile, no shared identifiers, no limit or
//     hub rule triggered. This reads no other record;
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
	if holder != nil {
		i, _ := holder.record(key)
		switch held := holder.Records[i]; {
		case held.Fingerprint == n.fp:
			return &Change{NoOp: true}, nil
		case !supersedes(utc(rec.Observed), n.fp, held.Observed, held.Fingerprint):
			return &Change{NoOp: true, Stale: true}, nil
		}
	}
	pl := newPlan()
	if holder != nil {
		pl.include(holder)
	}
	for _, id := range n.ids {
		if r.c.blocked[id] {
			continue
		}
		lk, err := s.lookup(id)
		if err != nil {
			return nil, err
		}
		if lk.hub {
			pl.sticky[id] = true
			continue
		}
		for _, p := range lk.profiles {
			pl.include(p)
		}
	}
	pl.record = &rec
	if fast && holder == nil && len(pl.olds) == 1 {
		if ch, ok, err := s.tryFold(pl.olds[0], &n, pl.sticky, asOf); ok || err != nil {
			return ch, err
		}
	}
	return s.recompute(pl, newID, asOf)
}

// supersedes reports whether a record version observed at t with
// fingerprint fp replaces the version observed at heldT with heldFP.
func supersedes(t time.Time, fp string, heldT time.Time, heldFP string) bool {
	switch {
	case t.Equal(heldT):
		return fp > heldFP
	case t.IsZero() || heldT.IsZero():
		return heldT.IsZero()
	}
	return t.After(heldT)
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
	for i, o := range rec.Orders {
		field := fmt.Sprintf("orders[%d]", i)
		switch {
		case o.ID == "":
			return bad(field, "order has no id")
		case o.AmountFen < 0:
			return bad(field, "amount is negative")
		case orderStatusRank(o.Status) > 3:
			return bad(field, "unknown order status")
		}
	}
	for i, in := range rec.Interactions {
		if in.Type == "" {
			return bad(fmt.Sprintf("interactions[%d]", i), "interaction has no type")
		}
	}
	for i, f := range rec.Feedback {
		field := fmt.Sprintf("feedback[%d]", i)
		switch {
		case f.Kind == identity.FeedbackNPS && (f.Score < 0 || f.Score > 10):
			return bad(field, "NPS score outside 0-10")
		case f.Kind == identity.FeedbackCSAT && (f.Score < 1 || f.Score > 5):
			return bad(field, "CSAT score outside 1-5")
		case f.Kind != identity.FeedbackNPS && f.Kind != identity.FeedbackCSAT:
			return bad(field, "unknown feedback kind")
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
// against each other.
type session struct {
	c       *config
	rd      Reader
	lookups map[identity.Identifier]lookupResult
	holders map[identity.RecordKey]*Profile
	records map[string][]identity.Record
}

type lookupResult struct {
	profiles []*Profile
	hub      bool
}

func newSession(c *config, rd Reader) *session {
	return &session{c: c, rd: rd, lookups: map[identity.Identifier]lookupResult{}, holders: map[identity.RecordKey]*Profile{},
		records: map[string][]identity.Record{}}
}

func (s *session) holder(k identity.RecordKey) (*Profile, error) {
	if p, ok := s.holders[k]; ok {
		return p, nil
	}
	p, err := s.rd.Holder(k)
	if err != nil {
		return nil, fmt.Errorf("merge: reading the holder of record %s: %w", k, err)
	}
	if p != nil && !p.Holds(k) {
		return nil, &StateError{Profile: p.ID, Record: k, Problem: "Holder returned a profile that does not list the record"}
	}
	s.holders[k] = p
	return p, nil
}

func (s *session) lookup(id identity.Identifier) (lookupResult, error) {
	if lk, ok := s.lookups[id]; ok {
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
			lk.profiles = append(lk.profiles, p)
		}
		slices.SortFunc(lk.profiles, func(a, b *Profile) int { return compareStr(a.ID, b.ID) })
	}
	s.lookups[id] = lk
	return lk, nil
}

// tryFold folds rec into p if that gives exactly what a recomputation
// would: p is its own component (no shared identifiers), rec links to it,
// and no limit or hub rule is triggered. It reports whether it folded.
func (s *session) tryFold(p *Profile, n *node, sticky map[identity.Identifier]bool, asOf time.Time) (*Change, bool, error) {
	c := s.c
	for _, st := range p.Identifiers {
		if st.Shared {
			return nil, false, nil
		}
	}
	for _, pr := range p.DoNotLink {
		if pr.A == n.key || pr.B == n.key {
			return nil, false, nil
		}
	}
	isHub := func(id identity.Identifier) bool {
		if sticky[id] {
			return true
		}
		st, ok := p.identifier(id)
		return ok && st.Status == StatusHub
	}
	n.link = c.linkingIdentifiers(n.ids, isHub)
	linked := false
	counts := map[kindScope]int{}
	for _, st := range p.Identifiers {
		if st.Status == StatusLinking {
			counts[kindScope{st.Identifier.Kind, st.Identifier.Scope}]++
		}
	}
	for _, id := range n.link {
		st, ok := p.identifier(id)
		if ok && st.Status == StatusLinking {
			linked = true
			continue
		}
		ks := kindScope{id.Kind, id.Scope}
		counts[ks]++
		if lim := c.limit(id.Kind); lim > 0 && counts[ks] > lim {
			return nil, false, nil
		}
	}
	if !linked {
		return nil, false, nil
	}
	// The hub rule counts every record carrying an identifier, whatever
	// its status in that record.
	for _, id := range n.ids {
		if !c.hubKinds[id.Kind] || c.hubThreshold == 0 || c.blocked[id] || isHub(id) {
			continue
		}
		w := &hubWitness{names: map[string]bool{}, members: map[identity.Identifier]bool{}}
		w.add(n.rec.Attributes.Name, n.ids)
		for _, ref := range p.Records {
			if slices.Contains(ref.Identifiers, id) {
				w.add(ref.Name, ref.Identifiers)
			}
		}
		if c.overHub(w) {
			return nil, false, nil
		}
	}

	it := c.extract(n, func(id identity.Identifier) Status { return c.status(id, n.link, isHub) })
	q := c.fold(p, it)
	w := newWorkset(s, []*Profile{q}, map[string]bool{p.ID: true})
	if err := w.routeRecordCredits(n.rec, nil); err != nil {
		return nil, true, err
	}
	if err := w.claimPending(n.ids); err != nil {
		return nil, true, err
	}
	ch, err := w.change([]*Profile{p}, nil, nil, asOf, false)
	return ch, true, err
}
