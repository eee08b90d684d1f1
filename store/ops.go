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
		return s.resolver.Detach(t, k, newProfileID, t.asOf)
	})
}

// Reattach undoes [Store.Detach].
func (s *Store) Reattach(ctx context.Context, k identity.RecordKey) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Reattach(t, k, newProfileID, t.asOf)
	})
}

// Separate says two source records are different people: a do-not-link
// between them, and their profile split accordingly. [Store.Relink] undoes
// it.
func (s *Store) Separate(ctx context.Context, a, b identity.RecordKey) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Separate(t, a, b, newProfileID, t.asOf)
	})
}

// Relink undoes [Store.Separate].
func (s *Store) Relink(ctx context.Context, a, b identity.RecordKey) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Relink(t, a, b, newProfileID, t.asOf)
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
	var e *merge.PairExplanation
	err := s.read(ctx, func(t *txn) error {
		var err error
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
	Profiles  int `json:"profiles"`          // profiles in the store
	Refreshed int `json:"refreshed"`         // profiles recomputed
	Changed   int `json:"changed"`           // of those, profiles whose stage or risk changed
	Damaged   int `json:"damaged,omitempty"` // profiles due that cannot be opened, left as they were
}

// Refresh recomputes the time-dependent values (stage, churn risk,
// windowed metrics) of every profile as of asOf, and updates the stage
// index. It reads the stage index, which records each profile's as-of time
// and when its values next change, and opens only the profiles that are
// due: those whose values change by asOf, and those computed for a later
// time than asOf. It works page by page, each page in its own transaction.
func (s *Store) Refresh(ctx context.Context, asOf time.Time) (RefreshSummary, error) {
	done, err := s.begin()
	if err != nil {
		return RefreshSummary{}, err
	}
	defer done()
	var sum RefreshSummary
	start := []byte{nsStage}
	for start != nil {
		var page RefreshSummary
		var next []byte
		err := s.update(ctx, func(t *txn) error {
			page, next = RefreshSummary{}, nil
			for e, err := range t.tx.Scan([]byte{nsStage}, start, false) {
				if err != nil {
					return err
				}
				if page.Refreshed == pageSize {
					next = append([]byte(nil), e.Key...)
					break
				}
				page.Profiles++
				if sm, err := decodeSummary(e.Value); err != nil || !sm.due(asOf) {
					continue
				}
				pid, err := profileIDFrom(e.Key[2:])
				if err != nil {
					return err
				}
				lp, err := t.profile(pid)
				if errors.Is(err, ErrDamaged) {
					page.Damaged++ // listings and Verify name it
					continue
				}
				if err != nil {
					return err
				}
				if lp == nil || lp.p == nil {
					return fmt.Errorf("store: stage index points at missing profile %v", pid)
				}
				q, changed, err := s.resolver.Refresh(lp.p, asOf)
				if err != nil {
					return err
				}
				lp.p = q
				t.touchProfile(lp)
				page.Refreshed++
				if changed {
					page.Changed++
				}
			}
			return nil
		})
		if err != nil {
			return sum, err
		}
		sum.Profiles += page.Profiles
		sum.Refreshed += page.Refreshed
		sum.Changed += page.Changed
		sum.Damaged += page.Damaged
		start = next
	}
	return sum, nil
}

// Maintain finishes what a restore or erasures that a crash or an engine
// error interrupted still owe (erasures to apply again, journal lines,
// purges; as Open does), then
// reclaims space held by
// overwritten and deleted values, if the engine needs to be asked
// ([Maintainer]); call it on a schedule of your choosing.
func (s *Store) Maintain(ctx context.Context) error {
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	if _, err := s.finishRestore(ctx); err != nil {
		return err
	}
	if _, err := s.finishErasures(ctx); err != nil {
		return err
	}
	if m, ok := s.kv.(Maintainer); ok {
		// Value-log GC rewrites values, and Badger refuses writes while
		// a purge runs: it is a writer like the others.
		s.wmu.RLock()
		defer s.wmu.RUnlock()
		return m.Maintain(ctx)
	}
	return nil
}
