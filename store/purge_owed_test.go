package store

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
)

// keepingKV is an engine that keeps old versions: Badger without its
// Purger, as PostgreSQL keeps dead rows until VACUUM.
type keepingKV struct{ KV }

// Retention implements [Retainer].
func (keepingKV) Retention() string { return "until VACUUM reclaims the dead rows" }

// TestErasureOwedOnEngineThatKeepsVersions erases on an engine that
// cannot purge: the erasure is done (the profile is gone), but the purge
// stays owed, Verify says so and what the engine keeps, and reopening
// does not journal the erasure again.
func TestErasureOwedOnEngineThatKeepsVersions(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	journal := filepath.Join(t.TempDir(), "erasures.jsonl")
	open := func(kv KV) *Store {
		t.Helper()
		s, err := OpenKV(ctx, keepingKV{kv}, root, Options{Clock: func() time.Time { return asOf }, ErasureJournal: journal})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	b, err := OpenBadger(BadgerOptions{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	s := open(b)
	defer s.Close()
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := s.ByIdentifier(ctx, phoneID(t, "13912345601"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // what Open and Maintain try again changes nothing
		if err := s.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var owed []string
	for _, pr := range r.Problems {
		if strings.HasPrefix(pr, "U ") {
			owed = append(owed, pr)
		}
	}
	if len(owed) == 0 {
		t.Error("Verify reports no owed purge after an erasure on an engine that cannot purge")
	}
	for _, pr := range owed {
		if !strings.Contains(pr, "until VACUUM reclaims the dead rows") {
			t.Errorf("Verify's owed purge %q does not say what the engine keeps", pr)
		}
	}
	f, err := os.Open(journal)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines++
	}
	if diff := cmp.Diff(1, lines); diff != "" {
		t.Errorf("journal lines (-want +got):\n%s", diff)
	}
}
