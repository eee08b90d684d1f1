package identity_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

// outcome is what a test compares of one yield: the whole record, or the
// whole quarantine entry with its error's text.
type outcome struct {
	Rec  identity.Record
	Err  string
	Line int
	Fld  string
	Why  identity.Reason
	ID   string
	Raw  []byte
	At   int64
	Chan identity.Channel
}

func decodeOutcomes(t *testing.T, data []byte, f identity.Format, opts identity.Options) []outcome {
	t.Helper()
	var out []outcome
	for rec, err := range identity.Decode(bytes.NewReader(data), f, opts) {
		o := outcome{Rec: rec}
		if err != nil {
			o.Err = err.Error()
			var re *identity.RecordError
			if errors.As(err, &re) {
				o.Line, o.Fld, o.Why, o.ID, o.Raw, o.At, o.Chan = re.Line, re.Field, re.Reason, re.RecordID, re.Raw, re.Offset, re.Channel
			}
		}
		out = append(out, o)
	}
	return out
}

// TestDecodeWorkers checks that decoding on several workers yields what
// decoding on the caller's goroutine does, record for record and entry for
// entry, in the same order: on every fixture, on each file of a workload
// large enough to span many of the workers' batches, and on inputs whose
// bad records (broken lines, invalid UTF-8, a record over the size cap, a
// broken JSON array) fall between batches.
func TestDecodeWorkers(t *testing.T) {
	type input struct {
		name   string
		format identity.Format
		opts   identity.Options
		data   []byte
	}
	var inputs []input
	for _, fx := range fixtures(t) {
		inputs = append(inputs, input{fx.path, fx.format, fx.opts, fx.read(t)})
	}
	g, err := workload.New(workload.Config{Records: 6000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range workload.Files() {
		data, err := io.ReadAll(g.Open(f))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{f.Name, f.Format, f.Options(), data})
		if f.Format == identity.FormatPOS || f.Format == identity.FormatCSV {
			inputs = append(inputs, input{f.Name + " with bad rows", f.Format, f.Options(), spoilLines(data, "\xff,\xfe\n", `"open quote,`+"\n")})
		} else if !bytes.HasPrefix(data, []byte("[")) {
			inputs = append(inputs, input{f.Name + " with bad lines", f.Format, f.Options(),
				spoilLines(data, "{not json\n", "{\"openid\":\"\xff\"}\n", `{"pad":"`+strings.Repeat("x", identity.MaxRecordBytes)+`"}`+"\n")})
		} else {
			cut := bytes.LastIndex(data[:len(data)/2], []byte("},"))
			broken := append(append(bytes.Clone(data[:cut+2]), `{"a":1]`...), data[cut+2:]...)
			inputs = append(inputs, input{f.Name + " broken in the middle", f.Format, f.Options(), broken})
		}
	}
	for _, in := range inputs {
		want := decodeOutcomes(t, in.data, in.format, in.opts)
		for _, workers := range []int{2, 5, 1 << 30} { // a huge count is bounded, not honoured
			opts := in.opts
			opts.Workers = workers
			got := decodeOutcomes(t, in.data, in.format, opts)
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b identity.Phone) bool { return a == b })); diff != "" {
				t.Errorf("%s on %d workers (-one +many):\n%s", in.name, workers, diff)
			}
		}
	}
}

// spoilLines puts bad, one after another, after every 300th line of data
// (a CSV header stays first).
func spoilLines(data []byte, bad ...string) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	var out []byte
	for i, l := range lines {
		out = append(out, l...)
		if i%300 == 299 {
			out = append(out, bad[(i/300)%len(bad)]...)
		}
	}
	return out
}

// watchedReader fails the test if it is read after its reader has
// returned.
type watchedReader struct {
	r     io.Reader
	done  atomic.Bool
	late  atomic.Int64
	reads atomic.Int64
}

func (w *watchedReader) Read(p []byte) (int, error) {
	w.reads.Add(1)
	if w.done.Load() {
		w.late.Add(1)
	}
	return w.r.Read(p[:min(len(p), 512)]) // small reads: many of them
}

// TestDecodeWorkersStop checks that a caller who stops early stops the
// workers: Decode returns, and nothing reads the input after it has.
func TestDecodeWorkersStop(t *testing.T) {
	g, err := workload.New(workload.Config{Records: 20000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var f workload.File
	var data []byte
	for _, file := range workload.Files() { // the largest file
		b, err := io.ReadAll(g.Open(file))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > len(data) {
			f, data = file, b
		}
	}
	for _, stopAfter := range []int{0, 1, 200, 1000} {
		t.Run(fmt.Sprint(stopAfter), func(t *testing.T) { stopEarly(t, f, data, stopAfter, 3) })
	}
}

// stopEarly decodes data on workers, stops after stopAfter records, and
// checks Decode neither read the input after it returned nor read it
// whole.
func stopEarly(t *testing.T, f workload.File, data []byte, stopAfter, workers int) {
	w := &watchedReader{r: bytes.NewReader(data)}
	opts := f.Options()
	opts.Workers = workers
	n := 0
	for range identity.Decode(w, f.Format, opts) {
		if n == stopAfter {
			break
		}
		n++
	}
	w.done.Store(true)
	readsAtReturn := w.reads.Load()
	time.Sleep(20 * time.Millisecond) // room for a stray goroutine to read
	if late := w.late.Load(); late != 0 {
		t.Errorf("the input was read %d times after Decode returned", late)
	}
	if all := int64(len(data)/512 + 1); readsAtReturn >= all {
		t.Errorf("stopping after %d records, Decode read the whole input (%d reads)", stopAfter, readsAtReturn)
	}
}
