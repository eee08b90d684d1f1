// Package scvtest opens throw-away scv databases for tests, in this module
// and in others, and loads the module's fixtures into them.
//
//	func TestLoyal(t *testing.T) {
//		db := scvtest.Open(t)
//		scvtest.LoadFixtures(t, db)
//		p, err := db.ByPhone(t.Context(), "13912345601")
//		...
//	}
//
// # Keys and clock
//
// Every database [Open] returns lives in memory under a root key of its
// own, made for it and never written anywhere: nothing a test stores
// outlives the test, and no key file is needed. Its clock reads [Now], the
// day the fixtures' README gives every person's lifecycle stage for, so
// stages and churn risks do not drift as the calendar moves on.
//
// # Fixtures
//
// [LoadFixtures] imports [scv.Fixtures]: one made-up brand's exports of
// forty customers from WeChat, Weibo, its stores, Taobao, JD and its CRM,
// with the traps of real China data in them (placeholder phones, masked
// numbers, gifts, refunds). Their README.md, in the same file system,
// lists each person and the stage they should reach.
package scvtest

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// Now is the time a database [Open] returns reads as the current time:
// noon UTC on 2026-11-23, the day for which the fixtures' README.md lists
// every person's lifecycle stage.
var Now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Open returns an empty database in memory with a root key of its own and
// a clock that reads [Now]. It is closed when the test and its subtests
// end; a failure to close fails the test. Open fails the test at once if
// the database cannot be opened.
func Open(t testing.TB) *scv.DB {
	t.Helper()
	return OpenWith(t, scv.Options{})
}

// OpenWith is [Open] with options, for a test of other merge rules, say.
// It sets InMemory; a nil Keys means a root key made for the database, and
// a nil Clock means a clock that reads [Now] as it was when OpenWith was
// called. KeyFile is ignored.
func OpenWith(t testing.TB, opts scv.Options) *scv.DB {
	t.Helper()
	if opts.Keys == nil {
		root := crypto.GenerateRootKey()
		opts.Keys = crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil })
	}
	if opts.Clock == nil {
		now := Now
		opts.Clock = func() time.Time { return now }
	}
	opts.KeyFile, opts.InMemory = "", true
	db, err := scv.Open("", opts)
	if err != nil {
		t.Fatalf("scvtest: open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("scvtest: close: %v", err)
		}
	})
	return db
}

// LoadFixtures imports every file of [scv.Fixtures] into db, each read as
// the format its directory is named after, with default options and the
// column mapping of its .map sidecar, and returns the totals. Records the
// fixtures mean to be refused are quarantined with their reasons, as an
// import would; any other error fails the test at once.
func LoadFixtures(t testing.TB, db *scv.DB) scv.Summary {
	t.Helper()
	fsys := scv.Fixtures()
	files, err := fixtureFiles(fsys)
	if err != nil {
		t.Fatalf("scvtest: fixtures: %v", err)
	}
	total := scv.Summary{Quarantined: map[identity.Reason]int{}, Warnings: map[identity.Reason]int{}}
	for _, fx := range files {
		f, err := fsys.Open(fx.name)
		if err != nil {
			t.Fatalf("scvtest: fixtures: %v", err)
		}
		sum, err := db.IngestAll(context.Background(), identity.Decode(f, fx.format, fx.opts), scv.IngestOptions{File: path.Base(fx.name)})
		f.Close()
		if err != nil {
			t.Fatalf("scvtest: fixtures: %s: %v", fx.name, err)
		}
		total.Add(sum)
	}
	return total
}

// fixture is one file of the fixtures and how to read it.
type fixture struct {
	name   string // slash-separated, relative to the fixtures' root
	format identity.Format
	opts   identity.Options
}

// fixtureFiles lists the files of fsys in a directory named after a
// format, in name order, with the mapping of a NAME.map sidecar for a CSV
// file; .map and .md files are not records.
func fixtureFiles(fsys fs.FS) ([]fixture, error) {
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []fixture
	for _, d := range dirs {
		format, err := identity.ParseFormat(d.Name())
		if !d.IsDir() || err != nil {
			continue
		}
		entries, err := fs.ReadDir(fsys, d.Name())
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			ext := path.Ext(e.Name())
			if e.IsDir() || ext == ".map" || ext == ".md" || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			fx := fixture{name: d.Name() + "/" + e.Name(), format: format}
			if m, err := fs.ReadFile(fsys, strings.TrimSuffix(fx.name, ext)+".map"); err == nil {
				if fx.opts.Mapping, err = identity.ParseMapping(strings.TrimSpace(string(m))); err != nil {
					return nil, fmt.Errorf("%s.map: %w", strings.TrimSuffix(fx.name, ext), err)
				}
			}
			out = append(out, fx)
		}
	}
	return out, nil
}
