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
