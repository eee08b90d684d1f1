package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/scv-go/scv/identity"
)

// BulkSource is one input of [Store.BulkLoad]: the records a decoder
// yields ([identity.Decode]) and the input's name for quarantine entries
// (a base name, no personal data), as in [IngestOptions].File.
type BulkSource struct {
	File    string
	Records iter.Seq2[identity.Record, error]
}

// BulkPhase names a phase of [Store.BulkLoad].
type BulkPhase string

// The phases of a bulk load, in order.
const (
	BulkDecode  BulkPhase = "decode"  // reading the sources and grouping records
	BulkResolve BulkPhase = "resolve" // resolving each group and sealing its profiles
	BulkWrite   BulkPhase = "write"   // writing the database
	// BulkIngest is the phase of a bulk load into a database that is not
	// empty, or on an engine that cannot bulk-write: batched incremental
	// ingest, with Done the records read so far.
	BulkIngest BulkPhase = "ingest"
)

// BulkProgress is what [BulkOptions].Progress is told: the phase, and how
// many of its units (records, or key-value pairs when writing) are done
// out of Total (0 while unknown).
type BulkProgress struct {
	Phase       BulkPhase
	Done, Total int
}

// DefaultBulkMemoryMiB is BulkOptions.MemoryMiB when it is not set.
const DefaultBulkMemoryMiB = 128

// BulkOptions configure [Store.BulkLoad]. The zero value is the default.
type BulkOptions struct {
	// MemoryMiB bounds the memory the load holds its records, groups and
	// the database it builds in, in MiB; default [DefaultBulkMemoryMiB].
	// Beyond a sixth of it each of them (the records read, the pairs
	// that group them, the records sorted by group, the database built)
	// is sorted in runs in TempDir, so that only 4 bytes a record stay
	// in memory whatever the number of records; a load stops with
	// [ErrBulkMemory] before writing anything only if one group of
	// records, resolved at once, does not fit, or those 4 bytes a record
	// take most of the bound (the default is enough for about 20 million
	// records). (The engine's own memory comes on top.)
	MemoryMiB int
	// Workers is how many goroutines decode and resolve; default
	// GOMAXPROCS.
	Workers int
	// Progress, if set, is called from the loading goroutines (one call
	// at a time) as the load advances. It must not use the store: while
	// the load writes, the store's reads wait for it.
	Progress func(BulkProgress)
	// TempDir is where the load spills its records and sorted runs once
	// they pass their share of MemoryMiB; "" is the system's temporary
	// directory. Every file is sealed under a key that lives only in the
	// load's memory, and removed when the load returns; the disk they
	// take peaks at about twice the records' encodings plus the database.
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

// ErrBulkMemory is returned by [Store.BulkLoad] when the load needs more
// memory than [BulkOptions].MemoryMiB: one group of records (records
// linked by identifiers, resolved at once) does not fit in it; nothing
// was written. Raise the bound, or load the sources with
// [Store.IngestAll].
var ErrBulkMemory = errors.New("store: bulk load needs more memory than BulkOptions.MemoryMiB allows")

// BulkLoad loads sources into the store, for the first load of a brand's
// history. Into an empty store on an engine that can bulk-write (Badger,
// [BulkWriter]) it decodes every source in parallel, groups the records
// into connected components over their identifiers, record keys and
// referrer phones, resolves each component with the rules, resolver and
// transaction code of [Store.IngestAll] (so the profiles, stages,
// metrics, indexes and quarantine are those an incremental ingest of the
// same records gives, ids aside), seals each profile once, and writes
// the whole database in one sorted stream. Nothing is written until
// every component is resolved; if ctx is cancelled or the load fails,
// the store is left as it was. Other writers of the store wait until it
// returns.
//
// Into a store that holds profiles, quarantine entries or anything but
// its metadata, or on an engine that cannot bulk-write (PostgreSQL), it
// ingests each source in turn with [Store.IngestAll] in large batches,
// merging with what the store holds; a cancellation then stops after the
// last committed batch, as IngestAll does.
//
// The summary reconciles as IngestAll's does: Read = Accepted +
// quarantined. A group resolved at once makes its profiles once: they
// count as created, none as merged, and a version that links two
// profiles counts as updated.
//
// Into an empty Badger store the load's reads and writes of other
// goroutines wait while it writes, however long that takes (11-13 s
// for 1,000,000 records): Badger's StreamWriter deadlocks beside read
// transactions.
func (s *Store) BulkLoad(ctx context.Context, sources []BulkSource, opts BulkOptions) (Summary, error) {
	done, err := s.begin()
	if err != nil {
		return Summary{}, err
	}
	defer done()
	if opts.MemoryMiB <= 0 {
		opts.MemoryMiB = DefaultBulkMemoryMiB
	}
	if opts.GoMemoryLimitMiB > 0 && os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(opts.GoMemoryLimitMiB) << 20))
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Progress != nil {
		var mu sync.Mutex
		p := opts.Progress
		opts.Progress = func(bp BulkProgress) { mu.Lock(); defer mu.Unlock(); p(bp) }
	}
	if bw, ok := s.kv.(BulkWriter); ok {
		s.wmu.Lock()
		meta, empty, err := s.metaOnly(ctx)
		if err == nil && empty {
			defer s.wmu.Unlock()
			b := &bulkLoad{s: s, opts: opts, meta: meta, seed: maphash.MakeSeed()}
			return b.run(ctx, bw, sources)
		}
		s.wmu.Unlock()
		if err != nil {
			return Summary{}, err
		}
	}
	return s.bulkIncremental(ctx, sources, opts)
}

// bulkBatch is the batch size of a bulk load that ingests incrementally.
const bulkBatch = 4 * DefaultBatchSize

// bulkIncremental is BulkLoad into a store that is not empty: each source
// through IngestAll, in large batches.
func (s *Store) bulkIncremental(ctx context.Context, sources []BulkSource, opts BulkOptions) (Summary, error) {
	total := newSummary()
	for _, src := range sources {
		base := total.Read
		io := IngestOptions{File: src.File, BatchSize: bulkBatch}
		if opts.Progress != nil {
			io.Progress = func(sum Summary) { opts.Progress(BulkProgress{Phase: BulkIngest, Done: base + sum.Read}) }
		}
		sum, err := s.IngestAll(ctx, expandAll(src.Records), io)
		total.Add(sum)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// expand appends to dst the records the store ingests for one decoded
// record: every record of a bulk load passes through it before it is
// grouped, so that records derived from another (a gift order's receiver)
// are grouped with the rest.
func expand(dst []identity.Record, rec identity.Record) []identity.Record {
	return append(dst, rec)
}

// expandAll is seq with every record passed through expand.
func expandAll(seq iter.Seq2[identity.Record, error]) iter.Seq2[identity.Record, error] {
	return func(yield func(identity.Record, error) bool) {
		var buf []identity.Record
		for rec, err := range seq {
			if err != nil {
				if !yield(rec, err) {
					return
				}
				continue
			}
			buf = expand(buf[:0], rec)
			for _, r := range buf {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// metaOnly reports whether the engine holds nothing but the store's
// metadata (M keys), and returns those pairs.
func (s *Store) metaOnly(ctx context.Context) (map[string][]byte, bool, error) {
	meta := map[string][]byte{}
	empty := true
	err := s.kv.View(ctx, func(tx Txn) error {
		for e, err := range tx.Scan(nil, nil, false) {
			if err != nil {
				return err
			}
			if e.Key[0] != nsMeta {
				empty = false
				return nil
			}
			meta[string(e.Key)] = bytes.Clone(e.Value)
		}
		return nil
	})
	return meta, empty, err
}

// metaTxn is the read side of a bulk load's transactions: the store's
// metadata, and nothing else. It is safe for concurrent reads.
type metaTxn map[string][]byte

var _ Txn = metaTxn(nil)

// errBulkNotFound is what a bulk load's snapshot answers for a key it
// does not hold: made once, for the resolvers ask for many keys that do
// not exist.
var errBulkNotFound = fmt.Errorf("store: bulk load: %w", ErrKeyNotFound)

func (m metaTxn) Get(key []byte) ([]byte, error) {
	if v, ok := m[string(key)]; ok {
		return v, nil
	}
	return nil, errBulkNotFound
}

func (m metaTxn) Set(key, value []byte) error {
	return errors.New("store: bulk load: write to its snapshot")
}
func (m metaTxn) Delete(key []byte) error {
	return errors.New("store: bulk load: write to its snapshot")
}

func (m metaTxn) Scan(prefix, start []byte, keysOnly bool) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			if bytes.HasPrefix([]byte(k), prefix) && (start == nil || k >= string(start)) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			e := Entry{Key: []byte(k)}
			if !keysOnly {
				e.Value = m[k]
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}
