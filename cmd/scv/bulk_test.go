package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestImportBulk checks that "import --bulk" of the fixtures (every file
// without a mapping in one bulk load into the empty database, then the
// mapped ones, batched into the database with data) gives the counts
// and stats a plain import gives, and a clean verify.
func TestImportBulk(t *testing.T) {
	plain := newCLI(t)
	want := plain.importFixtures()
	bulk := newCLI(t)
	var got importSummary
	got.Summary = newSummary()
	var unmapped []string
	var mapped []fixtureGroup
	for _, g := range fixtureGroups(t) {
		if g.mapping == "" {
			unmapped = append(unmapped, g.files...)
		} else {
			mapped = append(mapped, g)
		}
	}
	runs := [][]string{append([]string{"import", "--bulk", "--json", "--format", "auto"}, unmapped...)}
	for _, g := range mapped {
		runs = append(runs, append([]string{"import", "--bulk", "--json", "--format", string(g.format), "--map", g.mapping}, g.files...))
	}
	for _, args := range runs {
		var sum importSummary
		if err := json.Unmarshal([]byte(bulk.ok(args...).stdout), &sum); err != nil {
			t.Fatal(err)
		}
		got.Summary.Add(sum.Summary)
	}
	counts := func(s importSummary) importSummary {
		return importSummary{Summary: s.Summary}.withTotals()
	}
	w, g := counts(want), counts(got)
	for _, s := range []*importSummary{&w, &g} {
		s.Unchanged, s.Updated, s.Stale, s.ProfilesCreated, s.ProfilesMerged = 0, 0, 0, 0, 0 // depend on the order
		s.Files = nil
	}
	if diff := cmp.Diff(w, g, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("summary (-import +import --bulk):\n%s", diff)
	}
	stats := func(c *cli) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(c.ok("stats", "--json").stdout), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "forwards")
		return m
	}
	if diff := cmp.Diff(stats(plain), stats(bulk)); diff != "" {
		t.Errorf("stats (-import +import --bulk):\n%s", diff)
	}
	bulk.ok("verify")
}
