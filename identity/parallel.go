package identity

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// A sink takes the records a decoder cuts from its input, in input order.
type sink interface {
	// put takes a result known when the record is cut: a quarantine
	// entry for bytes that are no record. It reports whether to go on.
	put(rec Record, err error) bool
	// later takes a record's decoding, which it runs now or on another
	// goroutine; decode must own what it reads. It reports whether to go
	// on.
	later(decode func() (Record, error)) bool
	// deferred reports whether later runs decodings after it returns.
	deferred() bool
}

// inline is the sink of a decoder that runs on the caller's goroutine.
type inline func(Record, error) bool

func (y inline) put(rec Record, err error) bool           { return y(rec, err) }
func (y inline) later(decode func() (Record, error)) bool { return y(decode()) }
func (inline) deferred() bool                             { return false }

// parallelBatch is how many records a worker of [decodeParallel] takes at
// a time: enough to pay for a hand-off, few enough to keep the workers
// even.
const parallelBatch = 128

// A decodeJob is one record cut from the input: its result, or the
// decoding that makes it.
type decodeJob struct {
	decode func() (Record, error)
	rec    Record
	err    error
	panic  *decodePanic // the decoding's panic, raised again where it is yielded
}

// run runs the job's decoding, keeping a panic for the caller's goroutine.
func (j *decodeJob) run() {
	defer func() {
		if v := recover(); v != nil {
			j.panic = &decodePanic{value: v, stack: debug.Stack()}
		}
	}()
	j.rec, j.err = j.decode()
	j.decode = nil
}

// A decodePanic is a panic of a decoding or of the cutter of
// [decodeParallel], raised again on the caller's goroutine, where a panic
// of [Decode] without workers would be: a caller that recovers (an HTTP
// server, a test) can, and the stack of the goroutine that panicked is
// kept.
type decodePanic struct {
	value any
	stack []byte
}

func (p *decodePanic) Error() string {
	return fmt.Sprintf("identity: panic on a decoding goroutine: %v\n\n%s", p.value, p.stack)
}

// Unwrap returns the panic's value if it is an error.
func (p *decodePanic) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

// A decodeBatch is records in input order; done is closed when every
// decoding in it has run.
type decodeBatch struct {
	jobs []decodeJob
	done chan struct{}
}

// fanOut is the sink of [decodeParallel]: it hands batches to the
// workers and, in the same order, to the goroutine that yields them.
type fanOut struct {
	batch       *decodeBatch
	work, order chan<- *decodeBatch
	stop        <-chan struct{}
}

func (f *fanOut) add(j decodeJob) bool {
	if f.batch == nil {
		f.batch = &decodeBatch{jobs: make([]decodeJob, 0, parallelBatch), done: make(chan struct{})}
	}
	f.batch.jobs = append(f.batch.jobs, j)
	return len(f.batch.jobs) < parallelBatch || f.flush()
}

// flush sends the batch being filled; it reports false once the caller
// has stopped.
func (f *fanOut) flush() bool {
	b := f.batch
	if b == nil {
		return true
	}
	f.batch = nil
	for _, ch := range []chan<- *decodeBatch{f.order, f.work} {
		select {
		case ch <- b:
		case <-f.stop:
			if ch == f.work { // ordered but never run: release its reader
				close(b.done)
			}
			return false
		}
	}
	return true
}

func (f *fanOut) put(rec Record, err error) bool { return f.add(decodeJob{rec: rec, err: err}) }
func (f *fanOut) later(decode func() (Record, error)) bool {
	return f.add(decodeJob{decode: decode})
}
func (*fanOut) deferred() bool { return true }

// decodeParallel runs cut on a goroutine of its own and the decodings it
// cuts on workers goroutines, and yields the results in input order. It
// returns cut's error, and only once cut and every worker have returned,
// so that nothing reads the input after it: also when yield panics or
// ends its goroutine. A panic of cut or of a decoding is raised again on
// the caller's goroutine, after the records before it.
func decodeParallel(workers int, cut func(sink) error, yield func(Record, error) bool) error {
	work := make(chan *decodeBatch, workers)
	order := make(chan *decodeBatch, 4*workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range work {
				for i := range b.jobs {
					if j := &b.jobs[i]; j.decode != nil {
						j.run()
					}
				}
				close(b.done)
			}
		})
	}
	var err error
	var cutPanic *decodePanic
	wg.Go(func() {
		defer close(work)
		defer close(order)
		f := &fanOut{work: work, order: order, stop: stop}
		defer func() {
			if v := recover(); v != nil {
				cutPanic = &decodePanic{value: v, stack: debug.Stack()}
				f.flush() // the records cut before it
			}
		}()
		err = cut(f)
		f.flush()
	})
	// However this returns (yield returned false, yield or a decoding
	// panicked, yield ended its goroutine), the cutter and the workers
	// have stopped when it has.
	defer func() {
		close(stop)
		for b := range order {
			<-b.done
		}
		wg.Wait()
	}()
	for b := range order {
		<-b.done
		for i := range b.jobs {
			j := &b.jobs[i]
			if j.panic != nil {
				panic(j.panic)
			}
			if !yield(j.rec, j.err) {
				return nil
			}
		}
	}
	wg.Wait()
	if cutPanic != nil {
		panic(cutPanic)
	}
	return err
}
