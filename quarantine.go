package scv

import (
	"context"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// DropQuarantine removes the quarantine entries f selects (the zero filter
// selects all), with the raw records they keep, and returns how many it
// removed.
func (db *DB) DropQuarantine(ctx context.Context, f store.QuarantineFilter) (int, error) {
	return db.s.DropQuarantine(ctx, f)
}

// RetryQuarantine runs the quarantined records f selects again after a
// fix, decoding the raw records the quarantine kept with opts (the source
// is each entry's); see [store.Store.RetryQuarantine].
func (db *DB) RetryQuarantine(ctx context.Context, f store.QuarantineFilter, opts identity.Options) (store.RetrySummary, error) {
	return db.s.RetryQuarantine(ctx, f, opts)
}
