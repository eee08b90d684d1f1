package merge

import (
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// Detach takes the record with key k out of its profile. Without k the
// profile's records may fall apart; Detach adds a do-not-link pair between
// k and each record of the part holding most of them. Records that were
// in the profile only through k follow it. The component is then
// recomputed, and ids go as after any recomputation: the part holding
// most of the old profile's records keeps its id, and the others get ids
// from newID ([Change].Created). That is usually k's side, but not
// always: when k was a bridge between two parts of equal size, k's side
// (the other part and k) is the larger one and keeps the id, and the
// part k is kept apart from gets the new one. [Resolver.Reattach] undoes
// it. It returns [ErrNotFound] if no profile holds k.
func (r *Resolver) Detach(rd Reader, k identity.RecordKey, newID func() string, asOf time.Time) (*Change, error) {
	s, p, pl, err := r.startOn(rd, k, newID, asOf)
	if err != nil {
		return nil, err
	}
	if err := s.expand(pl); err != nil {
		return nil, err
	}
	nodes, _, err := s.load(pl)
	if err != nil {
		return nil, err
	}
	// An unmerge withdraws the assertions that joined k.
	for _, l := range pl.links() {
		if l.A == k || l.B == k {
			pl.delLinks = append(pl.delLinks, l.Pair())
		}
	}
	res := r.c.resolve(slices.DeleteFunc(nodes, func(n node) bool { return n.key == k }), pl.sticky, pl.pairs(), pl.links())
	best, bestN := -1, 0
	for i, part := range res.parts {
		n := 0
		for _, j := range part {
			if p.Holds(res.nodes[j].key) {
				n++
			}
		}
		if n > bestN || n == bestN && n > 0 && len(part) > len(res.parts[best]) {
			best, bestN = i, n
		}
	}
	if best < 0 {
		return &Change{NoOp: true}, nil // k is the profile's only record
	}
	for _, j := range res.parts[best] {
		if key := res.nodes[j].key; p.Holds(key) {
			pl.addPairs = append(pl.addPairs, newPair(k, key))
		}
	}
	return s.recompute(pl, newID, asOf)
}

// Separate says that records a and b are different people: it adds a
// do-not-link pair between them, kept on the profiles of both, and
// recomputes their component. Records that only a or b linked to the rest
// follow the side they link to. [Resolver.Relink] undoes it.
func (r *Resolver) Separate(rd Reader, a, b identity.RecordKey, newID func() string, asOf time.Time) (*Change, error) {
	return r.pair(rd, a, b, false, newID, asOf)
}

// Relink removes the do-not-link pair between records a and b and
// recomputes their component, undoing [Resolver.Separate]. It is a NoOp if
// there is no such pair.
func (r *Resolver) Relink(rd Reader, a, b identity.RecordKey, newID func() string, asOf time.Time) (*Change, error) {
	return r.pair(rd, a, b, true, newID, asOf)
}

func (r *Resolver) pair(rd Reader, a, b identity.RecordKey, remove bool, newID func() string, asOf time.Time) (*Change, error) {
	return r.both(rd, a, b, newID, asOf, func(pl *plan) {
		pr := newPair(a, b)
		if remove {
			pl.delPairs = []Pair{pr}
		} else {
			pl.addPairs = []Pair{pr}
			pl.delLinks = []Pair{pr}
		}
	})
}

// both recomputes the component of the records a and b after edit has
// changed the plan's constraints.
func (r *Resolver) both(rd Reader, a, b identity.RecordKey, newID func() string, asOf time.Time, edit func(*plan)) (*Change, error) {
	if err := checkCall(newID, asOf); err != nil {
		return nil, err
	}
	if a == b {
		return nil, fmt.Errorf("%w: record %s paired with itself", ErrInvalid, a)
	}
	s := newSession(r.c, rd)
	pa, err := s.mustHold(a)
	if err != nil {
		return nil, err
	}
	pb, err := s.mustHold(b)
	if err != nil {
		return nil, err
	}
	pl := newPlan()
	pl.include(pa)
	pl.include(pb)
	edit(pl)
	return s.recompute(pl, newID, asOf)
}

// Link says that records a and b are one person although no identifier
// joins them (an operator accepting a suggestion, or AutoLink above its
// probability): it removes a do-not-link pair between them, adds the
// assertion (a Links entry of the profile that holds both, naming by,
// probability and asOf), and recomputes their component. Assertions join
// after every identifier rule, so they override hubs and limits, but
// never a do-not-link pair between other records of the two sides.
// [Resolver.Unlink], or a [Resolver.Detach] of either record, withdraws
// it; [Resolver.ExplainPair] shows it.
func (r *Resolver) Link(rd Reader, a, b identity.RecordKey, by string, probability float64, newID func() string, asOf time.Time) (*Change, error) {
	if by == "" {
		return nil, fmt.Errorf("%w: a link names who asserts it", ErrInvalid)
	}
	if probability < 0 || probability > 1 {
		return nil, fmt.Errorf("%w: link probability %v outside [0, 1]", ErrInvalid, probability)
	}
	return r.both(rd, a, b, newID, asOf, func(pl *plan) {
		pr := newPair(a, b)
		pl.delPairs = []Pair{pr}
		pl.addLinks = []Assertion{{A: pr.A, B: pr.B, By: by, At: asOf.UTC(), Probability: probability}}
	})
}

// Unlink withdraws the assertion between records a and b and recomputes
// their component, undoing [Resolver.Link]. It is a NoOp if there is no
// such assertion.
func (r *Resolver) Unlink(rd Reader, a, b identity.RecordKey, newID func() string, asOf time.Time) (*Change, error) {
	return r.both(rd, a, b, newID, asOf, func(pl *plan) {
		pl.delLinks = []Pair{newPair(a, b)}
	})
}

// Reattach removes every do-not-link pair of the record with key k and
// recomputes the component, undoing [Resolver.Detach]: the record rejoins
// the profile its identifiers reach, and its detached profile id forwards
// to the survivor.
func (r *Resolver) Reattach(rd Reader, k identity.RecordKey, newID func() string, asOf time.Time) (*Change, error) {
	s, p, pl, err := r.startOn(rd, k, newID, asOf)
	if err != nil {
		return nil, err
	}
	for _, pr := range p.DoNotLink {
		other := pr.A
		switch k {
		case pr.A:
			other = pr.B
		case pr.B:
		default:
			continue
		}
		q, err := s.mustHold(other)
		if err != nil {
			return nil, err
		}
		pl.include(q)
		pl.delPairs = append(pl.delPairs, pr)
	}
	if len(pl.delPairs) == 0 {
		return &Change{NoOp: true}, nil
	}
	return s.recompute(pl, newID, asOf)
}

// Resolve recomputes the components of profiles from their records under
// the resolver's current options: the way to apply a changed limit, hub
// threshold or blocked value to profiles already stored. Hubs flagged
// before stay hubs. Components reached through shared identifiers are
// recomputed too.
func (r *Resolver) Resolve(rd Reader, profiles []*Profile, newID func() string, asOf time.Time) (*Change, error) {
	if err := checkCall(newID, asOf); err != nil {
		return nil, err
	}
	s := newSession(r.c, rd)
	pl := newPlan()
	for _, p := range profiles {
		if p == nil {
			return nil, fmt.Errorf("%w: nil profile", ErrInvalid)
		}
		pl.include(p)
	}
	if len(pl.olds) == 0 {
		return &Change{NoOp: true}, nil
	}
	return s.recompute(pl, newID, asOf)
}

// Refresh returns a copy of p with its time-dependent values (metrics,
// stage, risk, next refresh) recomputed as of asOf, from p alone, and
// whether its stage or risk changed. p is not modified.
func (r *Resolver) Refresh(p *Profile, asOf time.Time) (*Profile, bool, error) {
	if asOf.IsZero() {
		return nil, false, fmt.Errorf("%w: as-of time is zero", ErrInvalid)
	}
	q := p.Clone()
	r.c.finalize(q, asOf)
	return q, q.Stage != p.Stage || q.Risk != p.Risk, nil
}

// startOn begins a decision about the record with key k, for Detach and
// Reattach: it checks the call and returns a session, the profile that
// holds k and a plan that includes it. It returns [ErrNotFound] if no
// profile holds k.
func (r *Resolver) startOn(rd Reader, k identity.RecordKey, newID func() string, asOf time.Time) (*session, *Profile, *plan, error) {
	if err := checkCall(newID, asOf); err != nil {
		return nil, nil, nil, err
	}
	s := newSession(r.c, rd)
	p, err := s.mustHold(k)
	if err != nil {
		return nil, nil, nil, err
	}
	pl := newPlan()
	pl.include(p)
	return s, p, pl, nil
}

func (s *session) mustHold(k identity.RecordKey) (*Profile, error) {
	p, err := s.holder(k)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, k)
	}
	return p, nil
}

// Unseparate removes the do-not-link pairs given, each between two
// records of the stored profiles, and recomputes their component: the
// operator's word that the records may be one person after all, which
// undoes [Resolver.Detach] and [Resolver.Separate] for those pairs. The
// records rejoin only if an identifier links them. It is a NoOp when no
// pair is given. It returns [ErrNotFound] if no profile holds a record of
// a pair.
func (r *Resolver) Unseparate(rd Reader, pairs []Pair, newID func() string, asOf time.Time) (*Change, error) {
	if err := checkCall(newID, asOf); err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return &Change{NoOp: true}, nil
	}
	s := newSession(r.c, rd)
	pl := newPlan()
	for _, pr := range pairs {
		for _, k := range []identity.RecordKey{pr.A, pr.B} {
			p, err := s.mustHold(k)
			if err != nil {
				return nil, err
			}
			pl.include(p)
		}
		pl.delPairs = append(pl.delPairs, newPair(pr.A, pr.B))
	}
	return s.recompute(pl, newID, asOf)
}
