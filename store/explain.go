package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

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
