package identity

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lateReader counts the reads of r made after done is set.
type lateReader struct {
	r    io.Reader
	done atomic.Bool
	late atomic.Int64
}

func (l *lateReader) Read(p []byte) (int, error) {
	if l.done.Load() {
		l.late.Add(1)
	}
	return l.r.Read(p[:min(len(p), 512)])
}

// wechatLines returns n WeChat user-info lines.
func wechatLines(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"openid":"oTEST%07d","subscribe":1}`+"\n", i)
	}
	return b.Bytes()
}

// waitNoDecodeGoroutines fails the test if goroutines of decodeParallel
// are still running a few seconds after the call that started them has
// returned or panicked.
func waitNoDecodeGoroutines(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(3 * time.Second); ; {
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "identity.decodeParallel") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of decodeParallel still run after it returned:\n%s", stacks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDecodeWorkersLoopPanics checks that a caller's loop body that
// panics, or ends its goroutine (t.Fatal does), stops the cutter and the
// workers as a break does: none is left blocked, and nothing reads the
// input once the panic has left Decode.
func TestDecodeWorkersLoopPanics(t *testing.T) {
	data := wechatLines(20000)
	for _, tc := range []struct {
		name string
		quit func()
	}{
		{"panic", func() { panic("the caller's bug") }},
		{"Goexit", runtime.Goexit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &lateReader{r: bytes.NewReader(data)}
			n := 0
			var wg sync.WaitGroup
			wg.Go(func() {
				defer func() { _ = recover() }()
				for range Decode(r, FormatWeChat, Options{Workers: 3}) {
					if n++; n == 1 {
						tc.quit()
					}
				}
			})
			wg.Wait()
			r.done.Store(true)
			if n != 1 {
				t.Fatalf("the loop ran %d times, want 1", n)
			}
			waitNoDecodeGoroutines(t)
			if late := r.late.Load(); late != 0 {
				t.Errorf("the input was read %d times after the loop's %s left Decode", late, tc.name)
			}
		})
	}
}

// TestDecodeWorkersAdapterPanics checks that a panic while decoding on a
// worker, or while cutting the input, reaches the caller's goroutine, as
// it does without workers, after the records before it: a caller that
// recovers (an HTTP server, a test) sees it there instead of the whole
// process crashing, and no goroutine is left behind.
func TestDecodeWorkersAdapterPanics(t *testing.T) {
	for _, tc := range []struct {
		name      string
		workers   int
		cut       func(sink) error
		wantCount int
	}{
		{"a decoding, on a worker", 3, panicAt300, 300},
		{"a decoding, inline", 1, panicAt300, 300},
		{"the cutter", 3, func(s sink) error {
			for i := range 1000 {
				if i == 150 {
					panic("adapter bug")
				}
				if !s.later(func() (Record, error) { return Record{ID: fmt.Sprint(i)}, nil }) {
					return nil
				}
			}
			return nil
		}, 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				yield := func(rec Record, err error) bool {
					got = append(got, rec.ID)
					return true
				}
				if tc.workers > 1 {
					_ = decodeParallel(tc.workers, tc.cut, yield)
				} else {
					_ = tc.cut(inline(yield))
				}
			}()
			if recovered == nil || !strings.Contains(fmt.Sprint(recovered), "adapter bug") {
				t.Errorf("recovered %v, want the adapter's panic", recovered)
			}
			if len(got) != tc.wantCount {
				t.Errorf("%d records before the panic, want %d", len(got), tc.wantCount)
			}
			for i, id := range got {
				if id != fmt.Sprint(i) {
					t.Fatalf("record %d is %s: out of order", i, id)
				}
			}
			waitNoDecodeGoroutines(t)
		})
	}
}

// panicAt300 cuts 1,000 records whose 301st decoding panics.
func panicAt300(s sink) error {
	for i := range 1000 {
		if !s.later(func() (Record, error) {
			if i == 300 {
				panic("adapter bug")
			}
			return Record{ID: fmt.Sprint(i)}, nil
		}) {
			return nil
		}
	}
	return nil
}
