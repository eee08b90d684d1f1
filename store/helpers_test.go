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

// fixtureFile is one input file of testdata/, with the format and options
// it is read with.
type fixtureFile struct {
	path   string
	format identity.Format
	opts   identity.Options
}

// fixtureFiles lists the input files of testdata/ in name order: every
// file under a format's directory but the column maps (.map, read as the
// options of the file beside them) and the notes (.md).
func fixtureFiles(t testing.TB) []fixtureFile {
	t.Helper()
	paths, err := filepath.Glob("../testdata/*/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []fixtureFile
	for _, path := range paths {
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
		out = append(out, fixtureFile{path, format, opts})
	}
	return out
}

// fixtures yields every record and quarantine error of testdata/, file by
// file in name order.
func fixtures(t testing.TB) iter.Seq2[identity.Record, error] {
	t.Helper()
	files := fixtureFiles(t)
	return func(yield func(identity.Record, error) bool) {
		for _, ff := range files {
			f, err := os.Open(ff.path)
			if err != nil {
				t.Fatal(err)
			}
			for rec, err := range identity.Decode(f, ff.format, ff.opts) {
				if !yield(rec, err) {
					f.Close()
					return
				}
			}
			f.Close()
		}
	}
}
