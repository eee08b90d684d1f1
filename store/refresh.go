package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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
