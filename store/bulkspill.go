package store

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// bulkRuns are the files a bulk load spills to disk to keep its memory
// under [BulkOptions].MemoryMiB: the records file (every record past the
// first few, in read order), sorted runs of grouping pairs and of records
// by component, and sorted runs of the writes. Each is a sequence of
// blocks sealed by sealer, under a key that lives only in memory: a run
// of writes holds what the database will (blind-indexed keys, sealed
// values), the others hold records in the clear before sealing. The
// files are removed by remove, or by close at the latest.
//
// A finished file is closed until a merge reads it, so that a load holds
// open only the files it writes and those one merge reads, however many
// it spilled: at 10,000,000 records the writes alone spill about a
// thousand runs, and fileFanIn bounds a merge by the process's limit on
// open files.
type bulkRuns struct {
	dir       string        // "" is os.TempDir()
	spills    *atomic.Int64 // counts the files, for tests
	compacted *atomic.Int64 // counts the runs compact read, for tests
	openPeak  *atomic.Int64 // the most files open at once, for tests; may be nil
	sealer    *bulkSealer
	mu        sync.Mutex   // guards left, files and nopen: the decoders spill too
	left      []*spillFile // every file not yet removed
	nopen     int          // how many of them are open
	// files are the runs of writes, in the order they were spilled.
	files []*spillFile
}

// spillFile is one file of bulkRuns: open while it is written and while
// a merge reads it, closed in between.
type spillFile struct {
	name string
	f    *os.File // nil while closed
}

// bulkSealer seals what a bulk load spills under a random key that
// lives only in memory, for the length of the load: a run or record file
// left behind by a killed process is unreadable.
type bulkSealer struct {
	aead cipher.AEAD
	ctr  atomic.Uint64 // the nonce of the next seal
}

func newBulkSealer() (*bulkSealer, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &bulkSealer{aead: aead}, nil
}

// seal appends the nonce and the sealed plain to dst.
func (s *bulkSealer) seal(dst, plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	binary.BigEndian.PutUint64(nonce, s.ctr.Add(1))
	dst = append(dst, nonce...)
	return s.aead.Seal(dst, nonce, plain, nil)
}

// open appends to dst what seal sealed in sealed.
func (s *bulkSealer) open(dst, sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns {
		return nil, errors.New("store: bulk load: a spilled block is truncated")
	}
	plain, err := s.aead.Open(dst, sealed[:ns], sealed[ns:], nil)
	if err != nil {
		return nil, fmt.Errorf("store: bulk load: a spilled block does not open: %w", err)
	}
	return plain, nil
}

// create makes a new spill file, of kind ("records", "pairs", "group",
// "run"), and returns its writer.
func (r *bulkRuns) create(kind string) (*blockWriter, error) {
	f, err := os.CreateTemp(r.dir, "scv-bulk-*."+kind)
	if err != nil {
		return nil, fmt.Errorf("store: bulk load: spill: %w", err)
	}
	sf := &spillFile{name: f.Name(), f: f}
	r.mu.Lock()
	r.left = append(r.left, sf)
	r.opened(1)
	r.mu.Unlock()
	r.spills.Add(1)
	return &blockWriter{runs: r, sf: sf, w: bufio.NewWriterSize(f, runWriteBuf), sealer: r.sealer}, nil
}

// opened counts n more files open (fewer if negative); r.mu is held.
func (r *bulkRuns) opened(n int) {
	r.nopen += n
	if r.openPeak != nil && int64(r.nopen) > r.openPeak.Load() {
		r.openPeak.Store(int64(r.nopen))
	}
}

// closeFile closes sf, if it is open.
func (r *bulkRuns) closeFile(sf *spillFile) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sf.f == nil {
		return nil
	}
	err := sf.f.Close()
	sf.f = nil
	r.opened(-1)
	return err
}

// reader opens a finished file for reading from its start; with reuse,
// its bytes are valid only until the next block is read
// (newReusingReader). The file stays open until remove.
func (r *bulkRuns) reader(sf *spillFile, reuse bool) (*blockReader, error) {
	f, err := os.Open(sf.name)
	if err != nil {
		return nil, fmt.Errorf("store: bulk load: read a spilled file: %w", err)
	}
	r.mu.Lock()
	if sf.f != nil {
		sf.f.Close()
		r.opened(-1)
	}
	sf.f = f
	r.opened(1)
	r.mu.Unlock()
	if reuse {
		return newReusingReader(f, r.sealer), nil
	}
	return newBlockReader(f, r.sealer), nil
}

// readers is reader of each of files.
func (r *bulkRuns) readers(files []*spillFile, reuse bool) ([]*blockReader, error) {
	brs := make([]*blockReader, len(files))
	for i, sf := range files {
		var err error
		if brs[i], err = r.reader(sf, reuse); err != nil {
			return nil, err
		}
	}
	return brs, nil
}

// remove closes and removes sf.
func (r *bulkRuns) remove(sf *spillFile) {
	r.closeFile(sf)
	os.Remove(sf.name)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left = slices.DeleteFunc(r.left, func(g *spillFile) bool { return g == sf })
}

// close removes every file left.
func (r *bulkRuns) close() {
	r.mu.Lock()
	left := r.left
	r.left, r.files = nil, nil
	r.mu.Unlock()
	for _, sf := range left {
		r.closeFile(sf)
		os.Remove(sf.name)
	}
}

// Sizes of the spill files' blocks and buffers: a reader of a run holds
// at most runReadBuf and a block and one entry.
const (
	runBlock    = 32 << 10
	runReadBuf  = 32 << 10
	runWriteBuf = 256 << 10
	// runReaderCost is the memory a load counts for each run it reads.
	runReaderCost = runReadBuf + 2*runBlock
	// maxFanIn bounds how many runs one merge of records, pairs or (in
	// compact's passes) writes reads at once; more are merged in
	// passes. The write's last merge is bounded by memory and by
	// fileFanIn (see writeFanIn).
	maxFanIn = 256
)

// blockWriter writes one spill file: entries appended to blk, sealed in
// blocks of about runBlock bytes, each block after its length.
type blockWriter struct {
	runs   *bulkRuns
	sf     *spillFile
	w      *bufio.Writer
	sealer *bulkSealer
	blk    []byte // the entries of the block being filled: append to it
	sealed []byte
}

// added seals the block once it is full; call it after appending an
// entry to blk.
func (w *blockWriter) added() error {
	if len(w.blk) < runBlock {
		return nil
	}
	return w.flushBlock()
}

func (w *blockWriter) flushBlock() error {
	if len(w.blk) == 0 {
		return nil
	}
	w.sealed = w.sealer.seal(w.sealed[:0], w.blk)
	w.blk = w.blk[:0]
	if _, err := w.w.Write(binary.AppendUvarint(nil, uint64(len(w.sealed)))); err != nil {
		return fmt.Errorf("store: bulk load: spill: %w", err)
	}
	if _, err := w.w.Write(w.sealed); err != nil {
		return fmt.Errorf("store: bulk load: spill: %w", err)
	}
	return nil
}

// finish writes what is left and closes the file, for a reader to open.
func (w *blockWriter) finish() (*spillFile, error) {
	if err := w.flushBlock(); err != nil {
		return nil, err
	}
	if err := w.w.Flush(); err != nil {
		return nil, fmt.Errorf("store: bulk load: spill: %w", err)
	}
	if err := w.runs.closeFile(w.sf); err != nil {
		return nil, fmt.Errorf("store: bulk load: spill: %w", err)
	}
	return w.sf, nil
}

// blockReader reads the blocks of a spill file in order.
type blockReader struct {
	r      *bufio.Reader
	sealer *bulkSealer
	blk    []byte // the rest of the current block
	err    error
	sealed []byte // the buffer blocks are read into
	// plain, if not nil, is the buffer blocks are opened into: the
	// bytes read from a block are valid only until the next block is
	// read. Without it each block is opened into a new array, and they
	// stay valid.
	plain []byte
}

func newBlockReader(f io.Reader, s *bulkSealer) *blockReader {
	return &blockReader{r: bufio.NewReaderSize(f, runReadBuf), sealer: s}
}

// newReusingReader is newBlockReader whose bytes are valid only until
// the next block is read, for readers that copy what they keep: a block
// is not two new arrays of runBlock bytes.
func newReusingReader(f io.Reader, s *bulkSealer) *blockReader {
	br := newBlockReader(f, s)
	br.plain = make([]byte, 0, runBlock+runBlock/8)
	return br
}

// more reports whether entries are left, reading the next block when
// the current one is done; false at the end or on error (see err).
func (br *blockReader) more() bool {
	if len(br.blk) > 0 {
		return true
	}
	if br.err != nil {
		return false
	}
	n, err := binary.ReadUvarint(br.r)
	if errors.Is(err, io.EOF) {
		return false
	}
	if err == nil {
		if uint64(cap(br.sealed)) < n {
			br.sealed = make([]byte, n)
		}
		br.sealed = br.sealed[:n]
		_, err = io.ReadFull(br.r, br.sealed)
	}
	if err == nil {
		var dst []byte
		if br.plain != nil {
			dst = br.plain[:0]
		}
		br.blk, err = br.sealer.open(dst, br.sealed)
		if err == nil && br.plain != nil && cap(br.blk) > cap(br.plain) {
			br.plain = br.blk[:0] // grown: keep the larger array
		}
	}
	if err != nil {
		br.err = fmt.Errorf("store: bulk load: read a spilled file: %w", err)
		return false
	}
	return len(br.blk) > 0
}

// uvarint reads one uvarint of the current block.
func (br *blockReader) uvarint() uint64 {
	v, n := binary.Uvarint(br.blk)
	if n <= 0 {
		br.fail()
		return 0
	}
	br.blk = br.blk[n:]
	return v
}

// bytes reads n bytes of the current block, which stay valid unless the
// reader reuses its buffer (newReusingReader).
func (br *blockReader) bytes(n uint64) []byte {
	if uint64(len(br.blk)) < n {
		br.fail()
		return nil
	}
	b := br.blk[:n:n]
	br.blk = br.blk[n:]
	return b
}

func (br *blockReader) fail() {
	if br.err == nil {
		br.err = errors.New("store: bulk load: a spilled file is malformed")
	}
	br.blk = nil
}

// spill writes the last write of each key of ops, sorted, to a new run:
// each write its key and value lengths, a deletion flag, the key and the
// value.
func (r *bulkRuns) spill(ops []writeOp) error {
	return r.spillSorted([][]writeOp{lastWrites(ops)})
}

// spillSorted is spill of lists of writes each sorted by key with one
// write a key, a later list's write of a key winning.
func (r *bulkRuns) spillSorted(lists [][]writeOp) error {
	cursors := make([]*opCursor, len(lists))
	for i, ops := range lists {
		cursors[i] = &opCursor{prio: i, ops: ops}
	}
	f, err := r.writeMerged(cursors)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.files = append(r.files, f)
	r.mu.Unlock()
	return nil
}

// writeMerged writes the merge of cursors, deletions kept, to a new run.
func (r *bulkRuns) writeMerged(cursors []*opCursor) (*spillFile, error) {
	return writeRun(r, "run", func(yield func(writeOp) bool) error {
		return mergeOps(cursors, true, yield)
	}, appendOp)
}

// appendOp appends op's entry in a run of writes.
func appendOp(dst []byte, op *writeOp) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(op.key)))
	dst = binary.AppendUvarint(dst, uint64(len(op.value)))
	del := byte(0)
	if op.del {
		del = 1
	}
	return append(append(append(dst, del), op.key...), op.value...)
}

// passSize is how many of n sorted runs the next merge pass reads so
// that at most most are left, reading at most fanIn (at least two) at
// once: only as many as it takes, since a pass rewrites every run it
// reads. Merging the first fanIn of most+5 runs would rewrite nearly
// everything once more, where six runs would do.
func passSize(n, most, fanIn int) int {
	return min(max(2, fanIn), n-max(1, most)+1)
}

// compact merges the oldest runs of writes into one, keeping the last
// write of each key (deletions too), until at most fanIn are left.
func (r *bulkRuns) compact(fanIn int) error {
	for len(r.files) > max(1, fanIn) {
		k := passSize(len(r.files), fanIn, fanIn)
		if r.compacted != nil {
			r.compacted.Add(int64(k))
		}
		cursors, err := r.opCursors(r.files[:k], 0)
		if err != nil {
			return err
		}
		f, err := r.writeMerged(cursors)
		if err != nil {
			return err
		}
		for _, old := range r.files[:k] {
			r.remove(old)
		}
		r.mu.Lock()
		r.files = append([]*spillFile{f}, r.files[k:]...)
		r.mu.Unlock()
	}
	return nil
}

// opCursors opens a cursor on each of files, of priorities from prio
// up, in order.
func (r *bulkRuns) opCursors(files []*spillFile, prio int) ([]*opCursor, error) {
	brs, err := r.readers(files, true)
	if err != nil {
		return nil, err
	}
	cursors := make([]*opCursor, len(brs))
	for i, br := range brs {
		cursors[i] = &opCursor{prio: prio + i, r: br}
	}
	return cursors, nil
}

// lastWrites returns the last write of each key of ops, sorted by key.
// It sorts the writes' indexes, by key and then
// index, which is faster than a stable sort of the writes.
func lastWrites(ops []writeOp) []writeOp {
	if len(ops) < 2 {
		return ops
	}
	perm := make([]int32, len(ops))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int {
		if c := bytes.Compare(ops[a].key, ops[b].key); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	sorted := make([]writeOp, 0, len(ops))
	for i, p := range perm {
		if i+1 < len(perm) && bytes.Equal(ops[p].key, ops[perm[i+1]].key) {
			continue
		}
		sorted = append(sorted, ops[p])
	}
	return sorted
}

// opCursor reads one sorted sequence of writes: a run on disk, or a
// sorted slice.
type opCursor struct {
	prio int // a later write to a key wins: the higher prio
	cur  writeOp
	r    *blockReader // a run's
	ops  []writeOp
	err  error
}

// next moves to the next write; false at the end or on error.
func (c *opCursor) next() bool {
	if c.r == nil {
		if len(c.ops) == 0 {
			return false
		}
		c.cur, c.ops = c.ops[0], c.ops[1:]
		return true
	}
	if !c.r.more() {
		c.err = c.r.err
		return false
	}
	kl, vl := c.r.uvarint(), c.r.uvarint()
	del := c.r.bytes(1)
	key, value := c.r.bytes(kl), c.r.bytes(vl)
	if c.r.err != nil {
		c.err = c.r.err
		return false
	}
	c.cur = writeOp{key: key, value: value, del: del[0] == 1}
	return true
}

// opHeap orders cursors by their current key, then by priority, highest
// first: a binary heap written out, without container/heap's calls
// through an interface (BenchmarkMergeOps: 14% less time).
type opHeap []*opCursor

func (h opHeap) less(i, j int) bool {
	if c := bytes.Compare(h[i].cur.key, h[j].cur.key); c != 0 {
		return c < 0
	}
	return h[i].prio > h[j].prio
}

// down moves the cursor at i down to its place.
func (h opHeap) down(i int) {
	for {
		l, m := 2*i+1, i
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if r := l + 1; r < len(h) && h.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// mergeOps yields, in key order, the last write of each key among the
// cursors (the highest priority's), leaving out deletions unless
// keepDeletions, and the first error a cursor met.
func mergeOps(cursors []*opCursor, keepDeletions bool, yield func(writeOp) bool) error {
	h := make(opHeap, 0, len(cursors))
	for _, c := range cursors {
		if c.next() {
			h = append(h, c)
		} else if c.err != nil {
			return c.err
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	var last []byte
	for len(h) > 0 {
		c := h[0]
		op := c.cur
		if last == nil || !bytes.Equal(op.key, last) {
			last = append(last[:0], op.key...)
			if (keepDeletions || !op.del) && !yield(op) {
				return nil
			}
		}
		if !c.next() {
			if c.err != nil {
				return c.err
			}
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		h.down(0)
	}
	return nil
}
