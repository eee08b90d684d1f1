package store

import (
	"testing"

	"github.com/scv-go/scv/internal/pgtest"
)

// The conformance suite: the store's engine-sensitive tests (bank,
// crash, erase and restore, verify, watch, idempotence) run through
// forEachEngine, once on Badger and once on PostgreSQL. Without a
// PostgreSQL server (pgtest) the postgres subtests skip with one line
// saying how to run them.

// testEngine names a database for a test on one engine.
type testEngine struct {
	name string
	// dir returns a new, empty database: a Badger directory ("" for
	// Badger in memory, with openTestStore) or a PostgreSQL URL.
	dir func(t testing.TB) string
}

func (e testEngine) postgres() bool { return e.name == "postgres" }

// inMemory and onDisk are the Badger databases a test asks for.
var (
	inMemory = func(testing.TB) string { return "" }
	onDisk   = func(t testing.TB) string { return t.TempDir() }
)

// forEachEngine runs fn as a subtest per engine: Badger with badgerDir's
// databases, and PostgreSQL with a table of its own per database.
func forEachEngine(t *testing.T, badgerDir func(testing.TB) string, fn func(t *testing.T, e testEngine)) {
	t.Helper()
	for _, e := range []testEngine{
		{name: "badger", dir: badgerDir},
		{name: "postgres", dir: func(t testing.TB) string { return pgtest.URL(t) }},
	} {
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}
