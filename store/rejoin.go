package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/scv-go/scv/merge"
)

// EventLinked is the change-feed event of [Store.Rejoin]: Profile is the
// profile that holds the two sides afterwards (or the first side, when
// no identifier joins them), Other the second side's profile id as the
// operator gave it, Actor who linked them.
const EventLinked EventKind = "linked"

// Rejoin is the operator's word that two profiles may be one person after
// all: it removes every do-not-link pair between a record of the profile
// with id a and a record of the profile with id b (forwards followed),
// which undoes [Store.Detach] and [Store.Separate] between them, and
// recomputes their component in one transaction. The two rejoin when an
// identifier links them. The change feed gets an [EventLinked] naming
// actor (who decided; not personal data of a customer), stamped with the
// time. It returns a NoOp change, and no event, when no do-not-link pair
// keeps the two apart, and [ErrNotFound] or [ErrErased] for an id that
// names no live profile.
func (s *Store) Rejoin(ctx context.Context, a, b, actor string) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		pa, err := t.byIDString(a)
		if err != nil {
			return nil, err
		}
		pb, err := t.byIDString(b)
		if err != nil {
			return nil, err
		}
		var pairs []merge.Pair
		for _, pr := range pa.DoNotLink {
			if pa.Holds(pr.A) && pb.Holds(pr.B) || pa.Holds(pr.B) && pb.Holds(pr.A) {
				pairs = append(pairs, pr)
			}
		}
		c, err := s.resolver.Unseparate(t, pairs, newProfileID, t.asOf)
		if err != nil || c.NoOp {
			return c, err
		}
		survivor := pa.ID
		for _, p := range c.Profiles {
			if slices.ContainsFunc(pa.Records, func(r merge.RecordRef) bool { return p.Holds(r.Key) }) {
				survivor = p.ID
				break
			}
		}
		t.events = append(t.events, Event{Time: t.now, Kind: EventLinked, Profile: survivor, Other: pb.ID, Actor: actor})
		return c, nil
	})
}

// byIDString returns the live profile with id s, following forwards.
func (t *txn) byIDString(s string) (*merge.Profile, error) {
	pid, err := ParseProfileID(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return t.byID(pid)
}
