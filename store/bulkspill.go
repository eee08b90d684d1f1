package store

import (
	"bufio"
	"bytes"
	"container/heap"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// bulkRuns are the sorted runs of writes a bulk load spilled to disk to
// keep its memory under [BulkOptions].MemoryMiB. A run holds what the
// database will: blind-indexed keys and sealed values, never a value in
// the clear (but without the engine's own encryption at rest). The files
// are removed by close.
type bulkRuns struct {
	dir    string // "" is os.TempDir()
	files  []*os.File
	spills *atomic.Int64 // counts the runs and the records file, for tests
	// records holds the encodings of records spilled before they are
	// resolved, each sealed by sealer. Reads are ReadAt, from any
	// goroutine.
	sealer     *bulkSealer
	records    *os.File
	recordsW   *bufio.Writer
	recordsEnd int64
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

// open returns what seal sealed in sealed.
func (s *bulkSealer) open(sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns {
		return nil, errors.New("store: bulk load: a spilled block is truncated")
	}
	plain, err := s.aead.Open(nil, sealed[:ns], sealed[ns:], nil)
	if err != nil {
		return nil, fmt.Errorf("store: bulk load: a spilled block does not open: %w", err)
	}
	return plain, nil
}

// spillRecord appends rec's encoding to the records file and drops it
// from memory.
func (r *bulkRuns) spillRecord(rec *bulkRec) error {
	if r.records == nil {
		f, err := os.CreateTemp(r.dir, "scv-bulk-*.records")
		if err != nil {
			return fmt.Errorf("store: bulk load: spill: %w", err)
		}
		r.records, r.recordsW = f, bufio.NewWriterSize(f, 1<<20)
		r.spills.Add(1)
	}
	sealed := r.sealer.seal(nil, rec.enc)
	if _, err := r.recordsW.Write(sealed); err != nil {
		return fmt.Errorf("store: bulk load: spill: %w", err)
	}
	rec.off, rec.n, rec.enc = r.recordsEnd, int32(len(sealed)), nil
	r.recordsEnd += int64(rec.n)
	return nil
}

// flushRecords makes every spilled record readable.
func (r *bulkRuns) flushRecords() error {
	if r.recordsW == nil {
		return nil
	}
	if err := r.recordsW.Flush(); err != nil {
		return fmt.Errorf("store: bulk load: spill: %w", err)
	}
	return nil
}

// runBlock is the size of the blocks a run is sealed in.
const runBlock = 64 << 10

// spill writes the last write of each key of ops, sorted, to a new run:
// blocks of writes, each sealed, each after its length.
func (r *bulkRuns) spill(ops []writeOp) error {
	ops = lastWrites(ops)
	f, err := os.CreateTemp(r.dir, "scv-bulk-*.run")
	if err != nil {
		return fmt.Errorf("store: bulk load: spill: %w", err)
	}
	r.files = append(r.files, f)
	r.spills.Add(1)
	w := bufio.NewWriterSize(f, 1<<20)
	var blk, sealed []byte
	flush := func() error {
		sealed = r.sealer.seal(sealed[:0], blk)
		blk = blk[:0]
		if _, err := w.Write(binary.AppendUvarint(nil, uint64(len(sealed)))); err != nil {
			return err
		}
		_, err := w.Write(sealed)
		return err
	}
	for _, op := range ops {
		blk = binary.AppendUvarint(blk, uint64(len(op.key)))
		blk = binary.AppendUvarint(blk, uint64(len(op.value)))
		del := byte(0)
		if op.del {
			del = 1
		}
		blk = append(append(append(blk, del), op.key...), op.value...)
		if len(blk) >= runBlock {
			if err := flush(); err != nil {
				return fmt.Errorf("store: bulk load: spill: %w", err)
			}
		}
	}
	if len(blk) > 0 {
		if err := flush(); err != nil {
			return fmt.Errorf("store: bulk load: spill: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("store: bulk load: spill: %w", err)
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

// lastWrites sorts ops by key and keeps the last write of each key,
// reusing ops's array.
func lastWrites(ops []writeOp) []writeOp {
	sortOps(ops)
	out := ops[:0]
	for i, op := range ops {
		if i+1 < len(ops) && bytes.Equal(op.key, ops[i+1].key) {
			continue
		}
		out = append(out, op)
	}
	return out
}

// close removes the runs.
func (r *bulkRuns) close() {
	for _, f := range r.files {
		f.Close()
		os.Remove(f.Name())
	}
	r.files = nil
	if r.records != nil {
		r.records.Close()
		os.Remove(r.records.Name())
		r.records = nil
	}
}

// opCursor reads one sorted sequence of writes: a run on disk, or a
// sorted slice.
type opCursor struct {
	prio   int // a later write to a key wins: the higher prio
	cur    writeOp
	r      *bufio.Reader // a run's, block after block
	sealer *bulkSealer
	blk    []byte // the rest of the current block
	ops    []writeOp
	err    error
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
	if len(c.blk) == 0 {
		n, err := binary.ReadUvarint(c.r)
		if errors.Is(err, io.EOF) {
			return false
		}
		sealed := make([]byte, n)
		if err == nil {
			_, err = io.ReadFull(c.r, sealed)
		}
		if err == nil {
			c.blk, err = c.sealer.open(sealed)
		}
		if err != nil {
			c.err = fmt.Errorf("store: bulk load: read a spilled run: %w", err)
			return false
		}
	}
	kl, n1 := binary.Uvarint(c.blk)
	vl, n2 := binary.Uvarint(c.blk[max(n1, 0):])
	if n1 <= 0 || n2 <= 0 || uint64(len(c.blk)) < uint64(n1+n2+1)+kl+vl {
		c.err = errors.New("store: bulk load: a spilled run is malformed")
		return false
	}
	b := c.blk[n1+n2:]
	c.cur = writeOp{key: b[1 : 1+kl : 1+kl], value: b[1+kl : 1+kl+vl : 1+kl+vl], del: b[0] == 1}
	c.blk = b[1+kl+vl:]
	return true
}

// opHeap orders cursors by their current key, then by priority, highest
// first.
type opHeap []*opCursor

func (h opHeap) Len() int { return len(h) }
func (h opHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].cur.key, h[j].cur.key); c != 0 {
		return c < 0
	}
	return h[i].prio > h[j].prio
}
func (h opHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *opHeap) Push(x any)   { *h = append(*h, x.(*opCursor)) }
func (h *opHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// mergeOps yields, in key order, the last write of each key among the
// cursors (the highest priority's), leaving out deletions, and the first
// error a cursor met.
func mergeOps(cursors []*opCursor, yield func(writeOp) bool) error {
	h := make(opHeap, 0, len(cursors))
	for _, c := range cursors {
		if c.next() {
			h = append(h, c)
		} else if c.err != nil {
			return c.err
		}
	}
	heap.Init(&h)
	var last []byte
	for h.Len() > 0 {
		c := h[0]
		op := c.cur
		if last == nil || !bytes.Equal(op.key, last) {
			last = append(last[:0], op.key...)
			if !op.del && !yield(op) {
				return nil
			}
		}
		if c.next() {
			heap.Fix(&h, 0)
		} else {
			if c.err != nil {
				return c.err
			}
			heap.Pop(&h)
		}
	}
	return nil
}
