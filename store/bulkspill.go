package store

import (
	"bufio"
	"bytes"
	"container/heap"
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
	spills *atomic.Int64 // counts the runs, for tests
}

// spill writes the last write of each key of ops, sorted, to a new run.
func (r *bulkRuns) spill(ops []writeOp) error {
	ops = lastWrites(ops)
	f, err := os.CreateTemp(r.dir, "scv-bulk-*.run")
	if err != nil {
		return fmt.Errorf("store: bulk load: spill: %w", err)
	}
	r.files = append(r.files, f)
	r.spills.Add(1)
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [2*binary.MaxVarintLen64 + 1]byte
	for _, op := range ops {
		n := binary.PutUvarint(hdr[:], uint64(len(op.key)))
		n += binary.PutUvarint(hdr[n:], uint64(len(op.value)))
		hdr[n] = 0
		if op.del {
			hdr[n] = 1
		}
		if _, err := w.Write(hdr[:n+1]); err != nil {
			return fmt.Errorf("store: bulk load: spill: %w", err)
		}
		if _, err := w.Write(op.key); err != nil {
			return fmt.Errorf("store: bulk load: spill: %w", err)
		}
		if _, err := w.Write(op.value); err != nil {
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
}

// opCursor reads one sorted sequence of writes: a run on disk, or a
// sorted slice.
type opCursor struct {
	prio int // a later write to a key wins: the higher prio
	cur  writeOp
	r    *bufio.Reader
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
	kl, err := binary.ReadUvarint(c.r)
	if errors.Is(err, io.EOF) {
		return false
	}
	vl, err2 := binary.ReadUvarint(c.r)
	del, err3 := c.r.ReadByte()
	if err = errors.Join(err, err2, err3); err != nil {
		c.err = fmt.Errorf("store: bulk load: read a spilled run: %w", err)
		return false
	}
	buf := make([]byte, kl+vl)
	if _, err := io.ReadFull(c.r, buf); err != nil {
		c.err = fmt.Errorf("store: bulk load: read a spilled run: %w", err)
		return false
	}
	c.cur = writeOp{key: buf[:kl:kl], value: buf[kl:], del: del == 1}
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
