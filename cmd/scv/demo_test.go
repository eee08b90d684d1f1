package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readmeStages counts the stages testdata/README.md expects for its cast
// as of 2026-11-23 (first word of the Stage column; P19, quarantined,
// has none).
func readmeStages(t *testing.T) map[string]int {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(fixturesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	people := 0
	for _, line := range strings.Split(string(readme), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 9 || !regexp.MustCompile(`^P\d\d$`).MatchString(strings.TrimSpace(cells[1])) {
			continue
		}
		people++
		stage, _, _ := strings.Cut(strings.TrimSpace(cells[7]), " ")
		if stage == "—" {
			continue
		}
		counts[stage]++
	}
	if people != 40 {
		t.Fatalf("read %d people from the README's cast, want 40", people)
	}
	// "Rows that are nobody": the accepted ones name their profile's
	// stage in brackets.
	nobody := regexp.MustCompile(`^\| \S+ \| .* \| accepted.*\((\w+)\) \|$`)
	extra := 0
	for _, line := range strings.Split(string(readme), "\n") {
		if m := nobody.FindStringSubmatch(line); m != nil {
			counts[m[1]]++
			extra++
		}
	}
	if extra != 7 {
		t.Fatalf("read %d accepted rows that are nobody from the README, want 7", extra)
	}
	return counts
}

// TestDemo runs the demo as of the fixtures' day and checks its stage
// summary against testdata/README.md, its quarantine and its explained
// profile, and that it leaves nothing behind.
func TestDemo(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("SCV_DB", filepath.Join(tmp, "must-not-be-used"))
	r := run1(t, "demo", "--fixtures", fixturesDir, "--as-of", asOfDay)
	if r.code != exitOK {
		t.Fatalf("demo: exit %d\n%s", r.code, r.stderr)
	}
	out := r.stdout
	got := map[string]int{}
	section := ""
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, " ") {
			section = line
			continue
		}
		f := strings.Fields(line)
		if strings.HasPrefix(section, "profiles by stage") && len(f) == 2 && f[0] != "total" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("stage line %q", line)
			}
			got[f[0]] = n
		}
	}
	want := readmeStages(t)
	for stage := range got {
		if got[stage] == 0 && want[stage] == 0 {
			delete(got, stage)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stages as of %s (-testdata/README.md +demo):\n%s\n%s", asOfDay, diff, out)
	}
	for _, s := range []string{
		"profiles by stage, as of 2026-11-23",
		"pos/stores.csv", "csv/survey.csv", "wechat/miniprogram.json", "weibo/leads.jsonl", "ecommerce/jd.json",
		"quarantined by reason", "no_identifier", "invalid_encoding",
		"the loyal customer", "王芳", "loyal", "what links each record", "member (pos)",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("demo output lacks %q", s)
		}
	}
	// read = accepted + quarantined, file by file and in total.
	rows := regexp.MustCompile(`(?m)^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)$`).FindAllStringSubmatch(out, -1)
	if len(rows) != 11 {
		t.Errorf("%d import rows, want 10 files and a total", len(rows))
	}
	for _, row := range rows {
		read, _ := strconv.Atoi(row[2])
		acc, _ := strconv.Atoi(row[3])
		q, _ := strconv.Atoi(row[4])
		if read != acc+q || read == 0 {
			t.Errorf("%s: read %d, accepted %d, quarantined %d", row[1], read, acc, q)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("demo left %d entries in the temporary directory", len(left))
	}
}

// TestDemoWithoutFixtures checks the message when run elsewhere.
func TestDemoWithoutFixtures(t *testing.T) {
	r := run1(t, "demo", "--fixtures", t.TempDir())
	if r.code != exitUsage || !strings.Contains(r.stderr, "no fixtures") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestDemoAnywhere runs the demo without --fixtures in a directory with
// no fixtures: it imports the fixtures embedded in the module, file for
// file what it reads from the repository's testdata.
func TestDemoAnywhere(t *testing.T) {
	abs, err := filepath.Abs(fixturesDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", t.TempDir())
	t.Chdir(t.TempDir())
	rows := regexp.MustCompile(`(?m)^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)$`)
	var got [2][][]string
	for i, args := range [][]string{{"demo", "--as-of", asOfDay}, {"demo", "--fixtures", abs, "--as-of", asOfDay}} {
		r := run1(t, args...)
		if r.code != exitOK {
			t.Fatalf("%s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		got[i] = rows.FindAllStringSubmatch(r.stdout, -1)
	}
	if len(got[0]) != 11 {
		t.Errorf("%d import rows without --fixtures, want 10 files and a total", len(got[0]))
	}
	if diff := cmp.Diff(got[1], got[0]); diff != "" {
		t.Errorf("import rows (-repository testdata +embedded):\n%s", diff)
	}
}
