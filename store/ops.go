package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// decide runs a resolver decision in one transaction and writes its
// change.
func (s *Store) decide(ctx context.Context, fn func(t *txn) (*merge.Change, error)) (*merge.Change, error) {
	done, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	var c *merge.Change
	err = s.update(ctx, func(t *txn) error {
		if c, err = fn(t); err != nil {
			return err
		}
		return t.apply(c, nil)
	})
	if errors.Is(err, merge.ErrNotFound) {
		err = fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return c, err
}

// Detach takes a source record out of its profile, with a do-not-link
// against the profile's other records, so it stays apart: the operator's
// unmerge. The larger part keeps the profile id. [Store.Reattach] undoes
// it.
func (s *Store) Detach(ctx context.Context, k identity.RecordKey) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Detach(t, k, newProfileID, t.now)
	})
}

// Reattach undoes [Store.Detach].
func (s *Store) Reattach(ctx context.Context, k identity.RecordKey) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Reattach(t, k, newProfileID, t.now)
	})
}

// Separate says two source records are different people: a do-not-link
// between them, and their profile split accordingly. [Store.Relink] undoes
// it.
func (s *Store) Separate(ctx context.Context, a, b identity.RecordKey) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Separate(t, a, b, newProfileID, t.now)
	})
}

// Relink undoes [Store.Separate].
func (s *Store) Relink(ctx context.Context, a, b identity.RecordKey) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Relink(t, a, b, newProfileID, t.now)
	})
}

// Explain returns a profile (following forwards) and, for each of its
// records, the identifiers that link it to the others.
func (s *Store) Explain(ctx context.Context, id string) (*merge.Profile, []merge.RecordLinks, error) {
	p, err := s.ByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return p, s.resolver.Explain(p), nil
}

// ExplainPair says whether two source records are one profile, and why,
// or which rule keeps them apart.
func (s *Store) ExplainPair(ctx context.Context, a, b identity.RecordKey) (*merge.PairExplanation, error) {
	done, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	var e *merge.PairExplanation
	err = s.view(ctx, func(t *txn) error {
		e, err = s.resolver.ExplainPair(t, a, b)
		return err
	})
	if errors.Is(err, merge.ErrNotFound) {
		err = fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return e, err
}

// RefreshSummary counts what [Store.Refresh] did.
type RefreshSummary struct {
	Profiles int `json:"profiles"` // profiles read
	Changed  int `json:"changed"`  // profiles whose stage or risk changed
}

// Refresh recomputes the time-dependent values of every profile (stage,
// churn risk, windowed metrics) as of asOf and updates the stage index,
// page by page, each page in its own transaction. Profiles whose values
// cannot change between their own as-of time and asOf are skipped.
func (s *Store) Refresh(ctx context.Context, asOf time.Time) (RefreshSummary, error) {
	done, err := s.begin()
	if err != nil {
		return RefreshSummary{}, err
	}
	defer done()
	var sum RefreshSummary
	start := []byte{nsProfile}
	for {
		var n, changed int
		var next []byte
		err := s.update(ctx, func(t *txn) error {
			n, changed, next = 0, 0, nil
			for e, err := range t.tx.Scan([]byte{nsProfile}, start, true) {
				if err != nil {
					return err
				}
				if n == pageSize {
					next = append([]byte(nil), e.Key...)
					break
				}
				n++
				pid, err := profileIDFrom(e.Key[1:])
				if err != nil {
					return err
				}
				lp, err := t.profile(pid)
				if err != nil {
					return err
				}
				p := lp.p
				if !asOf.Before(p.AsOf) && (p.NextRefresh.IsZero() || asOf.Before(p.NextRefresh)) {
					continue
				}
				q, ch, err := s.resolver.Refresh(p, asOf)
				if err != nil {
					return err
				}
				lp.p = q
				t.touchProfile(lp)
				if ch {
					changed++
				}
			}
			return nil
		})
		if err != nil {
			return sum, err
		}
		sum.Profiles += n
		sum.Changed += changed
		if next == nil {
			return sum, nil
		}
		start = next
	}
}

// Maintain reclaims space held by overwritten and deleted values, if the
// engine needs to be asked ([Maintainer]); call it on a schedule of your
// choosing.
func (s *Store) Maintain(ctx context.Context) error {
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	if m, ok := s.kv.(Maintainer); ok {
		return m.Maintain(ctx)
	}
	return nil
}
