package store

import (
	"context"
	"errors"
	"fmt"

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
		return t.apply(c)
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
