package merge

import (
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
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
	if !linked || !c.foldKeepsPeople(p, n) {
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
			w.add(c.hubThreshold, personOf(n.rec), n.ids)
			for i := range p.Records {
				if ref := &p.Records[i]; slices.Contains(ref.Identifiers, id) {
					w.add(c.hubThreshold, personOfRef(ref), ref.Identifiers)
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
// show no more distinct descriptions of people (name, gender, birthday),
// and no more distinct member numbers, than the hub threshold: people are
// never more than their descriptions, so no identifier can then be a hub.
func (c *config) withinHubBound(p *Profile, n *node) bool {
	var descs peopleCounter
	descs.add(personOf(n.rec))
	for i := range p.Records {
		descs.add(personOfRef(&p.Records[i]))
		if len(descs.descs) > c.hubThreshold {
			return false
		}
	}
	if len(descs.descs) > c.hubThreshold {
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

// foldKeepsPeople reports whether folding n into p leaves the receiver
// and recycling rules where a recomputation would: p has no gifts and no
// recycled phone; n's receivers, if any, join the one receiver group of
// p's orders; and n's phones are used within RecycleAfter of p's use of
// them, which has no silence that long.
func (c *config) foldKeepsPeople(p *Profile, n *node) bool {
	if len(p.Gifts) > 0 {
		return false
	}
	for i := range p.Identifiers {
		if st := p.Identifiers[i].Status; st == StatusRecycled || st == StatusReceiver {
			return false
		}
	}
	if !c.oneReceiverGroup(p, n) {
		return false
	}
	if c.recycleAfter <= 0 {
		return true
	}
	t := utc(n.rec.Observed)
	// A phone's carrier without a time takes it from the records its
	// other identifiers link it to: n joining them may date it.
	if !t.IsZero() && slices.ContainsFunc(n.link, func(id identity.Identifier) bool {
		_, ok := p.identifier(id)
		return id.Kind != identity.KindPhone && ok
	}) && slices.ContainsFunc(p.Records, func(r RecordRef) bool {
		return r.Observed.IsZero() && slices.ContainsFunc(r.Identifiers, func(id identity.Identifier) bool { return id.Kind == identity.KindPhone })
	}) {
		return false
	}
	if t.IsZero() && slices.ContainsFunc(n.link, func(id identity.Identifier) bool {
		_, ok := p.identifier(id)
		return id.Kind == identity.KindPhone && ok
	}) {
		return false // n's time comes from p's records: only a recomputation places it
	}
	// No phone of p, n's included, may have a silence among its
	// carriers: where it has one, whoever n is and whatever n links can
	// change who the carriers on either side are, and so the epochs.
	var uses []time.Time
	for k := range p.Identifiers {
		id := p.Identifiers[k].Identifier
		if id.Kind != identity.KindPhone {
			continue
		}
		uses = uses[:0]
		carried := slices.Contains(n.link, id)
		for i := range p.Records {
			if r := &p.Records[i]; slices.Contains(r.Identifiers, id) {
				if r.Observed.IsZero() {
					if carried {
						// A carrier without a time takes its time from
						// the records around it, which n may change.
						return false
					}
					continue
				}
				uses = append(uses, r.Observed)
			}
		}
		if carried && !t.IsZero() {
			uses = append(uses, t)
		}
		slices.SortFunc(uses, time.Time.Compare)
		for k := 1; k < len(uses); k++ {
			if c.silence(uses[k-1], uses[k]) {
				return false
			}
		}
	}
	return true
}

// oneReceiverGroup reports whether p's orders and n's, linked by the
// receivers they share, are one group, and n's receivers that link are
// already p's, linking: then no order can be a gift, before or after the
// fold, however the fold joins p's buyer accounts.
func (c *config) oneReceiverGroup(p *Profile, n *node) bool {
	var recv []identity.Identifier
	for _, id := range n.rec.Receivers {
		if slices.Contains(n.link, id) {
			recv = append(recv, id)
		}
	}
	var orders [][]identity.Identifier
	var buyers []identity.Identifier
	addBuyers := func(ids []identity.Identifier) {
		for _, id := range ids {
			if id.Kind == identity.KindBuyer && !slices.Contains(buyers, id) {
				buyers = append(buyers, id)
			}
		}
	}
	for i := range p.Records {
		if r := &p.Records[i]; isOrder(r.Key) {
			orders = append(orders, r.Receivers)
			addBuyers(r.Identifiers)
		}
	}
	if isOrder(n.key) {
		if match.Organisation(n.rec.Attributes.Name) {
			return false
		}
		addBuyers(n.ids)
	}
	for i, b := range buyers {
		if slices.ContainsFunc(buyers[i+1:], func(c identity.Identifier) bool { return c.Scope == b.Scope }) {
			return false // accounts of one platform may claim one receiver: see gifts
		}
	}
	for _, id := range recv {
		if st, ok := p.identifier(id); !ok || st.Status != StatusLinking ||
			!slices.ContainsFunc(orders, func(r []identity.Identifier) bool { return slices.Contains(r, id) }) {
			return false
		}
	}
	if isOrder(n.key) {
		if len(recv) == 0 && len(orders) > 0 {
			return false // a masked receiver: only a recomputation can place it
		}
		orders = append(orders, recv)
	}
	if len(orders) < 2 {
		return true
	}
	// Grow one group from the first order until it stops; it must reach
	// every order.
	group := slices.Clone(orders[0])
	reached := make([]bool, len(orders))
	reached[0] = true
	for grew := true; grew; {
		grew = false
		for k, r := range orders {
			if reached[k] || !slices.ContainsFunc(r, func(id identity.Identifier) bool { return slices.Contains(group, id) }) {
				continue
			}
			reached[k], grew = true, true
			group = append(group, r...)
		}
	}
	return !slices.Contains(reached, false)
}
