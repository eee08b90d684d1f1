package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Link says that the source records a and b are one person although no
// identifier joins them: an operator accepting a suggestion. It removes a
// do-not-link pair between them, keeps the assertion (who: by) on the
// profile, and recomputes their component (see [merge.Resolver.Link]).
// [Store.Unlink] undoes it, and an unmerge ([Store.Detach]) of either
// record withdraws it.
func (s *Store) Link(ctx context.Context, a, b identity.RecordKey, by string) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Link(t, a, b, by, 0, newProfileID, t.asOf)
	})
}

// Unlink withdraws the assertion between records a and b, undoing
// [Store.Link].
func (s *Store) Unlink(ctx context.Context, a, b identity.RecordKey) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		return s.resolver.Unlink(t, a, b, newProfileID, t.asOf)
	})
}

// LinkProfiles links the profiles with ids a and b (forwarded ids are
// followed) through the first record of each, in record-key order: what
// accepting a suggestion does. probability is the suggestion's, or 0 for
// an operator's own judgement. The change feed gets an [EventLinked]
// naming by.
func (s *Store) LinkProfiles(ctx context.Context, a, b, by string, probability float64) (*merge.Change, error) {
	return s.decide(ctx, func(t *txn) (*merge.Change, error) {
		p, err := t.byIDString(a)
		if err != nil {
			return nil, err
		}
		q, err := t.byIDString(b)
		if err != nil {
			return nil, err
		}
		if p.ID == q.ID {
			return &merge.Change{NoOp: true}, nil
		}
		c, err := s.resolver.Link(t, p.Records[0].Key, q.Records[0].Key, by, probability, newProfileID, t.asOf)
		if err != nil || c.NoOp {
			return c, err
		}
		survivor := p.ID
		for _, np := range c.Profiles {
			if np.Holds(p.Records[0].Key) {
				survivor = np.ID
				break
			}
		}
		t.events = append(t.events, Event{Time: t.now, Kind: EventLinked, Profile: survivor, Other: q.ID, Actor: by})
		return c, nil
	})
}

// AutoLinkOptions are the options of [Store.AutoLink].
type AutoLinkOptions struct {
	// MinProbability is the lowest match probability linked, above 0.5
	// and at most 1. It has no default: AutoLink is off unless a caller
	// chooses how sure it must be.
	MinProbability float64
	// MaxBlock is passed to [Store.Suggest]; 0 means [DefaultMaxBlock].
	MaxBlock int
	// By names the assertions; "" means "auto".
	By string
}

// AutoLinkSummary counts what [Store.AutoLink] did.
type AutoLinkSummary struct {
	Suggested int // suggestions at MinProbability or more
	Linked    int // of them, links that joined two profiles
}

// ErrBadAutoLinkOptions is returned by [Store.AutoLink] for options out of
// range.
var ErrBadAutoLinkOptions = errors.New("store: bad auto-link options")

// AutoLink links every pair of profiles [Store.Suggest] scores at
// opts.MinProbability or more, most probable first, as [Store.LinkProfiles]
// does, naming opts.By and the probability on each assertion. Each link
// is its own transaction: an error leaves the links made so far, and
// every one is reversible (an unmerge of either record, or
// [Store.Unlink]) and shown by explain.
func (s *Store) AutoLink(ctx context.Context, opts AutoLinkOptions) (AutoLinkSummary, error) {
	var sum AutoLinkSummary
	if !(opts.MinProbability > 0.5 && opts.MinProbability <= 1) {
		return sum, fmt.Errorf("%w: MinProbability %v, want above 0.5 and at most 1", ErrBadAutoLinkOptions, opts.MinProbability)
	}
	if opts.By == "" {
		opts.By = "auto"
	}
	var sgs []Suggestion
	for sg, err := range s.Suggest(ctx, SuggestOptions{MinProbability: opts.MinProbability, MaxBlock: opts.MaxBlock}) {
		if err != nil {
			return sum, err
		}
		sgs = append(sgs, sg)
	}
	sum.Suggested = len(sgs)
	for _, sg := range sgs {
		ch, err := s.LinkProfiles(ctx, sg.A, sg.B, opts.By, sg.Probability)
		if errors.Is(err, ErrErased) {
			continue // erased since the suggestion was made
		}
		if err != nil {
			return sum, err
		}
		if !ch.NoOp {
			sum.Linked++
		}
	}
	return sum, nil
}
