package merge

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/scv-go/scv/identity"
)

// plan is a component to recompute: the profiles it starts from, the
// constraints to add or drop, and the record being added or updated.
type plan struct {
	olds   []*Profile
	byID   map[string]bool
	sticky map[identity.Identifier]bool
	record *identity.Record
	// group are records added together, none held before: see AddGroup.
	group    []*identity.Record
	addPairs []Pair
	delPairs []Pair
	addLinks []Assertion
	delLinks []Pair
}

func newPlan() *plan {
	return &plan{byID: map[string]bool{}, sticky: map[identity.Identifier]bool{}}
}

func (pl *plan) include(p *Profile) {
	if !pl.byID[p.ID] {
		pl.byID[p.ID] = true
		pl.olds = append(pl.olds, p)
	}
}

// pairs returns the do-not-link constraints of the component.
func (pl *plan) pairs() []Pair {
	var out []Pair
	for _, p := range pl.olds {
		out = append(out, p.DoNotLink...)
	}
	out = append(out, pl.addPairs...)
	slices.SortFunc(out, comparePair)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(p Pair) bool { return slices.Contains(pl.delPairs, p) })
}

// links returns the assertions of the component, one per pair, the
// added ones replacing the stored ones, in pair order.
func (pl *plan) links() []Assertion {
	var out []Assertion
	for _, p := range pl.olds {
		out = append(out, p.Links...)
	}
	out = append(out, pl.addLinks...)
	slices.SortStableFunc(out, func(a, b Assertion) int { return comparePair(a.Pair(), b.Pair()) })
	// The last of equal pairs wins: an added assertion replaces the stored.
	var kept []Assertion
	for i, l := range out {
		if i+1 < len(out) && out[i+1].Pair() == l.Pair() {
			continue
		}
		if !slices.Contains(pl.delLinks, l.Pair()) {
			kept = append(kept, l)
		}
	}
	// Earlier assertions join first: when two contradict through a
	// do-not-link, the one made first stands.
	slices.SortStableFunc(kept, func(a, b Assertion) int { return a.At.Compare(b.At) })
	return kept
}

// recompute rebuilds the component of pl from its records.
func (s *session) recompute(pl *plan, newID func() string, asOf time.Time) (*Change, error) {
	if err := s.expand(pl); err != nil {
		return nil, err
	}
	nodes, previous, err := s.load(pl)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(pl.olds, func(a, b *Profile) int { return compareStr(a.ID, b.ID) })
	pairs := pl.pairs()
	res := s.c.resolve(nodes, pl.sticky, pairs, pl.links())
	parts := s.c.buildParts(res, pairs)
	created, forwards, err := assignIDs(pl.olds, parts, newID)
	if err != nil {
		return nil, err
	}
	res.setGifts(parts)
	w := newWorkset(s, parts, pl.olds)
	var credits []Credit
	for _, p := range pl.olds {
		credits = append(credits, p.Credits...)
	}
	for _, cr := range reduce(credits, compareCredit, keepFirst[Credit]) {
		if err := w.route(cr); err != nil {
			return nil, err
		}
	}
	var claim []identity.Identifier
	if pl.record != nil {
		if err := w.routeRecordCredits(pl.record, previous); err != nil {
			return nil, err
		}
		claim = distinctIdentifiers(pl.record)
	}
	if len(pl.group) > 0 {
		claimed := map[identity.Identifier]bool{}
		for _, id := range claim {
			claimed[id] = true
		}
		for _, rec := range pl.group {
			if err := w.routeRecordCredits(rec, nil); err != nil {
				return nil, err
			}
			for _, id := range rec.Identifiers {
				if !claimed[id] {
					claimed[id] = true
					claim = append(claim, id)
				}
			}
		}
	}
	// A phone the component held only as gifts' receivers may have a
	// user now (the gifts' groups settled otherwise), or be a hub: its
	// waiting credits are claimed, as for a phone the record brings.
	for _, p := range w.results {
		for _, st := range p.Identifiers {
			if st.Identifier.Kind == identity.KindPhone && st.Status != StatusReceiver && !slices.Contains(claim, st.Identifier) {
				claim = append(claim, st.Identifier)
			}
		}
	}
	if err := w.claimPending(claim); err != nil {
		return nil, err
	}
	ch, err := w.change(created, forwards, asOf, true)
	if err != nil {
		return nil, err
	}
	if !ch.NoOp || len(res.newHubs) > 0 {
		ch.NoOp = false
		ch.Recomputed = len(pl.olds) > 0
		ch.Hubs = res.newHubs
		for _, p := range parts {
			ch.Separations = append(ch.Separations, p.Separations...)
		}
		slices.SortFunc(ch.Separations, compareSeparation)
		ch.Separations = slices.Compact(ch.Separations)
	}
	return ch, nil
}

// expand adds to pl every profile that shares an identifier with a profile
// in it, until none is left: the component a recomputation must see.
//
// An identifier is looked up once: the receiver of a thousand buyers'
// gifts shares her phone with each of them, and looking it up again for
// every buyer made each gift cost the square of their number.
func (s *session) expand(pl *plan) error {
	expanded := map[identity.Identifier]bool{}
	for i := 0; i < len(pl.olds); i++ {
		for _, st := range pl.olds[i].Identifiers {
			id := st.Identifier
			if st.Status == StatusHub {
				pl.sticky[id] = true
				continue
			}
			if !st.Shared || st.Status == StatusBlocked || s.c.blocked[id] || expanded[id] {
				continue
			}
			expanded[id] = true
			lk, err := s.lookup(id)
			if err != nil {
				return err
			}
			if lk.hub {
				pl.sticky[id] = true
			}
			for _, p := range lk.profiles {
				pl.include(p)
			}
		}
	}
	return nil
}

// load reads the records of pl's profiles, checks them against the
// profiles, and adds pl.record, replacing its previous version, which it
// returns.
func (s *session) load(pl *plan) ([]node, *identity.Record, error) {
	var nodes []node
	var previous *identity.Record
	var replaced identity.RecordKey
	if pl.record != nil {
		replaced = pl.record.Key()
	}
	seen := map[identity.RecordKey]bool{}
	for _, p := range pl.olds {
		recs, ok := s.records[p.ID]
		if !ok {
			var err error
			if recs, err = s.rd.Records(p.ID); err != nil {
				return nil, nil, fmt.Errorf("merge: reading the records of profile %s: %w", p.ID, err)
			}
			if s.records == nil {
				s.records = map[string][]identity.Record{}
			}
			s.records[p.ID] = recs
		}
		if len(recs) != len(p.Records) {
			return nil, nil, &StateError{Profile: p.ID, Problem: fmt.Sprintf("Records returned %d records, the profile lists %d", len(recs), len(p.Records))}
		}
		for i := range recs {
			rec := &recs[i]
			k := rec.Key()
			j, ok := p.record(k)
			if !ok || seen[k] {
				return nil, nil, &StateError{Profile: p.ID, Record: k, Problem: "Records returned a record the profile does not list, or twice"}
			}
			seen[k] = true
			if pl.record != nil && k == replaced {
				previous = rec
				continue
			}
			n := newNode(rec)
			if n.fp != p.Records[j].Fingerprint {
				return nil, nil, &StateError{Profile: p.ID, Record: k, Problem: "stored record does not match its fingerprint"}
			}
			nodes = append(nodes, n)
		}
	}
	if pl.record != nil {
		nodes = append(nodes, newNode(pl.record))
	}
	for _, rec := range pl.group {
		nodes = append(nodes, newNode(rec))
	}
	return nodes, previous, nil
}

// candidatePool holds the candidate buffers of buildParts: a component's
// candidates, one a field a record states, would otherwise grow a buffer
// from nothing at every recomputation.
var candidatePool = sync.Pool{New: func() any { return new([]candidate) }}

// buildParts builds one profile per part of res, without ids, credits or
// derived values.
func (c *config) buildParts(res *resolution, pairs []Pair) []*Profile {
	isHub := func(id identity.Identifier) bool { return res.hubs[id] }
	firstPart := map[identity.Identifier]int{}
	shared := map[identity.Identifier]bool{}
	for p, part := range res.parts {
		for _, i := range part {
			for _, id := range res.nodes[i].ids {
				if isHub(id) || c.blocked[id] {
					continue
				}
				if q, ok := firstPart[id]; !ok {
					firstPart[id] = p
				} else if q != p {
					shared[id] = true
				}
			}
		}
	}
	seps := res.separations()
	out := make([]*Profile, len(res.parts))
	// cands is reused, within the call and by later calls: build copies
	// the candidates into fields.
	bp := candidatePool.Get().(*[]candidate)
	cands, used := *bp, 0
	defer func() {
		clear(cands[:used]) // drop the values and record keys
		*bp = cands[:0]
		candidatePool.Put(bp)
	}()
	for p, part := range res.parts {
		all := make([]items, 0, len(part))
		cands = cands[:0]
		for _, i := range part {
			n := &res.nodes[i]
			n.gift = res.gifts[i]
			var it items
			it, cands = c.extract(n, func(id identity.Identifier) Status {
				st := c.status(id, n.link, isHub)
				if st == StatusLinking {
					switch {
					case n.gift && slices.Contains(n.recv, id):
						return StatusReceiver
					case !res.current(i, id):
						return StatusRecycled
					}
				}
				return st
			}, cands)
			all = append(all, it)
		}
		used = max(used, len(cands))
		prof := build(all, cands)
		for j := range prof.Identifiers {
			prof.Identifiers[j].Shared = shared[prof.Identifiers[j].Identifier]
		}
		out[p] = prof
	}
	// Each pair goes to the profiles holding either of its records, in
	// the pairs' order: found by one map of the records, not by a search
	// of every profile for every pair.
	holder := map[identity.RecordKey]int{}
	for p, prof := range out {
		for _, r := range prof.Records {
			holder[r.Key] = p
		}
	}
	each := func(a, b identity.RecordKey, add func(*Profile)) {
		pa, okA := holder[a]
		pb, okB := holder[b]
		if okA {
			add(out[pa])
		}
		if okB && (!okA || pb != pa) {
			add(out[pb])
		}
	}
	for _, pr := range pairs {
		each(pr.A, pr.B, func(p *Profile) { p.DoNotLink = append(p.DoNotLink, pr) })
	}
	for _, sp := range seps {
		each(sp.A, sp.B, func(p *Profile) { p.Separations = append(p.Separations, sp) })
	}
	for _, l := range res.asserted {
		each(l.A, l.B, func(p *Profile) { p.Links = append(p.Links, l) })
	}
	return out
}

// assignIDs gives each part an id. The old profiles, the one with the most
// records first (then the earliest first seen, then the smaller id), each
// keep their id on the part holding most of their records that has none
// yet; parts left without an id get a new one; old ids left over forward
// to the part holding most of their records.
func assignIDs(olds []*Profile, parts []*Profile, newID func() string) (created []string, forwards []Forward, err error) {
	owner := map[identity.RecordKey]int{}
	for o, p := range olds {
		for _, r := range p.Records {
			owner[r.Key] = o
		}
	}
	// overlap lists, for each old profile, the parts holding some of its
	// records and how many, parts in order. Sparse: a component of
	// thousands of profiles (a receiver of thousands of buyers' gifts)
	// would make a square matrix of them, at every recomputation.
	type share struct{ part, n int }
	overlap := make([][]share, len(olds))
	for j, p := range parts {
		for _, r := range p.Records {
			if o, ok := owner[r.Key]; ok {
				if k := len(overlap[o]) - 1; k >= 0 && overlap[o][k].part == j {
					overlap[o][k].n++
				} else {
					overlap[o] = append(overlap[o], share{j, 1})
				}
			}
		}
	}
	// best returns the part holding most of old o's records, among those
	// free allows; larger parts, then earlier parts, win ties.
	best := func(o int, free func(j int) bool) int {
		b, bn := -1, 0
		for _, sh := range overlap[o] {
			if !free(sh.part) {
				continue
			}
			if b < 0 || sh.n > bn || sh.n == bn && len(parts[sh.part].Records) > len(parts[b].Records) {
				b, bn = sh.part, sh.n
			}
		}
		return b
	}
	order := make([]int, len(olds))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		pa, pb := olds[a], olds[b]
		if len(pa.Records) != len(pb.Records) {
			return len(pb.Records) - len(pa.Records)
		}
		if c := compareEarlier(pa.FirstSeen, pb.FirstSeen); c != 0 {
			return c
		}
		return compareStr(pa.ID, pb.ID)
	})
	kept := make([]bool, len(olds))
	for _, o := range order {
		if j := best(o, func(j int) bool { return parts[j].ID == "" }); j >= 0 {
			parts[j].ID = olds[o].ID
			kept[o] = true
		}
	}
	used := map[string]bool{}
	for _, p := range olds {
		used[p.ID] = true
	}
	for _, p := range parts {
		if p.ID != "" {
			continue
		}
		id := newID()
		if id == "" || used[id] {
			return nil, nil, fmt.Errorf("%w: newID returned an empty or repeated id", ErrInvalid)
		}
		used[id] = true
		p.ID = id
		created = append(created, id)
	}
	for o, p := range olds {
		if !kept[o] {
			j := best(o, func(int) bool { return true })
			if j < 0 {
				return nil, nil, &StateError{Profile: p.ID, Problem: "none of its records is in the recomputed component"}
			}
			forwards = append(forwards, Forward{From: p.ID, To: parts[j].ID})
		}
	}
	slices.Sort(created)
	slices.SortFunc(forwards, func(a, b Forward) int { return compareStr(a.From, b.From) })
	return created, forwards, nil
}

// workset is the set of profiles a decision writes: the component's new
// profiles, and profiles outside it that receive referral credits.
type workset struct {
	s        *session
	results  []*Profile
	olds     []*Profile          // the old profiles the results replace, by id
	extras   map[string]*Profile // outside profiles, modified copies; made when needed
	origins  map[string]*Profile // outside profiles as read
	pending  []Credit
	claimed  []identity.Identifier
	seenDone bool // the results' FirstSeen and LastSeen are set
}

// newWorkset returns the workset of results, which replace olds (sorted
// by id).
func newWorkset(s *session, results, olds []*Profile) *workset {
	return &workset{s: s, results: results, olds: olds}
}

// seeResults sets the first and last seen times of the results, which
// routing credits compares; finalize sets them again with the rest.
func (w *workset) seeResults() {
	if w.seenDone {
		return
	}
	for _, p := range w.results {
		p.FirstSeen, p.LastSeen = seen(p)
	}
	w.seenDone = true
}

// old returns the old profile with the id, or nil.
func (w *workset) old(id string) *Profile {
	if i, ok := w.oldIndex(id); ok {
		return w.olds[i]
	}
	return nil
}

func (w *workset) oldIndex(id string) (int, bool) {
	return slices.BinarySearchFunc(w.olds, id, func(p *Profile, id string) int { return compareStr(p.ID, id) })
}

// change finalises the profiles as of asOf and says what to write. With
// compare, profiles equal to their old value refreshed to asOf are left
// out.
func (w *workset) change(created []string, forwards []Forward, asOf time.Time, compare bool) (*Change, error) {
	c := w.s.c
	ch := &Change{Created: created, Forwards: forwards, Pending: w.pending, Claimed: w.claimed}
	ch.Profiles = make([]*Profile, 0, len(w.results)+len(w.extras))
	// Room for what new profiles assign and index; changed ones append.
	records, ids := 0, 0
	for _, p := range w.results {
		if w.old(p.ID) == nil {
			records += len(p.Records)
			ids += len(p.Identifiers)
		}
	}
	if records > 0 {
		ch.Assign = make([]Assignment, 0, records)
	}
	if ids > 0 {
		ch.Index = make([]IndexEdit, 0, ids)
	}
	var keptBuf [4]bool
	var kept []bool // which olds a result replaces
	if len(w.olds) <= len(keptBuf) {
		kept = keptBuf[:len(w.olds)]
	} else {
		kept = make([]bool, len(w.olds))
	}
	replaced := 0
	for _, p := range w.results {
		c.finalize(p, asOf)
		var old *Profile
		if i, ok := w.oldIndex(p.ID); ok {
			old, kept[i] = w.olds[i], true
			replaced++
		}
		if old == nil || !compare || !c.unchanged(old, p, asOf) {
			ch.Profiles = append(ch.Profiles, p)
		}
		ch.Assign = appendNewRecords(ch.Assign, old, p)
		ch.Index = appendIndexDiff(ch.Index, old, p)
	}
	if replaced < len(w.olds) {
		for i, o := range w.olds {
			if !kept[i] {
				ch.Index = appendIndexDiff(ch.Index, o, nil)
			}
		}
	}
	for _, id := range sortedKeys(w.extras) {
		p := w.extras[id]
		c.finalize(p, asOf)
		if !c.unchanged(w.origins[id], p, asOf) {
			ch.Profiles = append(ch.Profiles, p)
		}
	}
	// Empty lists are nil, as they are without preallocation.
	if len(ch.Profiles) == 0 {
		ch.Profiles = nil
	}
	if len(ch.Assign) == 0 {
		ch.Assign = nil
	}
	if len(ch.Index) == 0 {
		ch.Index = nil
	}
	slices.SortFunc(ch.Profiles, func(a, b *Profile) int { return compareStr(a.ID, b.ID) })
	slices.SortFunc(ch.Assign, func(a, b Assignment) int { return compareKey(a.Record, b.Record) })
	slices.SortFunc(ch.Index, func(a, b IndexEdit) int {
		if c := compareStr(a.Profile, b.Profile); c != 0 {
			return c
		}
		return compareIdentifier(a.Identifier, b.Identifier)
	})
	slices.SortFunc(ch.Pending, compareCredit)
	slices.SortFunc(ch.Claimed, compareIdentifier)
	ch.NoOp = len(ch.Profiles) == 0 && len(ch.Created) == 0 && len(ch.Forwards) == 0 && len(ch.Assign) == 0 &&
		len(ch.Index) == 0 && len(ch.Pending) == 0 && len(ch.Claimed) == 0
	return ch, nil
}

// appendNewRecords appends assignments to p of the records old (which may
// be nil) does not hold. Both lists are sorted by key: one merge walk.
func appendNewRecords(out []Assignment, old, p *Profile) []Assignment {
	i := 0
	for _, r := range p.Records {
		for old != nil && i < len(old.Records) && compareKey(old.Records[i].Key, r.Key) < 0 {
			i++
		}
		if old == nil || i == len(old.Records) || old.Records[i].Key != r.Key {
			out = append(out, Assignment{Record: r.Key, Profile: p.ID})
		}
	}
	return out
}

// unchanged reports whether p equals old refreshed to asOf.
func (c *config) unchanged(old, p *Profile, asOf time.Time) bool {
	q := old.Clone()
	c.finalize(q, asOf)
	return reflect.DeepEqual(q, p)
}

// appendIndexDiff appends the index edits that turn old's entries into
// p's; either may be nil.
func appendIndexDiff(out []IndexEdit, old, p *Profile) []IndexEdit {
	var a, b []IdentifierState
	var aID, bID string
	if old != nil {
		a, aID = old.Identifiers, old.ID
	}
	if p != nil {
		b, bID = p.Identifiers, p.ID
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c int
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = compareIdentifier(a[i].Identifier, b[j].Identifier)
		}
		switch {
		case c < 0:
			out = append(out, IndexEdit{Identifier: a[i].Identifier, Profile: aID, Remove: true})
			i++
		case c > 0:
			out = append(out, IndexEdit{Identifier: b[j].Identifier, Profile: bID})
			j++
		default:
			if aID != bID {
				out = append(out, IndexEdit{Identifier: a[i].Identifier, Profile: aID, Remove: true},
					IndexEdit{Identifier: b[j].Identifier, Profile: bID})
			}
			i++
			j++
		}
	}
	return out
}
