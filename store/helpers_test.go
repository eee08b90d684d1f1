package store

import (
	"context"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// asOf is the fixtures' "today" (see testdata/README.md).
var asOf = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func testKeys(root *crypto.RootKey) crypto.KeyProvider {
	return crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil })
}

// openTestStore opens a store; an empty dir means Badger's in-memory mode.
func openTestStore(t testing.TB, dir string, root *crypto.RootKey) *Store {
	t.Helper()
	opts := Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }}
	if dir == "" {
		opts.Badger.InMemory = true
	}
	s, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fixtureProfiles is how many profiles the fixtures make: the 40 people
// of testdata/README.md's cast but P19, the JD pin of jd.json element 9,
// and the seven anonymous records (P19's receipt and six rows that are
// nobody but whose only phone is withheld).
const fixtureProfiles = 47

// fixtures yields every record and quarantine error of testdata/, file by
// file in name order.
func fixtures(t testing.TB) iter.Seq2[identity.Record, error] {
	t.Helper()
	files, err := filepath.Glob("../testdata/*/*")
	if err != nil {
		t.Fatal(err)
	}
	return func(yield func(identity.Record, error) bool) {
		for _, path := range files {
			format, err := identity.ParseFormat(filepath.Base(filepath.Dir(path)))
			if err != nil || strings.HasSuffix(path, ".map") || strings.HasSuffix(path, ".md") {
				continue
			}
			opts := identity.Options{}
			if m, err := os.ReadFile(strings.TrimSuffix(path, filepath.Ext(path)) + ".map"); err == nil {
				if opts.Mapping, err = identity.ParseMapping(strings.TrimSpace(string(m))); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for rec, err := range identity.Decode(f, format, opts) {
				if !yield(rec, err) {
					f.Close()
					return
				}
			}
			f.Close()
		}
	}
}
