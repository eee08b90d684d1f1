package scv

import (
	"context"
	"iter"

	"github.com/scv-go/scv/store"
)

// Suggestion says that two profiles may be the same person although no
// identifier links them, with the evidence and a match probability; see
// [store.Suggestion].
type Suggestion = store.Suggestion

// SuggestOptions set the lowest probability reported and the largest block
// compared; the zero value means the defaults. See [store.SuggestOptions].
type SuggestOptions = store.SuggestOptions

// Suggest streams the pairs of profiles that may be the same person
// although no identifier links them (the same name and birthday with
// phones a digit or two apart, say), each pair once, with the evidence and
// a match probability of at least opts.MinProbability, estimated from the
// database itself (see [store.Store.Suggest]). It merges nothing: suggestions are
// for an operator to review. Pairs an operator separated are not
// suggested. See [store.Store.Suggest] for how candidates are found.
func (db *DB) Suggest(ctx context.Context, opts SuggestOptions) iter.Seq2[Suggestion, error] {
	return db.s.Suggest(ctx, opts)
}

// SuggestFor returns the profiles that may be the same person as the
// profile with the given id, most probable first. It returns [ErrNotFound]
// for an unknown id and [ErrErased] for an erased one.
func (db *DB) SuggestFor(ctx context.Context, id string, opts SuggestOptions) ([]Suggestion, error) {
	return db.s.SuggestFor(ctx, id, opts)
}

// AutoLinkOptions are the options of [DB.AutoLink].
type AutoLinkOptions struct {
	// MinProbability is the lowest match probability linked, above 0.5
	// and at most 1. It has no default: AutoLink is off unless a caller
	// chooses how sure it must be.
	MinProbability float64
	// MaxBlock is the largest block compared, as in [SuggestOptions]; 0
	// means the default.
	MaxBlock int
	// By names who made the links in explanations; "" means "auto".
	By string
}

// AutoLinkSummary counts what [DB.AutoLink] did.
type AutoLinkSummary struct {
	Suggested int // suggestions at MinProbability or more
	Linked    int // of them, links that joined two profiles
}

// AutoLink links every pair of profiles that [DB.Suggest] scores at
// opts.MinProbability or more, most probable first: each link is an
// assertion naming opts.By and the probability, which explain shows
// ("linked by auto (p=0.995)"). Every link is reversible: an unmerge of
// either record ([DB.Unmerge]) withdraws it. Assertions join after every
// identifier rule, so a link overrides hubs and limits but never a
// do-not-link an operator set.
func (db *DB) AutoLink(ctx context.Context, opts AutoLinkOptions) (AutoLinkSummary, error) {
	s, err := db.s.AutoLink(ctx, store.AutoLinkOptions(opts))
	return AutoLinkSummary(s), err
}
