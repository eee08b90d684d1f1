package store

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"math"
	"sync"
	"sync/atomic"

	"github.com/scv-go/scv/identity"
)

// bulkLoad is one [Store.BulkLoad] into an empty store: decode and group,
// resolve each group, write the sorted result in one stream.
type bulkLoad struct {
	s    *Store
	opts BulkOptions
	meta metaTxn // the store's metadata: what the engine holds
	seed maphash.Seed

	files []string
	// parent is the union-find forest of the records read, in the order
	// the decoders delivered them (a record's number is its index): the
	// one thing the load holds per record. After unite, each record's
	// parent is its component's root, its first record.
	parent []int32
	// recs are the first records read, held in memory up to the budget;
	// every later one goes to the records file through recW.
	recs     []bulkRec
	recBytes int64
	recW     *blockWriter
	// pairs are the (grouping key, record) pairs not yet in a sorted run
	// of pairRuns.
	pairs    []bulkPair
	pairRuns []*spillFile
	// quarantine holds the writes of the quarantine entries kept so far
	// (spilled as runs past the budget) and their counts; qmu guards it.
	qmu        sync.Mutex
	quarantine *bulkQuarantine
	// held is the bytes the load holds: the forest, the records and pairs
	// in memory, the records of the jobs being resolved, the buffers of
	// the spill files it reads and writes. The writes held beside it are
	// counted by resolve.
	held atomic.Int64
	// forest is the bytes of parent's array, for budget: the decoders
	// ask for it too.
	forest atomic.Int64
	runs   bulkRuns
}

// bulkRec is one record on its way to resolution: appendRecord's
// encoding, its number in the order the decoders delivered it (its
// index in the forest), its source, its position in the source's records
// and its line.
type bulkRec struct {
	enc  []byte
	seq  int32
	src  int32
	pos  int32
	line int32
}

// bulkQuarantine is the quarantine entries a bulk load keeps, as
// IngestAll does: their writes, in a transaction of their own, and
// their counts.
type bulkQuarantine struct {
	ws    *writeSet
	t     *txn
	bytes int64 // of ws's writes
	sum   Summary
}

// bulkPrepared is a record a decoding worker has encoded, with its
// grouping keys.
type bulkPrepared struct {
	rec  bulkRec
	keys []uint64
}

// Per-item memory a bulk load counts beside the bytes it holds: a record's
// slot, an output pair's slot.
const (
	bulkRecOverhead  = 48
	bulkPairOverhead = 64
	// bulkChunk is how many records travel together between goroutines;
	// bulkJob how many records (at least, whole groups) one resolving
	// transaction takes, as a batch of IngestAll does.
	bulkChunk = 256
	bulkJob   = DefaultBatchSize
)

func (b *bulkLoad) limit() int64 { return int64(b.opts.MemoryMiB) << 20 }

// writeFanIn is how many runs of writes the write merges at once. By
// then the load holds only the writes not spilled (outBytes), so the
// merge may take the rest of the bound rather than a budget's share: at
// 10,000,000 records and the default bound the writes spill about a
// thousand runs, five times a budget's fan-in, and merging them in
// passes first rewrote all of them once more. Tests that set a small
// budget get its fan-in, so that the passes run.
func (b *bulkLoad) writeFanIn(outBytes int64) int {
	if b.s.bulkSpill > 0 {
		return b.fanIn()
	}
	return min(max(3, int((b.limit()-b.held.Load()-outBytes)/runReaderCost)), b.fileFanIn())
}

// fileFanIn is how many spill files one merge may hold open: half the
// process's limit on open files (Go raises it to the hard limit), the
// other half left to the engine's files and the rest of the process.
// Where the limit is 1,024, a load of 100,000,000 records merges its
// ten thousand runs of writes in passes rather than failing with EMFILE.
func (b *bulkLoad) fileFanIn() int {
	n := b.s.bulkFileLimit
	if n == 0 {
		n = openFileLimit()
	}
	return max(3, n/2)
}

// budget is the bytes of each thing the load holds in memory past which
// it spills them to disk (records read, grouping pairs, quarantine
// entries, records sorted by component, writes) or waits (records being
// resolved): a sixth of what the forest leaves of the bound, so that
// four of them at once and the files' buffers fit, but in tests.
func (b *bulkLoad) budget() int64 {
	if b.s.bulkSpill > 0 {
		return b.s.bulkSpill
	}
	return max(64<<10, (b.limit()-b.forest.Load())/6)
}

func (b *bulkLoad) progress(p BulkPhase, done, total int) {
	if b.opts.Progress != nil {
		b.opts.Progress(BulkProgress{Phase: p, Done: done, Total: total})
	}
}

func (b *bulkLoad) run(ctx context.Context, bw BulkWriter, sources []BulkSource) (Summary, error) {
	for _, src := range sources {
		b.files = append(b.files, src.File)
	}
	b.runs.dir, b.runs.spills, b.runs.compacted, b.runs.openPeak = b.opts.TempDir, &b.s.bulkSpills, &b.s.bulkCompacted, &b.s.bulkOpenPeak
	b.held.Store(2 * runReaderCost) // the records file's writer and a pair run's
	var err error
	if b.runs.sealer, err = newBulkSealer(); err != nil {
		return Summary{}, fmt.Errorf("store: bulk load: %w", err)
	}
	defer b.runs.close()
	if err := b.decode(ctx, sources); err != nil {
		return Summary{}, err
	}
	out, sum, err := b.resolve(ctx)
	if err != nil {
		return Summary{}, err
	}
	b.parent = nil
	b.held.Add(-b.forest.Swap(0))
	if err := b.write(ctx, bw, out); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// decode reads every source, one goroutine per source and up to Workers
// at a time; Workers more encode the records and hash their grouping
// keys; this goroutine groups them.
func (b *bulkLoad) decode(ctx context.Context, sources []BulkSource) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type chunk struct {
		recs  []identity.Record
		src   int32
		first int32 // the position of recs[0] in its source
	}
	raws := make(chan chunk, b.opts.Workers)
	preps := make(chan []bulkPrepared, b.opts.Workers)
	var srcs sync.WaitGroup
	sem := make(chan struct{}, b.opts.Workers)
	send := func(c chunk) bool {
		select {
		case raws <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for i, src := range sources {
		srcs.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			var recs []identity.Record
			var pos int32
			for rec, err := range src.Records {
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					var re *identity.RecordError
					if !errors.As(err, &re) {
						cancel(fmt.Errorf("store: bulk load: %s: %w", src.File, err))
						return
					}
					if err := b.keepQuarantined(i, re); err != nil {
						cancel(err)
						return
					}
					continue
				}
				recs = expand(recs, rec)
				if len(recs) >= bulkChunk {
					if !send(chunk{recs, int32(i), pos}) {
						return
					}
					pos += int32(len(recs))
					recs = nil
				}
			}
			if len(recs) > 0 {
				send(chunk{recs, int32(i), pos})
			}
		})
	}
	go func() { srcs.Wait(); close(raws) }()
	var workers sync.WaitGroup
	for range b.opts.Workers {
		workers.Go(func() {
			for c := range raws {
				out := make([]bulkPrepared, len(c.recs))
				for j := range c.recs {
					rec := &c.recs[j]
					enc, err := appendRecord(nil, rec)
					if err != nil {
						cancel(fmt.Errorf("store: bulk load: %s: record %s: %w", b.files[c.src], rec.ID, err))
						return
					}
					out[j] = bulkPrepared{rec: bulkRec{enc: enc, src: c.src, pos: c.first + int32(j), line: int32(rec.Line)}, keys: b.groupKeys(rec)}
				}
				select {
				case preps <- out:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { workers.Wait(); close(preps) }()
	for ps := range preps {
		if ctx.Err() != nil {
			continue // drain
		}
		for i := range ps {
			if err := b.add(&ps[i]); err != nil {
				cancel(err)
				break
			}
		}
		if b.held.Load() > b.limit() {
			cancel(ErrBulkMemory)
		}
		b.progress(BulkDecode, len(b.parent), 0)
	}
	return context.Cause(ctx)
}

// groupKeys returns the hashes of what groups rec with other records: its
// record key (versions of one source record), its identifiers (receivers
// among them: resolution decides whether they link) and the phones of its
// referrers (whose profiles its credits reach). The hashes are keyed by a
// seed of this load and never leave memory; two values sharing a hash
// only put two groups into one, which costs nothing but parallelism.
func (b *bulkLoad) groupKeys(rec *identity.Record) []uint64 {
	keys := make([]uint64, 0, 1+len(rec.Identifiers)+len(rec.Referrals))
	var h maphash.Hash
	h.SetSeed(b.seed)
	_ = h.WriteByte(nsRecord)
	_, _ = h.Write(recordValue(rec.Key()))
	keys = append(keys, h.Sum64())
	id := func(id identity.Identifier) {
		h.Reset()
		_ = h.WriteByte(nsIdentifier)
		_ = h.WriteByte(byte(id.Kind))
		_, _ = h.Write(identifierValue(id))
		keys = append(keys, h.Sum64())
	}
	for _, x := range rec.Identifiers {
		id(x)
	}
	for _, x := range rec.Receivers {
		id(x)
	}
	for _, ref := range rec.Referrals {
		if !ref.Referrer.IsZero() {
			id(identity.Identifier{Kind: identity.KindPhone, Value: ref.Referrer.String()})
		}
	}
	return keys
}

// add takes a prepared record: a number, a root of its own, its
// encoding in memory or in the records file, its pairs.
func (b *bulkLoad) add(p *bulkPrepared) error {
	if len(b.parent) == math.MaxInt32 {
		return fmt.Errorf("store: bulk load: more than %d records", math.MaxInt32)
	}
	i := int32(len(b.parent))
	c := cap(b.parent)
	b.parent = append(b.parent, i)
	b.held.Add(int64(cap(b.parent)-c) * 4)
	b.forest.Store(int64(cap(b.parent)) * 4)
	p.rec.seq = i
	if n := int64(len(p.rec.enc)) + bulkRecOverhead; b.recW == nil && b.recBytes+n <= b.budget() {
		b.recs = append(b.recs, p.rec)
		b.recBytes += n
		b.held.Add(n)
	} else if err := b.spillRecord(&p.rec); err != nil {
		return err
	}
	most := max(1, int(b.budget()/bulkPairSize))
	for _, k := range p.keys {
		if len(b.pairs) == cap(b.pairs) {
			if len(b.pairs) >= most {
				if err := b.spillPairs(); err != nil {
					return err
				}
			} else {
				grown := make([]bulkPair, len(b.pairs), min(most, max(1024, 2*cap(b.pairs))))
				copy(grown, b.pairs)
				b.held.Add(int64(cap(grown)-cap(b.pairs)) * bulkPairSize)
				b.pairs = grown
			}
		}
		b.pairs = append(b.pairs, bulkPair{key: k, rec: i})
	}
	return nil
}

// resolved is what resolving one job gave.
type resolved struct {
	ops   []writeOp // sorted by key, the last write of each
	sum   Summary
	freed int64
	n     int
	err   error
}

// resolve unites the groups, resolves them in jobs of whole groups on
// Workers goroutines, each job in one transaction of the store's own
// code over a snapshot that holds only the metadata, and returns the
// writes of the jobs not spilled and of the quarantine: sorted lists of
// writes, a later one's winning over an earlier one's.
func (b *bulkLoad) resolve(ctx context.Context) ([][]writeOp, Summary, error) {
	if err := b.unite(); err != nil {
		return nil, Summary{}, err
	}
	total := len(b.parent)
	jobs := make(chan []bulkRec, b.opts.Workers)
	results := make(chan resolved, b.opts.Workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A job takes at least bulkJob records, in whole groups, and at most
	// a share of the budget, unless one group needs more: the jobs
	// queued, resolving and being filled hold the budget at most.
	jobMax := max(1, b.budget()/int64(2*b.opts.Workers+1))
	var produced error
	go func() {
		over := false
		defer close(jobs)
		var job []bulkRec
		var jobBytes int64
		last := int32(-1)
		send := func() bool {
			select {
			case jobs <- job:
				job, jobBytes = nil, 0
				return true
			case <-ctx.Done():
				return false
			}
		}
		produced = b.components(func(r bulkRec) bool {
			if root := b.parent[r.seq]; root != last {
				if len(job) > 0 && (len(job) >= b.s.bulkJob || jobBytes >= jobMax) && !send() {
					return false
				}
				last = root
			}
			job = append(job, r)
			n := int64(len(r.enc)) + bulkRecOverhead
			jobBytes += n
			if b.held.Add(n) > b.limit() {
				over = true // a group too large for the bound
				return false
			}
			return true
		})
		switch {
		case produced == nil && over:
			produced = ErrBulkMemory
		case produced == nil && len(job) > 0:
			send()
		}
	}()
	var workers sync.WaitGroup
	for range b.opts.Workers {
		workers.Go(func() {
			for job := range jobs {
				results <- b.resolveJob(job)
			}
		})
	}
	go func() { workers.Wait(); close(results) }()
	// out holds the writes of the jobs not yet spilled: each job's
	// sorted by its worker, in the order the jobs finished.
	var out [][]writeOp
	var outBytes int64
	sum := newSummary()
	done := 0
	var failed error
	for r := range results {
		b.held.Add(-r.freed)
		if failed != nil {
			continue
		}
		if r.err != nil {
			failed = r.err
			cancel()
			continue
		}
		out = append(out, r.ops)
		sum.Add(r.sum)
		done += r.n
		for _, op := range r.ops {
			outBytes += int64(len(op.key)+len(op.value)) + bulkPairOverhead
		}
		if outBytes > b.budget() {
			if err := b.runs.spillSorted(out); err != nil {
				failed = err
				cancel()
				continue
			}
			out, outBytes = nil, 0
		}
		if b.held.Load()+outBytes > b.limit() {
			failed = ErrBulkMemory
			cancel()
			continue
		}
		if err := ctx.Err(); err != nil {
			failed = err
			continue
		}
		b.progress(BulkResolve, done, total)
	}
	if failed == nil {
		failed = produced // set before jobs, and so results, closed
	}
	if failed != nil {
		return nil, Summary{}, failed
	}
	if err := ctx.Err(); err != nil {
		return nil, Summary{}, err
	}
	return append(out, lastWrites(b.quarantined(&sum))), sum, nil
}

// resolveJob ingests the records of one job, group by group, in one
// transaction, and returns its writes. A group is resolved at once when
// ingestGroup can, record by record otherwise.
func (b *bulkLoad) resolveJob(job []bulkRec) resolved {
	ws := &writeSet{read: b.meta}
	t := b.s.newTxn(ws, b.s.clock())
	t.encoded = make(map[*identity.Record][]byte, len(job))
	r := resolved{sum: newSummary(), n: len(job)}
	for _, br := range job {
		r.freed += int64(len(br.enc)) + bulkRecOverhead
	}
	for lo := 0; lo < len(job); {
		root := b.parent[job[lo].seq]
		hi := lo + 1
		for hi < len(job) && b.parent[job[hi].seq] == root {
			hi++
		}
		recs := make([]identity.Record, hi-lo)
		for i := range recs {
			br := &job[lo+i]
			rec, err := decodeRecord(br.enc)
			if err != nil {
				r.err = err
				return r
			}
			rec.Line = int(br.line)
			recs[i] = rec
			t.encoded[&recs[i]] = br.enc // appendRecord's, Line apart
		}
		sum, err := b.resolveGroup(t, job[lo:hi], recs)
		clear(t.encoded)
		for i := lo; i < hi; i++ {
			job[i].enc = nil
		}
		if err != nil {
			r.err = err
			return r
		}
		r.sum.Add(sum)
		lo = hi
	}
	if r.err = t.flush(); r.err != nil {
		return r
	}
	r.ops = lastWrites(ws.ops)
	return r
}

// keepQuarantined writes the quarantine entry of re, read from source
// src, as IngestAll does, and counts it; past the budget the writes are
// spilled to a run. It is safe for concurrent use.
func (b *bulkLoad) keepQuarantined(src int, re *identity.RecordError) error {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	q := b.quarantine
	if q == nil {
		q = &bulkQuarantine{ws: &writeSet{read: b.meta}, sum: newSummary()}
		q.t = b.s.newTxn(q.ws, b.s.clock())
		b.quarantine = q
	}
	from := len(q.ws.ops)
	q.t.file = b.files[src]
	if err := q.t.quarantine(re); err != nil {
		return err
	}
	q.sum.Read++
	q.sum.Quarantined[re.Reason]++
	var n int64
	for _, op := range q.ws.ops[from:] {
		n += int64(len(op.key)+len(op.value)) + bulkPairOverhead
	}
	q.bytes += n
	b.held.Add(n)
	if q.bytes <= b.budget() {
		return nil
	}
	if err := b.runs.spill(q.ws.ops); err != nil {
		return err
	}
	b.held.Add(-q.bytes)
	q.ws.ops, q.bytes = nil, 0
	return nil
}

// quarantined returns the writes of the quarantine entries not spilled
// and adds their counts to sum.
func (b *bulkLoad) quarantined(sum *Summary) []writeOp {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	q := b.quarantine
	if q == nil {
		return nil
	}
	sum.Add(q.sum)
	b.held.Add(-q.bytes)
	ops := q.ws.ops
	b.quarantine = nil
	return ops
}

// write merges the spilled runs, the writes held in memory and the
// metadata, keeps the last write of each key, and hands them to the
// engine in one sorted stream.
func (b *bulkLoad) write(ctx context.Context, bw BulkWriter, out [][]writeOp) error {
	meta := make([]writeOp, 0, len(b.meta))
	for k, v := range b.meta {
		meta = append(meta, writeOp{key: []byte(k), value: v})
	}
	var outBytes int64
	for _, ops := range out {
		for _, op := range ops {
			outBytes += int64(len(op.key)+len(op.value)) + bulkPairOverhead
		}
	}
	b.s.bulkWriteRuns.Store(int64(len(b.runs.files)))
	// The metadata and the writes held take a cursor each without a
	// reader's buffers; the runs take what the bound leaves.
	if err := b.runs.compact(b.writeFanIn(outBytes) - 2); err != nil {
		return err
	}
	runs, err := b.runs.opCursors(b.runs.files, 1)
	if err != nil {
		return err
	}
	cursors := append([]*opCursor{{prio: 0, ops: lastWrites(meta)}}, runs...)
	for _, ops := range out {
		cursors = append(cursors, &opCursor{prio: len(cursors), ops: ops})
	}
	pairs := func(yield func(Entry, error) bool) {
		n, stopped := 0, false
		err := mergeOps(cursors, false, func(op writeOp) bool {
			if n%65536 == 0 {
				b.progress(BulkWrite, n, 0)
			}
			n++
			if !yield(Entry{Key: op.key, Value: op.value}, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(Entry{}, err)
			return
		}
		b.progress(BulkWrite, n, n)
	}
	if err := bw.BulkWrite(ctx, iter.Seq2[Entry, error](pairs)); err != nil {
		return fmt.Errorf("store: bulk load: %w", err)
	}
	b.s.bulkStreams.Add(1)
	return nil
}
