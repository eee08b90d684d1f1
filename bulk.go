package scv

import (
	"context"
	"iter"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// BulkSource is one input of [DB.BulkLoad]: the records an adapter
// yields ([identity.Decode]) and the input's name for quarantine entries
// (a base name, no personal data), as in [IngestOptions].File.
type BulkSource struct {
	File    string
	Records iter.Seq2[identity.Record, error]
}

// BulkPhase names a phase of [DB.BulkLoad].
type BulkPhase string

// The phases of a bulk load, in order.
const (
	BulkDecode  BulkPhase = "decode"  // reading the sources and grouping records
	BulkResolve BulkPhase = "resolve" // resolving each group and sealing its profiles
	BulkWrite   BulkPhase = "write"   // writing the database
	// BulkIngest is the one phase of a bulk load into a database that is
	// not empty, or on PostgreSQL: batched incremental ingest.
	BulkIngest BulkPhase = "ingest"
)

// BulkProgress is what [BulkOptions].Progress is told: the phase, and how
// many of its units (records, or key-value pairs when writing) are done
// out of Total (0 while unknown).
type BulkProgress struct {
	Phase       BulkPhase
	Done, Total int
}

// BulkOptions configure [DB.BulkLoad]. The zero value is the default.
type BulkOptions struct {
	// MemoryMiB bounds the memory the load holds its records, groups and
	// the database it builds in, in MiB; default 128. Beyond it they are
	// sorted on disk in TempDir, so that only 4 bytes a record stay in
	// memory; a load stops with [ErrBulkMemory] before writing anything
	// only if one group of linked records does not fit. The engine's
	// memory (see [MemoryOptions]) comes on top.
	MemoryMiB int
	// Workers is how many goroutines decode and resolve; default
	// GOMAXPROCS.
	Workers int
	// Progress, if set, is called (one call at a time) as the load
	// advances. It must not use the database: while the load writes, its
	// reads wait for it.
	Progress func(BulkProgress)
	// TempDir is where the load spills its records and sorted runs; ""
	// is the system's temporary directory. Every file is sealed under a
	// key that lives only in the load's memory, and removed when the
	// load returns.
	TempDir string
	// GoMemoryLimitMiB, if positive and the GOMEMLIMIT environment
	// variable sets no limit, is the Go runtime's soft memory limit
	// (runtime/debug.SetMemoryLimit) while the load runs; the previous
	// limit is restored when it returns. Without one the garbage
	// collector lets the heap grow to about twice what the load holds.
	// The limit costs little CPU: Badger's StreamWriter writes on a
	// database opened with small tables, so the Go heap stays well under
	// the default of 400 MiB (at 1,000,000 records 600 MiB was 3% faster
	// and took 532 MiB of own memory against 379-397). The limit is the
	// whole process's: set it where the process does the load alone, as
	// scv import --bulk does ([DefaultBulkGoMemoryLimitMiB]).
	GoMemoryLimitMiB int
}

// DefaultBulkGoMemoryLimitMiB is the [BulkOptions].GoMemoryLimitMiB that
// scv import --bulk sets: the load's own memory peaked at 379-398 MiB at
// 1,000,000 records and 421 MiB at 10,000,000 on 2 cores.
const DefaultBulkGoMemoryLimitMiB = 400

// BulkLoad loads sources, for the first load of a brand's history: much
// faster than [DB.IngestAll] into an empty database, with the same
// profiles, stages, metrics and quarantine as ingesting the records one by
// one (profile ids aside). Into an empty Badger database it decodes the
// sources in parallel, groups records that share an identifier, a record
// key or a referrer, resolves each group once, seals each profile once
// and writes the whole database in one sorted stream; nothing is written
// until every group is resolved, and a cancelled or failed load leaves the
// database as it was. Into a database that holds data, or on PostgreSQL,
// it ingests each source in turn as IngestAll does, in large batches,
// merging with what is there. Other writers wait until it returns.
//
// While the load writes an empty database, other reads and writes of
// the database wait for it.
//
// The summary reconciles as IngestAll's does: Read = Accepted +
// quarantined. A group resolved at once makes its profiles once: they
// count as created, none as merged, and a version that links two
// profiles counts as updated.
func (db *DB) BulkLoad(ctx context.Context, opts BulkOptions, sources ...BulkSource) (Summary, error) {
	ss := make([]store.BulkSource, len(sources))
	for i, src := range sources {
		ss[i] = store.BulkSource(src)
	}
	so := store.BulkOptions{MemoryMiB: opts.MemoryMiB, Workers: opts.Workers, TempDir: opts.TempDir, GoMemoryLimitMiB: opts.GoMemoryLimitMiB}
	if opts.Progress != nil {
		so.Progress = func(p store.BulkProgress) {
			opts.Progress(BulkProgress{Phase: BulkPhase(p.Phase), Done: p.Done, Total: p.Total})
		}
	}
	sum, err := db.s.BulkLoad(ctx, ss, so)
	return Summary(sum), wrap(err)
}
