package merge

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scv-go/scv/identity"
)

// RecordLinks says what links one record of a profile to the others.
type RecordLinks struct {
	Record identity.RecordKey
	Links  []Link // empty for a profile's only record
	// Asserted are the assertions ([Resolver.Link]) naming the record.
	Asserted []Assertion
}

// Link is one identifier a record shares with other records of its
// profile. Identifier holds personal data; String shows only its kind.
type Link struct {
	Identifier identity.Identifier
	With       []identity.RecordKey // the other records carrying it, in key order
}

// String returns "record: kind -> record, record; kind -> record", naming
// identifier kinds and record keys only.
func (r RecordLinks) String() string {
	var b strings.Builder
	b.WriteString(r.Record.String())
	b.WriteString(":")
	if len(r.Links) == 0 && len(r.Asserted) == 0 {
		b.WriteString(" no link")
	}
	for i, l := range r.Links {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s -> %s", l.Identifier.Kind, joinKeys(l.With))
	}
	for i, a := range r.Asserted {
		if i > 0 || len(r.Links) > 0 {
			b.WriteString(";")
		}
		other := a.A
		if other == r.Record {
			other = a.B
		}
		fmt.Fprintf(&b, " linked by %s -> %s", a.By, other)
	}
	return b.String()
}

func joinKeys(keys []identity.RecordKey) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = k.String()
	}
	return strings.Join(s, ", ")
}

// Explain returns, for each record of p in key order, the linking
// identifiers it shares with the profile's other records. It reads p
// alone.
func (r *Resolver) Explain(p *Profile) []RecordLinks {
	isHub := func(id identity.Identifier) bool {
		st, ok := p.identifier(id)
		return ok && st.Status == StatusHub
	}
	link := make([][]identity.Identifier, len(p.Records))
	for i, ref := range p.Records {
		link[i] = r.c.linkingIdentifiers(ref.Identifiers, isHub)
	}
	out := make([]RecordLinks, len(p.Records))
	for i, ref := range p.Records {
		out[i].Record = ref.Key
		for _, id := range link[i] {
			l := Link{Identifier: id}
			for j, other := range p.Records {
				if j != i && slices.Contains(link[j], id) {
					l.With = append(l.With, other.Key)
				}
			}
			if len(l.With) > 0 {
				out[i].Links = append(out[i].Links, l)
			}
		}
		for _, a := range p.Links {
			if a.A == ref.Key || a.B == ref.Key {
				out[i].Asserted = append(out[i].Asserted, a)
			}
		}
	}
	return out
}

// PairExplanation says whether two records are one profile, and why.
type PairExplanation struct {
	A, B identity.RecordKey
	// Same reports that A and B are in one profile, Profile (empty if the
	// store holds them apart: its profiles predate an options change that
	// [Resolver.Resolve] has not applied yet); Path then leads from A to B
	// through records sharing linking identifiers.
	Same    bool
	Profile string
	// Path, when A and B are apart, leads from A to B through records
	// sharing identifiers that would link them but for Rule; it is empty
	// for RuleNoSharedIdentifier.
	Path []Hop
	// Rule is what keeps A and B apart; empty when Same.
	Rule Rule
	// Kind is the identifier kind concerned: the hub's, the blocked
	// value's, or the kind whose limit a join would exceed.
	Kind identity.Kind
}

// Hop is one step of a path: records From and To share identifier Via,
// which holds personal data; String shows only its kind. A hop through an
// assertion ([Resolver.Link]) has Link set and no Via.
type Hop struct {
	From, To identity.RecordKey
	Via      identity.Identifier
	Link     *Assertion
}

// String returns a one-line explanation naming record keys, identifier
// kinds and rules, never identifier values.
func (e *PairExplanation) String() string {
	var b strings.Builder
	if e.Same {
		fmt.Fprintf(&b, "%s and %s are one profile (%s)", e.A, e.B, e.Profile)
	} else {
		fmt.Fprintf(&b, "%s and %s are apart: %s", e.A, e.B, e.Rule)
		if e.Rule == RuleLimit || e.Rule == RuleHub || e.Rule == RuleBlocked {
			fmt.Fprintf(&b, " (%s)", e.Kind)
		}
	}
	for _, h := range e.Path {
		switch {
		case h.Link != nil && h.Link.Probability > 0:
			fmt.Fprintf(&b, "; %s -linked by %s (p=%.3f)-> %s", h.From, h.Link.By, h.Link.Probability, h.To)
		case h.Link != nil:
			fmt.Fprintf(&b, "; %s -linked by %s-> %s", h.From, h.Link.By, h.To)
		default:
			fmt.Fprintf(&b, "; %s -%s-> %s", h.From, h.Via.Kind, h.To)
		}
	}
	return b.String()
}

// ExplainPair says whether the records with keys a and b are one profile
// and through which identifiers, or which rule keeps them apart: a hub, a
// blocked value, a limit, a do-not-link pair, or no shared identifier at
// all. It recomputes their component without changing anything. It
// returns [ErrNotFound] if no profile holds a or b.
func (r *Resolver) ExplainPair(rd Reader, a, b identity.RecordKey) (*PairExplanation, error) {
	s := newSession(r.c, rd)
	pl := newPlan()
	var holders [2]*Profile
	for i, k := range []identity.RecordKey{a, b} {
		p, err := s.mustHold(k)
		if err != nil {
			return nil, err
		}
		holders[i] = p
		pl.include(p)
	}
	if err := s.expand(pl); err != nil {
		return nil, err
	}
	nodes, _, err := s.load(pl)
	if err != nil {
		return nil, err
	}
	res := r.c.resolve(nodes, pl.sticky, pl.pairs(), pl.links())
	ia := slices.IndexFunc(res.nodes, func(n node) bool { return n.key == a })
	ib := slices.IndexFunc(res.nodes, func(n node) bool { return n.key == b })
	e := &PairExplanation{A: a, B: b}
	linking := func(i int, id identity.Identifier) bool {
		_, ok := slices.BinarySearchFunc(res.nodes[i].link, id, compareIdentifier)
		return ok
	}
	if res.partOf[ia] == res.partOf[ib] {
		e.Same = true
		if pa, pb := holders[0], holders[1]; pa.ID == pb.ID {
			e.Profile = pa.ID
		}
		part := res.partOf[ia]
		// A gift's receiver identifiers link nothing in its order, even
		// when something else (an operator's link) joined the receiver.
		gift := func(i int, id identity.Identifier) bool {
			return res.gifts[i] && slices.Contains(res.nodes[i].recv, id)
		}
		e.Path = res.path(ia, ib, func(i int, id identity.Identifier) bool {
			return res.partOf[i] == part && linking(i, id) && !gift(i, id)
		}, res.linked)
		return e, nil
	}
	for _, rf := range res.refusals {
		if rf.via == (identity.Identifier{}) && (rf.x == ia && rf.y == ib || rf.x == ib && rf.y == ia) {
			e.Rule = RuleDoNotLink // their assertion is refused
			return e, nil
		}
	}
	if e.Path = res.path(ia, ib, linking, nil); e.Path != nil {
		// Linked, but a join was refused: find the refusal between the
		// two parts where the path first crosses.
		for _, h := range e.Path {
			pu, pv := res.partOf[res.index(h.From)], res.partOf[res.index(h.To)]
			if pu == pv {
				continue
			}
			for _, rf := range res.refusals {
				px, py := res.partOf[rf.x], res.partOf[rf.y]
				if px == pu && py == pv || px == pv && py == pu {
					e.Rule, e.Kind = rf.rule, rf.limit
					return e, nil
				}
			}
		}
		return nil, &StateError{Record: a, Problem: "linked records apart without a recorded refusal"}
	}
	carried := func(i int, id identity.Identifier) bool { return slices.Contains(res.nodes[i].ids, id) }
	if e.Path = res.path(ia, ib, carried, nil); e.Path == nil {
		e.Rule = RuleNoSharedIdentifier
		return e, nil
	}
	for _, h := range e.Path {
		for _, i := range []int{res.index(h.From), res.index(h.To)} {
			switch r.c.status(h.Via, res.nodes[i].link, func(id identity.Identifier) bool { return res.hubs[id] }) {
			case StatusHub:
				e.Rule, e.Kind = RuleHub, h.Via.Kind
				return e, nil
			case StatusBlocked:
				e.Rule, e.Kind = RuleBlocked, h.Via.Kind
				return e, nil
			case StatusExcluded:
				e.Rule, e.Kind = RuleLimit, h.Via.Kind
				return e, nil
			}
		}
	}
	return nil, &StateError{Record: a, Problem: "path of linking identifiers between parts"}
}

func (res *resolution) index(k identity.RecordKey) int {
	return slices.IndexFunc(res.nodes, func(n node) bool { return n.key == k })
}

// path returns a shortest path from node a to node b through identifiers
// both ends of each hop carry and allow, and through the asserted edges,
// or nil. Identifiers are tried in identifier order, then edges in pair
// order, and nodes in canonical order, so the path is deterministic.
func (res *resolution) path(a, b int, allow func(i int, id identity.Identifier) bool, edges []assertedEdge) []Hop {
	carriers := map[identity.Identifier][]int{}
	for i := range res.nodes {
		for _, id := range res.nodes[i].ids {
			if allow(i, id) {
				carriers[id] = append(carriers[id], i)
			}
		}
	}
	type step struct {
		prev int
		via  identity.Identifier
		link *Assertion
	}
	from := map[int]step{a: {prev: -1}}
	queue := []int{a}
	for len(queue) > 0 && !hasKey(from, b) {
		i := queue[0]
		queue = queue[1:]
		ids := slices.Clone(res.nodes[i].ids)
		slices.SortFunc(ids, compareIdentifier)
		for _, id := range ids {
			if !allow(i, id) {
				continue
			}
			for _, j := range carriers[id] {
				if !hasKey(from, j) {
					from[j] = step{prev: i, via: id}
					queue = append(queue, j)
				}
			}
		}
		for k := range edges {
			ed := &edges[k]
			j := ed.b
			if ed.b == i {
				j = ed.a
			} else if ed.a != i {
				continue
			}
			if !hasKey(from, j) {
				from[j] = step{prev: i, link: &ed.as}
				queue = append(queue, j)
			}
		}
	}
	if !hasKey(from, b) {
		return nil
	}
	var hops []Hop
	for j := b; j != a; j = from[j].prev {
		st := from[j]
		hops = append(hops, Hop{From: res.nodes[st.prev].key, To: res.nodes[j].key, Via: st.via, Link: st.link})
	}
	slices.Reverse(hops)
	return hops
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}
