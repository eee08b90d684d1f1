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
	if sum.Quarantined["invalid_encoding"] == 0 {
		t.Errorf("quarantined %v: the GBK row of pos/stores.csv is missing", sum.Quarantined)
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
// (the first word of the Stage column; "—" for a person quarantined),
// plus those of the rows that are nobody that it says are accepted: the
// stage in brackets at the row's end, or potential for "an anonymous
// profile without purchases".
func readmeStages(t *testing.T) map[string]int {
	t.Helper()
	readme, err := fs.ReadFile(scv.Fixtures(), "README.md")
	if err != nil {
		t.Fatal(err)
	}
	person := regexp.MustCompile(`^P\d\d$`)
	nobody := regexp.MustCompile(`^\| \S+ \| .* \| accepted(.*) \|$`)
	bracketed := regexp.MustCompile(`\((\w+)\)$`)
	counts := map[string]int{}
	people, accepted := 0, 0
	for _, line := range strings.Split(string(readme), "\n") {
		if m := nobody.FindStringSubmatch(line); m != nil {
			accepted++
			if b := bracketed.FindStringSubmatch(m[1]); b != nil {
				counts[b[1]]++
			} else if strings.Contains(m[1], "anonymous profile without purchases") {
				counts["potential"]++
			} else {
				t.Fatalf("an accepted row that is nobody names no stage: %s", line)
			}
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 9 || !person.MatchString(strings.TrimSpace(cells[1])) {
			continue
		}
		people++
		if stage, _, _ := strings.Cut(strings.TrimSpace(cells[7]), " "); stage != "—" {
			counts[stage]++
		}
	}
	if people != 40 || accepted == 0 {
		t.Fatalf("read %d people and %d accepted rows that are nobody from the README, want 40 and some", people, accepted)
	}
	return counts
}
