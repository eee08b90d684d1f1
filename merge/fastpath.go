package merge

import (
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// Add's fast paths cover what most records of a bulk load do: start a
// profile, or join the one profile they reach. Each gives exactly the
// Change a recomputation of the component would (the tests compare them
// with AddByRecompute on every record) and reports false, leaving the
// record to recompute, when it cannot be sure.

// create builds the profile of a record that reaches no profile: no
// profile holds its key or any of its identifiers. It is what recomputing
// a component of that one record gives, without the union-find: the
// record's identifiers beyond their kind's limit are excluded, hubs
// flagged before (sticky) link nothing, and nothing is shared, separated
// or forwarded. It reports false when the hub rule would flag one of the
// record's own identifiers (a record carrying more member numbers than
// the hub threshold), which recomputation handles.
func (s *session) create(n *node, sticky []identity.Identifier, newID func() string, asOf time.Time) (*Change, bool, error) {
	c := s.c
	isHub := func(id identity.Identifier) bool { return slices.Contains(sticky, id) }
	if c.hubThreshold > 0 {
		members := 0
		for _, id := range n.ids {
			if id.Kind == identity.KindMember {
				members++
			}
		}
		if members > c.hubThreshold && slices.ContainsFunc(n.ids, func(id identity.Identifier) bool {
			return c.hubKinds[id.Kind] && !c.blocked[id] && !isHub(id)
		}) {
			return nil, false, nil
		}
	}
	n.link = c.linkingIdentifiers(n.ids, isHub)
	var buf [16]candidate
	it, cands := c.extract(n, func(id identity.Identifier) Status { return c.status(id, n.link, isHub) }, buf[:0])
	p := build([]items{it}, cands)
	if p.ID = newID(); p.ID == "" {
		return nil, true, fmt.Errorf("%w: newID returned an empty or repeated id", ErrInvalid)
	}
	w := newWorkset(s, []*Profile{p}, nil)
	if err := w.routeRecordCredits(n.rec, nil); err != nil {
		return nil, true, err
	}
	if err := w.claimPending(n.ids); err != nil {
		return nil, true, err
	}
	ch, err := w.change([]string{p.ID}, nil, asOf, true)
	return ch, true, err
}

// tryFold folds the record of n into p if that gives exactly what a
// recomputation would: p is its own component (no shared identifiers),
// the record links to it, and no limit or hub rule is triggered. It
// reports whether it folded.
func (s *session) tryFold(p *Profile, n *node, sticky []identity.Identifier, asOf time.Time) (*Change, bool, error) {
	c := s.c
	for i := range p.Identifiers {
		if p.Identifiers[i].Shared {
			return nil, false, nil
		}
	}
	for _, pr := range p.DoNotLink {
		if pr.A == n.key || pr.B == n.key {
			return nil, false, nil
		}
	}
	isHub := func(id identity.Identifier) bool {
		if slices.Contains(sticky, id) {
			return true
		}
		st, ok := p.identifier(id)
		return ok && st.Status == StatusHub
	}
	n.link = c.linkingIdentifiers(n.ids, isHub)
	linked := false
	// The identifiers new to p, counted per kind and scope: n.link is in
	// identifier order, so each kind and scope is one run.
	var last kindScope
	added := 0
	for _, id := range n.link {
		if st, ok := p.identifier(id); ok && st.Status == StatusLinking {
			linked = true
			continue
		}
		if ks := (kindScope{id.Kind, id.Scope}); added == 0 || ks != last {
			last, added = ks, 0
		}
		added++
		if lim := c.limit(id.Kind); lim > 0 && linkingCount(p, id.Kind, id.Scope)+added > lim {
			return nil, false, nil
		}
	}
	if !linked {
		return nil, false, nil
	}
	// The hub rule counts every record carrying an identifier, whatever
	// its status in that record. The names and member numbers of all of
	// p's records bound those of the records carrying one identifier: when
	// the bound is within the threshold, no identifier can be a hub.
	if c.hubThreshold > 0 && !c.withinHubBound(p, n) {
		for _, id := range n.ids {
			if !c.hubKinds[id.Kind] || c.blocked[id] || isHub(id) {
				continue
			}
			var w hubWitness
			w.add(c.hubThreshold, n.rec.Attributes.Name, n.ids)
			for i := range p.Records {
				if ref := &p.Records[i]; slices.Contains(ref.Identifiers, id) {
					w.add(c.hubThreshold, ref.Name, ref.Identifiers)
				}
			}
			if c.overHub(&w) {
				return nil, false, nil
			}
		}
	}

	var buf [16]candidate
	it, cands := c.extract(n, func(id identity.Identifier) Status { return c.status(id, n.link, isHub) }, buf[:0])
	q := c.fold(p, it, cands)
	w := newWorkset(s, []*Profile{q}, []*Profile{p})
	if err := w.routeRecordCredits(n.rec, nil); err != nil {
		return nil, true, err
	}
	if err := w.claimPending(n.ids); err != nil {
		return nil, true, err
	}
	ch, err := w.change(nil, nil, asOf, false)
	return ch, true, err
}

// linkingCount returns how many identifiers of kind k and scope sc link
// the records of p.
func linkingCount(p *Profile, k identity.Kind, sc string) int {
	i, _ := slices.BinarySearchFunc(p.Identifiers, identity.Identifier{Kind: k, Scope: sc}, func(s IdentifierState, id identity.Identifier) int {
		return compareIdentifier(s.Identifier, id)
	})
	n := 0
	for ; i < len(p.Identifiers) && p.Identifiers[i].Identifier.Kind == k && p.Identifiers[i].Identifier.Scope == sc; i++ {
		if p.Identifiers[i].Status == StatusLinking {
			n++
		}
	}
	return n
}

// withinHubBound reports whether p's records and n's record together
// show no more distinct names, and no more distinct member numbers, than
// the hub threshold. The values of p's name field are the names of all
// its records, and its identifiers every member number they carry.
func (c *config) withinHubBound(p *Profile, n *node) bool {
	names := 0
	name := n.rec.Attributes.Name
	if f, ok := p.Field(FieldPersonName); ok {
		names = 1 + len(f.Alternatives)
		if name != "" && name != f.Value && !slices.ContainsFunc(f.Alternatives, func(a Alternative) bool { return a.Value == name }) {
			names++
		}
	} else if name != "" {
		names = 1
	}
	if names > c.hubThreshold {
		return false
	}
	members := 0
	for i := range p.Identifiers {
		if p.Identifiers[i].Identifier.Kind == identity.KindMember {
			members++
		}
	}
	for _, id := range n.ids {
		if id.Kind == identity.KindMember {
			if _, ok := p.identifier(id); !ok {
				members++
			}
		}
	}
	return members <= c.hubThreshold
}
