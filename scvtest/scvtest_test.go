package scvtest_test

import (
	"errors"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
	"github.com/scv-go/scv/scvtest"
)

// TestOpen checks that Open gives an empty database whose clock reads Now,
// and closes it when the test that opened it ends.
func TestOpen(t *testing.T) {
	var db *scv.DB
	t.Run("open", func(t *testing.T) {
		db = scvtest.Open(t)
		st, err := db.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Profiles != 0 || st.Records != 0 {
			t.Errorf("a new database holds %d profiles, %d records", st.Profiles, st.Records)
		}
	})
	if _, err := db.Stats(t.Context()); !errors.Is(err, scv.ErrClosed) {
		t.Errorf("Stats after the subtest ended: %v, want ErrClosed", err)
	}
}

// TestLoadFixtures loads the fixtures and checks the stages reached as of
// Now against the cast in the fixtures' README.md, and that read =
// accepted + quarantined.
func TestLoadFixtures(t *testing.T) {
	db := scvtest.Open(t)
	sum := scvtest.LoadFixtures(t, db)
	quarantined := 0
	for _, n := range sum.Quarantined {
		quarantined += n
	}
	if sum.Read == 0 || sum.Read != sum.Accepted+quarantined {
		t.Errorf("read %d, accepted %d, quarantined %d", sum.Read, sum.Accepted, quarantined)
	}
	if sum.Quarantined["placeholder_phone"] == 0 {
		t.Errorf("quarantined %v: P19's placeholder phone is missing", sum.Quarantined)
	}
	st, err := db.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for stage, n := range st.Stages {
		if n > 0 {
			got[string(stage)] = n
		}
	}
	if diff := cmp.Diff(readmeStages(t), got); diff != "" {
		t.Errorf("stages as of %s (-README.md +LoadFixtures):\n%s", scvtest.Now.Format("2006-01-02"), diff)
	}
	p, err := db.ByPhone(t.Context(), "139 1234 5601") // P01, the loyal customer
	if err != nil {
		t.Fatal(err)
	}
	if p.Stage != scv.StageLoyal || p.Metrics.Orders != 8 {
		t.Errorf("P01: stage %s, %d paid orders; want loyal, 8", p.Stage, p.Metrics.Orders)
	}
}

// readmeStages counts the stages the fixtures' README.md gives its cast
// (the first word of the Stage column; P19, quarantined, has none), plus
// the anonymous JD pin its "rows that are nobody" keep as potential.
func readmeStages(t *testing.T) map[string]int {
	t.Helper()
	readme, err := fs.ReadFile(scv.Fixtures(), "README.md")
	if err != nil {
		t.Fatal(err)
	}
	person := regexp.MustCompile(`^P\d\d$`)
	counts := map[string]int{"potential": 1}
	people := 0
	for _, line := range strings.Split(string(readme), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 9 || !person.MatchString(strings.TrimSpace(cells[1])) {
			continue
		}
		people++
		if stage, _, _ := strings.Cut(strings.TrimSpace(cells[7]), " "); stage != "—" {
			counts[stage]++
		}
	}
	if people != 40 {
		t.Fatalf("read %d people from the README's cast, want 40", people)
	}
	return counts
}
