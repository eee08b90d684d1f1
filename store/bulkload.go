package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"sync"

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
	// recs are the records read, in the order the decoders delivered
	// them, encoded as the store encodes record contents; parent is their
	// union-find forest, first the record that first carried each
	// grouping key (a hash of an identifier, record key or referrer).
	recs        []bulkRec
	parent      []int32
	first       map[uint64]int32
	quarantined []bulkQuarantine
	mem         int64 // bytes held in recs, first and the output
	recBytes    int64 // bytes of encodings held in recs
	runs        bulkRuns
}

// bulkRec is one record held by a bulk load: compact until its group is
// resolved.
type bulkRec struct {
	enc  []byte // appendRecord's encoding; nil once resolved, or spilled
	off  int64  // where a spilled encoding starts in the records file
	n    int32  // a spilled encoding's length; 0 if not spilled
	src  int32  // index of its source
	line int32
}

type bulkQuarantine struct {
	src int
	re  *identity.RecordError
}

// bulkPrepared is a record a decoding worker has encoded, with its
// grouping keys.
type bulkPrepared struct {
	rec  bulkRec
	keys []uint64
}

// Per-item memory a bulk load counts beside the bytes it holds: a record's
// slot, a grouping key's map entry, an output pair's slot.
const (
	bulkRecOverhead  = 48
	bulkKeyOverhead  = 40
	bulkPairOverhead = 64
	// bulkChunk is how many records travel together between goroutines;
	// bulkJob how many records (at least, whole groups) one resolving
	// transaction takes, as a batch of IngestAll does.
	bulkChunk = 256
	bulkJob   = DefaultBatchSize
)

func (b *bulkLoad) limit() int64 { return int64(b.opts.MemoryMiB) << 20 }

// spillAt is the bytes of record encodings, and of writes, past which the
// load spills them to disk: a quarter of the bound but in tests.
func (b *bulkLoad) spillAt() int64 {
	if b.s.bulkSpill > 0 {
		return b.s.bulkSpill
	}
	return b.limit() / 4
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
	b.runs.dir, b.runs.spills = b.opts.TempDir, &b.s.bulkSpills
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
		recs []identity.Record
		src  int32
	}
	raws := make(chan chunk, b.opts.Workers)
	preps := make(chan []bulkPrepared, b.opts.Workers)
	var qmu sync.Mutex
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
					qmu.Lock()
					b.quarantined = append(b.quarantined, bulkQuarantine{src: i, re: re})
					qmu.Unlock()
					continue
				}
				recs = expand(recs, rec)
				if len(recs) >= bulkChunk {
					if !send(chunk{recs, int32(i)}) {
						return
					}
					recs = nil
				}
			}
			if len(recs) > 0 {
				send(chunk{recs, int32(i)})
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
					out[j] = bulkPrepared{rec: bulkRec{enc: enc, src: c.src, line: int32(rec.Line)}, keys: b.groupKeys(rec)}
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
	b.first = map[uint64]int32{}
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
		if b.mem > b.limit() {
			cancel(ErrBulkMemory)
		}
		b.progress(BulkDecode, len(b.recs), 0)
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

// add takes a prepared record into the groups.
func (b *bulkLoad) add(p *bulkPrepared) error {
	i := int32(len(b.recs))
	if b.recBytes > b.spillAt() {
		// Past a quarter of the bound, encodings go to the records file.
		if err := b.runs.spillRecord(&p.rec); err != nil {
			return err
		}
	}
	b.recs = append(b.recs, p.rec)
	b.parent = append(b.parent, i)
	b.recBytes += int64(len(p.rec.enc))
	b.mem += int64(len(p.rec.enc)) + bulkRecOverhead
	for _, k := range p.keys {
		if j, ok := b.first[k]; ok {
			b.union(i, j)
			continue
		}
		b.first[k] = i
		b.mem += bulkKeyOverhead
	}
	return nil
}

func (b *bulkLoad) find(i int32) int32 {
	for b.parent[i] != i {
		b.parent[i] = b.parent[b.parent[i]]
		i = b.parent[i]
	}
	return i
}

func (b *bulkLoad) union(i, j int32) {
	ri, rj := b.find(i), b.find(j)
	switch {
	case ri < rj:
		b.parent[rj] = ri
	case rj < ri:
		b.parent[ri] = rj
	}
}

// groups returns the records' indexes grouped by component, each group
// in the order its records were read, and the end of each group in it.
func (b *bulkLoad) groups() (order []int32, ends []int) {
	n := len(b.recs)
	root := b.parent
	for i := range root {
		root[i] = b.find(int32(i))
	}
	pos := make([]int32, n+1)
	for _, r := range root {
		pos[r+1]++
	}
	for i := range n {
		if pos[i+1] > 0 {
			ends = append(ends, int(pos[i]+pos[i+1]))
		}
		pos[i+1] += pos[i]
	}
	order = make([]int32, n)
	for i, r := range root {
		order[pos[r]] = int32(i)
		pos[r]++
	}
	return order, ends
}

// resolved is what resolving one job gave.
type resolved struct {
	ops   []writeOp
	sum   Summary
	freed int64
	n     int
	err   error
}

// resolve resolves every group, in jobs of whole groups on Workers
// goroutines, each job in one transaction of the store's own code over a
// snapshot that holds only the metadata, and returns the writes of every
// job and of the quarantine.
func (b *bulkLoad) resolve(ctx context.Context) ([]writeOp, Summary, error) {
	if err := b.runs.flushRecords(); err != nil {
		return nil, Summary{}, err
	}
	order, ends := b.groups()
	b.first, b.parent = nil, nil
	b.mem -= int64(len(b.recs)) * 4 // the forest
	jobs := make(chan []int32, b.opts.Workers)
	results := make(chan resolved, b.opts.Workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(jobs)
		lo := 0
		for _, end := range ends {
			if end-lo < b.s.bulkJob && end < len(order) {
				continue
			}
			select {
			case jobs <- order[lo:end]:
			case <-ctx.Done():
				return
			}
			lo = end
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
	var out []writeOp
	var outBytes int64
	spillAt := b.spillAt()
	total := newSummary()
	done := 0
	var failed error
	for r := range results {
		if failed != nil {
			continue
		}
		if r.err != nil {
			failed = r.err
			cancel()
			continue
		}
		out = append(out, r.ops...)
		total.Add(r.sum)
		done += r.n
		b.mem -= r.freed
		for _, op := range r.ops {
			outBytes += int64(len(op.key)+len(op.value)) + bulkPairOverhead
		}
		if outBytes > spillAt {
			if err := b.runs.spill(out); err != nil {
				failed = err
				cancel()
				continue
			}
			out, outBytes = nil, 0
		}
		if b.mem+outBytes > b.limit() {
			failed = ErrBulkMemory
			cancel()
			continue
		}
		if err := ctx.Err(); err != nil {
			failed = err
			continue
		}
		b.progress(BulkResolve, done, len(order))
	}
	if failed != nil {
		return nil, Summary{}, failed
	}
	if err := ctx.Err(); err != nil {
		return nil, Summary{}, err
	}
	ops, err := b.quarantine(&total)
	if err != nil {
		return nil, Summary{}, err
	}
	return append(out, ops...), total, nil
}

// resolveJob ingests the records of one job, group by group, in one
// transaction, and returns its writes.
func (b *bulkLoad) resolveJob(job []int32) resolved {
	ws := &writeSet{read: b.meta}
	t := b.s.newTxn(ws, b.s.clock())
	r := resolved{sum: newSummary(), n: len(job)}
	for lo := 0; lo < len(job); {
		src := b.recs[job[lo]].src
		hi := lo + 1
		for hi < len(job) && b.recs[job[hi]].src == src {
			hi++
		}
		recs := make([]identity.Record, 0, hi-lo)
		for _, i := range job[lo:hi] {
			br := &b.recs[i]
			enc := br.enc
			if br.n > 0 {
				enc = make([]byte, br.n)
				if _, err := b.runs.records.ReadAt(enc, br.off); err != nil {
					r.err = fmt.Errorf("store: bulk load: read a spilled record: %w", err)
					return r
				}
				var err error
				if enc, err = b.runs.sealer.open(enc); err != nil {
					r.err = err
					return r
				}
			}
			rec, err := decodeRecord(enc)
			if err != nil {
				r.err = err
				return r
			}
			rec.Line = int(br.line)
			recs = append(recs, rec)
			r.freed += int64(len(br.enc))
			br.enc = nil
		}
		t.file = b.files[src]
		sum, err := t.ingestBatch(recs, nil)
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
	r.ops = ws.ops
	return r
}

// quarantine keeps the records the decoders quarantined, as IngestAll
// does, and counts them in sum.
func (b *bulkLoad) quarantine(sum *Summary) ([]writeOp, error) {
	ws := &writeSet{read: b.meta}
	t := b.s.newTxn(ws, b.s.clock())
	for _, q := range b.quarantined {
		t.file = b.files[q.src]
		if err := t.quarantine(q.re); err != nil {
			return nil, err
		}
		sum.Read++
		sum.Quarantined[q.re.Reason]++
	}
	return ws.ops, nil
}

// write merges the spilled runs, the writes held in memory and the
// metadata, keeps the last write of each key, and hands them to the
// engine in one sorted stream.
func (b *bulkLoad) write(ctx context.Context, bw BulkWriter, out []writeOp) error {
	meta := make([]writeOp, 0, len(b.meta))
	for k, v := range b.meta {
		meta = append(meta, writeOp{key: []byte(k), value: v})
	}
	cursors := []*opCursor{{prio: 0, ops: lastWrites(meta)}}
	for i, f := range b.runs.files {
		cursors = append(cursors, &opCursor{prio: 1 + i, r: bufio.NewReaderSize(f, 1<<20), sealer: b.runs.sealer})
	}
	cursors = append(cursors, &opCursor{prio: 1 + len(b.runs.files), ops: lastWrites(out)})
	pairs := func(yield func(Entry, error) bool) {
		n, stopped := 0, false
		err := mergeOps(cursors, func(op writeOp) bool {
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
