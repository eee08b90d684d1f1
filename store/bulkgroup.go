package store

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// Grouping by external sort. While decoding, a bulk load keeps per record
// only its union-find parent (4 bytes); the grouping keys travel as
// (key, record) pairs, sorted in memory up to a budget and spilled as
// sorted runs beyond it, and the records themselves (after the first
// few) go to the records file. After decoding, merging the pair runs by
// key unions the records that share a key; then the records, streamed in
// read order, are sorted by (component root, read order) the same way,
// so that each component comes out whole, its records in the order of
// their sources.

// bulkPair says that record rec carries the grouping key key: a hash
// keyed by the load's seed, which never leaves memory. A pair run holds
// only such hashes and record numbers, sealed all the same.
type bulkPair struct {
	key uint64
	rec int32
}

const bulkPairSize = 16 // bytes of a bulkPair in memory

func comparePairs(a, b bulkPair) int {
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	return cmp.Compare(a.rec, b.rec)
}

// spillPairs sorts the pairs held and writes them to a new run.
func (b *bulkLoad) spillPairs() error {
	slices.SortFunc(b.pairs, comparePairs)
	f, err := b.writePairs(func(yield func(bulkPair) bool) error {
		for _, p := range b.pairs {
			if !yield(p) {
				break
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.pairRuns = append(b.pairRuns, f)
	b.pairs = b.pairs[:0]
	return nil
}

// sliceCursor reads the items of a slice, in the form of the cursors
// over spilled runs.
func sliceCursor[T any](mem []T) func() (T, bool, error) {
	return func() (T, bool, error) {
		var zero T
		if len(mem) == 0 {
			return zero, false, nil
		}
		x := mem[0]
		mem = mem[1:]
		return x, true, nil
	}
}

// cursors opens each of files (reuse: see bulkRuns.reader) and reads it
// with read.
func cursors[T any](r *bulkRuns, files []*spillFile, reuse bool, read func(*blockReader) func() (T, bool, error)) ([]func() (T, bool, error), error) {
	brs, err := r.readers(files, reuse)
	if err != nil {
		return nil, err
	}
	cs := make([]func() (T, bool, error), len(brs))
	for i, br := range brs {
		cs[i] = read(br)
	}
	return cs, nil
}

// pairCursors opens a cursor on each run of pairs.
func (b *bulkLoad) pairCursors(runs []*spillFile) ([]func() (bulkPair, bool, error), error) {
	return cursors(&b.runs, runs, true, pairCursor) // pairs are copied out
}

// pairCursor reads the pairs of a run.
func pairCursor(br *blockReader) func() (bulkPair, bool, error) {
	return func() (bulkPair, bool, error) {
		if !br.more() {
			return bulkPair{}, false, br.err
		}
		b := br.bytes(12)
		if br.err != nil {
			return bulkPair{}, false, br.err
		}
		return bulkPair{key: binary.BigEndian.Uint64(b), rec: int32(binary.BigEndian.Uint32(b[8:]))}, true, nil
	}
}

// writePairs writes a sorted sequence of pairs to a new run.
func (b *bulkLoad) writePairs(seq func(yield func(bulkPair) bool) error) (*spillFile, error) {
	return writeRun(&b.runs, "pairs", seq, appendPair)
}

// appendPair appends a pair as a run holds it: key, then record, both
// big-endian.
func appendPair(dst []byte, p *bulkPair) []byte {
	dst = binary.BigEndian.AppendUint64(dst, p.key)
	return binary.BigEndian.AppendUint32(dst, uint32(p.rec))
}

// writeRun writes a sequence of items, each appended to a block by add,
// to a new spill file of kind.
func writeRun[T any](r *bulkRuns, kind string, seq func(yield func(T) bool) error, add func([]byte, *T) []byte) (*spillFile, error) {
	w, err := r.create(kind)
	if err != nil {
		return nil, err
	}
	var werr error
	err = seq(func(x T) bool {
		w.blk = add(w.blk, &x)
		werr = w.added()
		return werr == nil
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	return w.finish()
}

// fanIn is how many runs one merge reads at once within the budget.
func (b *bulkLoad) fanIn() int {
	return min(maxFanIn, max(3, int(b.budget()/runReaderCost)), b.fileFanIn())
}

// unite merges the pairs (the runs and those held) by key and unions
// the records that share a key; then every record's parent is its root,
// the first record read of its component.
func (b *bulkLoad) unite() error {
	slices.SortFunc(b.pairs, comparePairs)
	runs := b.pairRuns
	for len(runs)+1 > b.fanIn() {
		// Too many runs to read at once (with the pairs held): merge
		// the first few into one.
		k := passSize(len(runs), b.fanIn()-1, b.fanIn())
		cs, err := b.pairCursors(runs[:k])
		if err != nil {
			return err
		}
		f, err := b.writePairs(func(yield func(bulkPair) bool) error {
			return mergeSorted(cs, comparePairs, yield)
		})
		if err != nil {
			return err
		}
		for _, f := range runs[:k] {
			b.runs.remove(f)
		}
		runs = append(runs[k:], f)
	}
	cs, err := b.pairCursors(runs)
	if err != nil {
		return err
	}
	cs = append([]func() (bulkPair, bool, error){sliceCursor(b.pairs)}, cs...)
	b.held.Add(int64(len(runs)) * runReaderCost)
	last := bulkPair{rec: -1}
	err = mergeSorted(cs, comparePairs, func(p bulkPair) bool {
		if last.rec >= 0 && p.key == last.key {
			b.union(last.rec, p.rec)
		}
		last = p
		return true
	})
	b.held.Add(-int64(len(runs)) * runReaderCost)
	for _, f := range runs {
		b.runs.remove(f)
	}
	b.held.Add(-int64(cap(b.pairs)) * bulkPairSize)
	b.pairs, b.pairRuns = nil, nil
	if err != nil {
		return err
	}
	for i := range b.parent {
		b.parent[i] = b.find(int32(i))
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

// union joins the components of i and j; the root of a component is its
// first record read.
func (b *bulkLoad) union(i, j int32) {
	ri, rj := b.find(i), b.find(j)
	switch {
	case ri < rj:
		b.parent[rj] = ri
	case rj < ri:
		b.parent[ri] = rj
	}
}

// compareRecs orders records by component (its root), then by source
// and position in the source: the order of an import file by file, and
// one that does not depend on how the decoders' goroutines interleaved,
// so that a load resolves each group as any other load of the same
// sources does. parent must hold roots.
func (b *bulkLoad) compareRecs(x, y bulkRec) int {
	if c := cmp.Compare(b.parent[x.seq], b.parent[y.seq]); c != 0 {
		return c
	}
	if c := cmp.Compare(x.src, y.src); c != 0 {
		return c
	}
	return cmp.Compare(x.pos, y.pos)
}

// appendRec appends r's entry in the records file and the runs by
// component: read number, source, position, line, length, encoding.
func appendRec(dst []byte, r *bulkRec) []byte {
	dst = binary.AppendUvarint(dst, uint64(r.seq))
	dst = binary.AppendUvarint(dst, uint64(r.src))
	dst = binary.AppendUvarint(dst, uint64(r.pos))
	dst = binary.AppendUvarint(dst, uint64(r.line))
	dst = binary.AppendUvarint(dst, uint64(len(r.enc)))
	return append(dst, r.enc...)
}

// recCursors opens a cursor on each file of records.
func (b *bulkLoad) recCursors(files []*spillFile) ([]func() (bulkRec, bool, error), error) {
	return cursors(&b.runs, files, false, recCursor) // records keep their bytes
}

// recCursor reads the records of a file written with appendRec; the
// encodings it returns are its caller's.
func recCursor(br *blockReader) func() (bulkRec, bool, error) {
	return func() (bulkRec, bool, error) {
		if !br.more() {
			return bulkRec{}, false, br.err
		}
		r := bulkRec{seq: int32(br.uvarint()), src: int32(br.uvarint()), pos: int32(br.uvarint()), line: int32(br.uvarint())}
		// A copy, so that a record held does not hold its whole block.
		r.enc = slices.Clone(br.bytes(br.uvarint()))
		if br.err != nil {
			return bulkRec{}, false, br.err
		}
		return r, true, nil
	}
}

// writeRecs writes a sequence of records to a new file of kind.
func (b *bulkLoad) writeRecs(kind string, seq func(yield func(bulkRec) bool) error) (*spillFile, error) {
	return writeRun(&b.runs, kind, seq, appendRec)
}

// spillRecord appends rec to the records file.
func (b *bulkLoad) spillRecord(rec *bulkRec) error {
	if b.recW == nil {
		w, err := b.runs.create("records")
		if err != nil {
			return err
		}
		b.recW = w
	}
	b.recW.blk = appendRec(b.recW.blk, rec)
	return b.recW.added()
}

// components yields every record grouped by component, components in
// the order of their first record read, records in compareRecs's order
// within one.
// It holds at most the budget of records, sorting the rest on disk.
func (b *bulkLoad) components(yield func(bulkRec) bool) error {
	buf := b.recs // held since decoding, and counted
	b.recs = nil
	var bufBytes int64
	for _, r := range buf {
		bufBytes += int64(len(r.enc)) + bulkRecOverhead
	}
	var runs []*spillFile
	sortBuf := func() { slices.SortFunc(buf, b.compareRecs) }
	spill := func() error {
		sortBuf()
		f, err := b.writeRecs("group", func(yield func(bulkRec) bool) error {
			for _, r := range buf {
				if !yield(r) {
					break
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		runs = append(runs, f)
		clear(buf)
		buf = buf[:0]
		b.held.Add(-bufBytes)
		bufBytes = 0
		return nil
	}
	if b.recW != nil {
		f, err := b.recW.finish()
		if err != nil {
			return err
		}
		b.recW = nil
		cs, err := b.recCursors([]*spillFile{f})
		if err != nil {
			return err
		}
		next := cs[0]
		b.held.Add(runReaderCost)
		for {
			r, ok, err := next()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			buf = append(buf, r)
			n := int64(len(r.enc)) + bulkRecOverhead
			bufBytes += n
			b.held.Add(n)
			if bufBytes > b.budget() {
				if err := spill(); err != nil {
					return err
				}
			}
		}
		b.held.Add(-runReaderCost)
		b.runs.remove(f)
	}
	sortBuf()
	for len(runs)+1 > b.fanIn() {
		k := passSize(len(runs), b.fanIn()-1, b.fanIn())
		cs, err := b.recCursors(runs[:k])
		if err != nil {
			return err
		}
		f, err := b.writeRecs("group", func(yield func(bulkRec) bool) error {
			return mergeSorted(cs, b.compareRecs, yield)
		})
		if err != nil {
			return err
		}
		for _, f := range runs[:k] {
			b.runs.remove(f)
		}
		runs = append(runs[k:], f)
	}
	cs, err := b.recCursors(runs)
	if err != nil {
		return err
	}
	cs = append([]func() (bulkRec, bool, error){sliceCursor(buf)}, cs...)
	b.held.Add(int64(len(runs)) * runReaderCost)
	defer b.held.Add(-int64(len(runs)) * runReaderCost)
	// The records held stay counted until the merge is done, though
	// yield counts them again as it takes them.
	defer b.held.Add(-bufBytes)
	// The runs are removed once read, not at the end of the load: the
	// write would find them open and on disk.
	defer func() {
		for _, f := range runs {
			b.runs.remove(f)
		}
	}()
	return mergeSorted(cs, b.compareRecs, yield)
}

// mergeSorted yields, in order, the items of sorted cursors; cursors
// that compare equal come out in the order of the cursors.
func mergeSorted[T any](cursors []func() (T, bool, error), compare func(a, b T) int, yield func(T) bool) error {
	type head struct {
		cur  T
		i    int
		next func() (T, bool, error)
	}
	h := make([]head, 0, len(cursors))
	for i, c := range cursors {
		v, ok, err := c()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, head{v, i, c})
		}
	}
	less := func(a, b int) bool {
		if c := compare(h[a].cur, h[b].cur); c != 0 {
			return c < 0
		}
		return h[a].i < h[b].i
	}
	down := func(i int) {
		for {
			l, m := 2*i+1, i
			if l < len(h) && less(l, m) {
				m = l
			}
			if r := l + 1; r < len(h) && less(r, m) {
				m = r
			}
			if m == i {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(h) > 0 {
		if !yield(h[0].cur) {
			return nil
		}
		v, ok, err := h[0].next()
		if err != nil {
			return err
		}
		if ok {
			h[0].cur = v
		} else {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	return nil
}
