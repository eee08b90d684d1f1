package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// asOfDay is the fixtures' "today" (testdata/README.md).
const asOfDay = "2026-11-23"

// fixturesDir is the repository's fixtures.
var fixturesDir = filepath.Join("..", "..", "testdata")

// result is what one run of the command printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the command in-process against one database and key, both in
// a test directory.
type cli struct {
	t       *testing.T
	dir     string // the test's directory
	db, key string
	extra   []string // flags added to every database command
}

// newCLI returns a cli with a new key file and a database path (not yet
// created), and the environment cleared of SCV_ variables.
func newCLI(t *testing.T) *cli {
	t.Helper()
	for _, v := range []string{"SCV_KEY", "SCV_KEY_FILE", "SCV_DB", "SCV_ERASURE_JOURNAL", "SCV_AS_OF"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	c := &cli{t: t, dir: dir, db: filepath.Join(dir, "db"), key: filepath.Join(dir, "root.key")}
	if err := os.WriteFile(c.key, scv.GenerateKey(), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs the command with stdin empty.
func run1(t *testing.T, args ...string) result {
	t.Helper()
	return runIn(t, "", args...)
}

// runIn runs the command with stdin.
func runIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// run runs a database command with the cli's key, database and --as-of
// the fixtures' day; flags come after the arguments, as an operator may
// write them.
func (c *cli) run(args ...string) result {
	c.t.Helper()
	all := append(append([]string{}, args...), "--db", c.db, "--key-file", c.key, "--as-of", asOfDay)
	return run1(c.t, append(all, c.extra...)...)
}

// ok runs a database command and fails the test unless it succeeds.
func (c *cli) ok(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != exitOK {
		c.t.Fatalf("scv %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// importFixtures imports every fixture through the command, one import
// per format directory, and returns the summed summaries.
func (c *cli) importFixtures() importSummary {
	c.t.Helper()
	var total importSummary
	total.Summary = newSummary()
	for _, group := range fixtureGroups(c.t) {
		args := append([]string{"import", "--json", "--format", string(group.format)}, group.files...)
		if group.mapping != "" {
			args = append(args, "--map", group.mapping)
		}
		var sum importSummary
		if err := json.Unmarshal([]byte(c.ok(args...).stdout), &sum); err != nil {
			c.t.Fatalf("import --json: %v", err)
		}
		total.Summary.Add(sum.Summary)
		total.Files = append(total.Files, sum.Files...)
	}
	return total
}

// fixtureGroup is the fixture files one import reads: one format, one
// mapping.
type fixtureGroup struct {
	format  identity.Format
	mapping string
	files   []string
}

// fixtureGroups groups the fixtures by format and mapping sidecar.
func fixtureGroups(t *testing.T) []fixtureGroup {
	t.Helper()
	files, err := fixtureFiles(fixturesDir)
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", fixturesDir, err)
	}
	var groups []fixtureGroup
	for _, fx := range files {
		mapping := ""
		if fx.opts.Mapping != nil {
			b, err := os.ReadFile(strings.TrimSuffix(fx.path, filepath.Ext(fx.path)) + ".map")
			if err != nil {
				t.Fatal(err)
			}
			mapping = strings.TrimSpace(string(b))
		}
		if n := len(groups); n > 0 && groups[n-1].format == fx.format && groups[n-1].mapping == mapping {
			groups[n-1].files = append(groups[n-1].files, fx.path)
			continue
		}
		groups = append(groups, fixtureGroup{format: fx.format, mapping: mapping, files: []string{fx.path}})
	}
	return groups
}

// decodeFixtures decodes every fixture with the library, as the command
// reads them.
func decodeFixtures(t *testing.T) []identity.Record {
	t.Helper()
	files, err := fixtureFiles(fixturesDir)
	if err != nil {
		t.Fatal(err)
	}
	var recs []identity.Record
	for _, fx := range files {
		f, err := os.Open(fx.path)
		if err != nil {
			t.Fatal(err)
		}
		for rec, err := range identity.Decode(f, fx.format, fx.opts) {
			if err == nil {
				recs = append(recs, rec)
			}
		}
		f.Close()
	}
	return recs
}

// jsonLines decodes one JSON value per line.
func jsonLines[T any](t *testing.T, s string) []T {
	t.Helper()
	var out []T
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// profileJSON is the part of the profile JSON the tests read.
type profileJSON struct {
	ID      string          `json:"id"`
	Phones  []string        `json:"phones"`
	Name    string          `json:"name"`
	Stage   string          `json:"stage"`
	Risk    string          `json:"risk"`
	Consent map[string]bool `json:"consent"`
	Metrics struct {
		Orders   int   `json:"orders"`
		SpendFen int64 `json:"spend_fen"`
	} `json:"metrics"`
	Sources []struct {
		Channel  string `json:"channel"`
		Source   string `json:"source"`
		RecordID string `json:"record_id"`
	} `json:"sources"`
}
