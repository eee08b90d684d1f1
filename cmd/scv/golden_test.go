package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestJSONGolden checks the JSON every command prints against the golden
// files in testdata/golden, one per case, each value indented: the shapes
// docs/cli.md documents. Profile ids and cursors, which differ from run to
// run, read "<id>" and "<cursor>"; wall-clock times (of quarantine
// entries) read "<time>". Listings ordered by profile id are sorted. Run with -update to
// rewrite the files after a deliberate change, and update docs/cli.md.
func TestJSONGolden(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	tests := []struct {
		name, reason string
		args         []string
		sorted       bool // the lines come in profile-id order
	}{
		{"import", "the summary of an import: totals, quarantined by reason and in all, per file",
			[]string{"import", "--json", "--format", "pos", fixturesDir + "/pos/stores.csv"}, false},
		{"stats", "counts by stage and risk", []string{"stats", "--json"}, false},
		{"get-detail", "a profile with the orders, interactions, surveys and stage history behind it",
			[]string{"get", "--json", "--detail", "13698765403"}, false},
		{"stage", "a listing: one profile per line (TestStageJSONCursor checks the cursor line of a cut one)",
			[]string{"stage", "loyal", "--json"}, true},
		{"explain", "what links each record of a profile", []string{"explain", "--json", "13698765403"}, false},
		{"explain-pair", "why two records are apart",
			[]string{"explain", "--json", "--pair", "pos/pos/ZZ04/ZZ04-26022001", "pos/pos/ZZ04/ZZ04-26051601"}, false},
		{"quarantine", "the records not imported, with their reasons", []string{"quarantine", "--json"}, false},
		{"unmerge-get", "a phone on two profiles after an unmerge: one line each",
			[]string{"get", "--json", "13912345601"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "unmerge-get" {
				c.ok("unmerge", "csv/csv/C0001")
			}
			got := goldenJSON(t, c.ok(tc.args...).stdout, tc.sorted)
			path := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("scv %s: %s; output differs from %s (-want +got):\n%s", strings.Join(tc.args, " "), tc.reason, path, diff)
			}
		})
	}
}

var (
	goldenID     = regexp.MustCompile(`"[0-9a-f]{32}"`)
	goldenCursor = regexp.MustCompile(`"cursor":"[^"]*"`)
	goldenTime   = regexp.MustCompile(`"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z"`)
)

// goldenJSON returns JSON lines with ids and cursors replaced, sorted if
// asked, and each value indented.
func goldenJSON(t *testing.T, out string, sorted bool) string {
	t.Helper()
	var lines []string
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		line = goldenID.ReplaceAllString(line, `"<id>"`)
		line = goldenCursor.ReplaceAllString(line, `"cursor":"<cursor>"`)
		line = goldenTime.ReplaceAllString(line, `"time":"<time>"`)
		lines = append(lines, line)
	}
	if sorted {
		slices.Sort(lines)
	}
	var b bytes.Buffer
	for _, line := range lines {
		if err := json.Indent(&b, []byte(line), "", "  "); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		b.WriteString("\n")
	}
	return b.String()
}
