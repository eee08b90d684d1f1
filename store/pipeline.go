package store

import (
	"context"
	"errors"
	"iter"

	"github.com/scv-go/scv/identity"
)

// writeSet records the writes of one flushed batch, to commit later.
type writeSet struct {
	read Txn // reads go to the segment's snapshot
	// absent, if set, answers reads of keys it knows do not exist
	// without asking the engine, and learns every key written.
	absent *absentKeys
	ops    []writeOp
	size   int
}

type writeOp struct {
	key, value []byte
	del        bool
}

var (
	_ Txn        = (*writeSet)(nil)
	_ FuncGetter = (*writeSet)(nil)
)

// GetFunc implements [FuncGetter] with the snapshot's, if it has one.
func (w *writeSet) GetFunc(key []byte, fn func([]byte) error) error {
	if fg, ok := w.read.(FuncGetter); ok && (w.absent == nil || !tracked(key)) {
		return fg.GetFunc(key, fn)
	}
	v, err := w.Get(key)
	if err != nil {
		return err
	}
	return fn(v)
}

func (w *writeSet) Get(key []byte) ([]byte, error) {
	if w.absent != nil && tracked(key) && !w.absent.mayHold(key) {
		return nil, ErrKeyNotFound
	}
	return w.read.Get(key)
}

func (w *writeSet) Scan(prefix, start []byte, keysOnly bool) iter.Seq2[Entry, error] {
	return w.read.Scan(prefix, start, keysOnly)
}

func (w *writeSet) Set(key, value []byte) error {
	if w.absent != nil && tracked(key) {
		w.absent.add(key)
	}
	w.ops = append(w.ops, writeOp{key: key, value: value})
	w.size += len(key) + len(value)
	return nil
}

func (w *writeSet) Delete(key []byte) error {
	w.ops = append(w.ops, writeOp{key: key, del: true})
	w.size += len(key)
	return nil
}

// segmentBatches is how many batches a pipelined ingest resolves against
// one snapshot before it waits for their commits and takes a new one.
const segmentBatches = 16

// defaultAbsentAfter is how many records an IngestAll call reads before
// it loads the filter of the keys that exist ([absentKeys]), if it has
// more. Loading it scans every identifier, record and credit key of the
// store; a bulk load earns that back many times over (the filter answers
// 70% of its reads), a call of a few hundred records on a large store
// never does, so a call pays for it only once it has read this many
// records (one segment of batches at the default batch size) and has
// another batch to ingest: at most this many records and one batch go
// without it.
const defaultAbsentAfter = segmentBatches * DefaultBatchSize

// committed is what the committer reports for one batch.
type committed struct {
	err error
}

// ingestPipelined is IngestAll on an [Exclusive] engine: one goroutine
// resolves batch k+1 against a snapshot plus the decoded state of the
// batches before it, while another commits batch k, each batch in one
// transaction. Other writers of this store wait until it is done.
func (s *Store) ingestPipelined(ctx context.Context, seq iter.Seq2[identity.Record, error], size int, opts IngestOptions) (Summary, error) {
	progress := opts.Progress
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var absent *absentKeys // loaded once the call has read s.absentAfter records
	read := 0

	total := newSummary()
	work := make(chan *writeSet, 2)
	acks := make(chan committed, 2*segmentBatches)
	go func() {
		defer close(acks)
		for ws := range work {
			err := s.kv.Update(ctx, func(tx Txn) error {
				for _, op := range ws.ops {
					var err error
					if op.del {
						err = tx.Delete(op.key)
					} else {
						err = tx.Set(op.key, op.value)
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
			acks <- committed{err: err}
			if err != nil {
				for range work { // drain: nothing after a failed batch commits
				}
				return
			}
		}
	}()
	var pendingSums []Summary // resolved, not yet committed, in order
	var failed error
	settle := func(block bool) {
		for len(pendingSums) > 0 {
			var a committed
			if block {
				a = <-acks
			} else {
				select {
				case a = <-acks:
				default:
					return
				}
			}
			if a.err != nil && failed == nil {
				failed = a.err
			}
			if failed == nil {
				total.Add(pendingSums[0])
				if progress != nil {
					progress(total)
				}
			}
			pendingSums = pendingSums[1:]
		}
	}

	next, stop := iter.Pull2(seq)
	defer stop()
	var readErr error
	eof := false
	for !eof && failed == nil && ctx.Err() == nil {
		// One segment: a snapshot, and up to segmentBatches batches
		// resolved against it and the cache.
		err := s.kv.View(ctx, func(snap Txn) error {
			t := s.newTxn(&writeSet{read: snap, absent: absent}, s.clock())
			t.file = opts.File
			for i := range segmentBatches {
				recs, quarantined, rerr, more := pullBatch(next, size)
				eof, readErr = !more, rerr
				if n := len(recs) + len(quarantined); n > 0 && i == 0 && absent == nil && read >= s.absentAfter {
					// The snapshot holds every commit so far: the filter
					// starts exact, and each batch adds what it writes.
					// Loaded only once there is a batch to use it.
					var err error
					if absent, err = loadAbsentKeys(ctx, snap); err != nil {
						return err
					}
					s.absentLoads.Add(1)
				}
				read += len(recs) + len(quarantined)
				if len(recs)+len(quarantined) > 0 {
					ws := &writeSet{read: snap, absent: absent}
					t.tx = ws
					t.now, t.asOf = s.clock(), s.asOf()
					sum, err := t.ingestBatch(recs, quarantined)
					if err != nil {
						return err
					}
					if err := t.flush(); err != nil {
						return err
					}
					t.settle()
					settle(false)
					if failed != nil {
						return nil
					}
					pendingSums = append(pendingSums, sum)
					work <- ws
				}
				if eof || readErr != nil || ctx.Err() != nil {
					return nil
				}
				if absent == nil && read >= s.absentAfter {
					return nil // a new segment, to load the filter
				}
			}
			return nil
		})
		if err != nil && failed == nil {
			failed = err
		}
		settle(true) // the next snapshot must see every commit so far
		if readErr != nil {
			break
		}
	}
	close(work)
	settle(true)
	for range acks {
	}
	switch {
	case failed != nil:
		return total, failed
	case readErr != nil:
		return total, readErr
	}
	return total, ctx.Err()
}

// pullBatch reads up to size records and quarantined records from next.
// It returns the first error that is not a record error, and whether the
// sequence may have more.
func pullBatch(next func() (identity.Record, error, bool), size int) (recs []identity.Record, quarantined []*identity.RecordError, err error, more bool) {
	for len(recs)+len(quarantined) < size {
		rec, rerr, ok := next()
		if !ok {
			return recs, quarantined, nil, false
		}
		if rerr != nil {
			var re *identity.RecordError
			if !errors.As(rerr, &re) {
				return recs, quarantined, rerr, false
			}
			quarantined = append(quarantined, re)
			continue
		}
		recs = append(recs, rec)
	}
	return recs, quarantined, nil, true
}

// ingestBatch ingests a batch in t and counts it. A record the resolver
// refuses as invalid is quarantined instead of failing the batch.
func (t *txn) ingestBatch(recs []identity.Record, quarantined []*identity.RecordError) (Summary, error) {
	sum := newSummary()
	for i := range recs {
		r, err := t.ingest(&recs[i])
		if isInvalid(err) {
			q := &identity.RecordError{Channel: recs[i].Channel, Source: recs[i].Source, Line: recs[i].Line, RecordID: recs[i].ID, Reason: ReasonInvalid}
			quarantined = append(quarantined, q)
			continue
		}
		if err != nil {
			return sum, err
		}
		if r.Outcome == OutcomeSuppressed {
			q := &identity.RecordError{Channel: recs[i].Channel, Source: recs[i].Source, Line: recs[i].Line, RecordID: recs[i].ID, Field: r.Suppressed.String(), Reason: ReasonSuppressed}
			quarantined = append(quarantined, q)
			continue
		}
		sum.count(r, &recs[i])
	}
	for _, q := range quarantined {
		if err := t.quarantine(q); err != nil {
			return sum, err
		}
		sum.Read++
		sum.Quarantined[q.Reason]++
	}
	return sum, nil
}
