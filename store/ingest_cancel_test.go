package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// TestIngestAllReturnsWhileSourceIdles cancels a bulk ingest whose source
// then has nothing more for a while (a live stream, stdin): IngestAll must
// return with the context's error without reading on, not wait for the
// source.
func TestIngestAllReturnsWhileSourceIdles(t *testing.T) {
	s := openTestStore(t, t.TempDir(), crypto.GenerateRootKey())
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	defer close(block)
	n := 0
	seq := func(yield func(identity.Record, error) bool) {
		for r, err := range fixtures(t) {
			if n == 4 { // the source has nothing more for now (a live stream)
				<-block
			}
			n++
			if n == 2 {
				cancel() // e.g. the caller gives up while the first batch resolves
			}
			if !yield(r, err) {
				return
			}
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.IngestAll(ctx, seq, IngestOptions{BatchSize: 2})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("IngestAll: %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("IngestAll did not return 3s after ctx was cancelled (records read %d)", n)
	}
}
