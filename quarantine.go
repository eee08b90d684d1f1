package scv

import (
	"context"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// QuarantineFilter selects quarantine entries; an empty field selects
// any.
type QuarantineFilter struct {
	File   string          // the entry's file (the base name given to IngestOptions.File)
	Source string          // the entry's source
	Reason identity.Reason // the entry's reason
}

// RetrySummary is what [DB.RetryQuarantine] did: an import summary of the
// records run again, and how many selected entries kept no raw record to
// run (too large, unread, or refused after decoding: import their file
// again).
type RetrySummary struct {
	Summary
	NotKept int `json:"not_kept"`
}

// DropQuarantine removes the quarantine entries f selects (the zero filter
// selects all), with the raw records they keep, and returns how many it
// removed.
func (db *DB) DropQuarantine(ctx context.Context, f QuarantineFilter) (int, error) {
	n, err := db.s.DropQuarantine(ctx, store.QuarantineFilter(f))
	return n, wrap(err)
}

// RetryQuarantine runs the quarantined records f selects again after a
// fix (the right region or CSV mapping in opts; the source is each
// entry's): it decodes the raw records the quarantine kept, ingests what
// they yield and removes their entries in the same transaction. A record
// that fails again is quarantined again, once.
func (db *DB) RetryQuarantine(ctx context.Context, f QuarantineFilter, opts identity.Options) (RetrySummary, error) {
	s, err := db.s.RetryQuarantine(ctx, store.QuarantineFilter(f), opts)
	return RetrySummary{Summary: Summary(s.Summary), NotKept: s.NotKept}, wrap(err)
}
