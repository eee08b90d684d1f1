package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// suggestCRM holds two pairs the phone key cannot link: Wang Fang with two
// digits of her mobile swapped, Li Na with one digit wrong; and Zhang Wei,
// alone.
const suggestCRM = `id,mobile,name,birthday
c1,139 1234 5601,王芳,1990-05-01
c2,139 1234 5610,王芳,1990-05-01
c3,138 0013 5602,李娜,1988-02-03
c4,138 0013 5603,李娜,1988-02-03
c5,137 0000 1111,张伟,1975-12-12
`

func newSuggestCLI(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	path := filepath.Join(c.dir, "crm.csv")
	if err := os.WriteFile(path, []byte(suggestCRM), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("import", "--format", "csv", "--source", "crm", "--map", "record_id=id,phone=mobile,name=name,birthday=birthday", path)
	return c
}

// suggestionOut is the part of a --json line the tests read.
type suggestionOut struct {
	A           string  `json:"a"`
	B           string  `json:"b"`
	Probability float64 `json:"probability"`
	Evidence    struct{ Name, Birthday, Phone string }
	Names       []string `json:"names"`
}

func TestSuggestCommand(t *testing.T) {
	c := newSuggestCLI(t)
	id := func(phone string) string {
		return jsonLines[profileJSON](t, c.ok("get", "--json", phone).stdout)[0].ID
	}
	wang1, wang2, li1, li2 := id("13912345601"), id("13912345610"), id("13800135602"), id("13800135603")
	pairOf := func(a, b string) [2]string { return [2]string{min(a, b), max(a, b)} }

	got := jsonLines[suggestionOut](t, c.ok("suggest", "--json").stdout)
	if len(got) != 2 {
		t.Fatalf("suggest --json: %d pairs, want 2: %+v", len(got), got)
	}
	want := map[[2]string]string{pairOf(wang1, wang2): "transposed", pairOf(li1, li2): "one_digit"}
	for _, sg := range got {
		phone, ok := want[[2]string{sg.A, sg.B}]
		if !ok {
			t.Errorf("unexpected pair %s %s", sg.A, sg.B)
			continue
		}
		if sg.Evidence.Name != "exact" || sg.Evidence.Birthday != "exact" || sg.Evidence.Phone != phone || sg.Probability < 0.8 {
			t.Errorf("pair %s %s: probability %v, evidence %+v; want at least the default, name exact, birthday exact, phone %s", sg.A, sg.B, sg.Probability, sg.Evidence, phone)
		}
		if sg.Names != nil {
			t.Errorf("names printed without --show-names: %v", sg.Names)
		}
	}

	// Human output: ids and evidence, no names or phones unless asked.
	human := c.ok("suggest").stdout
	for _, s := range []string{wang1, wang2, li1, li2, "phone transposed", "phone one_digit"} {
		if !strings.Contains(human, s) {
			t.Errorf("suggest output lacks %q:\n%s", s, human)
		}
	}
	for _, secret := range []string{"王芳", "李娜", "5601", "1990"} {
		if strings.Contains(human, secret) {
			t.Errorf("suggest output shows %q without --show-names:\n%s", secret, human)
		}
	}
	if named := c.ok("suggest", "--show-names").stdout; !strings.Contains(named, "王芳") || !strings.Contains(named, "李娜") {
		t.Errorf("suggest --show-names lacks the names:\n%s", named)
	}
	named := jsonLines[suggestionOut](t, c.ok("suggest", "--json", "--show-names").stdout)
	if len(named) != 2 || len(named[0].Names) != 2 || named[0].Names[0] != named[0].Names[1] {
		t.Errorf("suggest --json --show-names: %+v, want two names per pair, equal", named)
	}

	// --limit cuts and says so; one profile's pairs; thresholds.
	r := c.ok("suggest", "--limit", "1")
	if strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stdout, "1 more pair") {
		t.Errorf("suggest --limit 1:\n%s", r.stdout)
	}
	one := jsonLines[suggestionOut](t, c.ok("suggest", "--json", "138 0013 5602").stdout)
	if len(one) != 1 || [2]string{one[0].A, one[0].B} != pairOf(li1, li2) {
		t.Errorf("suggest PHONE: %+v, want the Li Na pair", one)
	}
	// A threshold above the most probable pair lists none; --min-score,
	// the first name of the flag, still works.
	top := 0.0
	for _, sg := range got {
		top = max(top, sg.Probability)
	}
	above := strconv.FormatFloat(top+(1-top)/2, 'g', -1, 64)
	for _, flag := range []string{"--min-probability", "--min-score"} {
		if r := c.ok("suggest", flag, above); !strings.Contains(r.stdout, "no suggestions") {
			t.Errorf("suggest %s %s (the best pair has %v):\n%s", flag, above, top, r.stdout)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"suggest", "--min-probability", "0"}, exitUsage},
		{[]string{"suggest", "--min-probability", "1.5"}, exitUsage},
		{[]string{"suggest", "--min-score", "1.5"}, exitUsage},
		{[]string{"suggest", "--limit", "-1"}, exitUsage},
		{[]string{"suggest", "--max-block", "0"}, exitUsage},
		{[]string{"suggest", "a", "b"}, exitUsage},
		{[]string{"suggest", "00000000000000000000000000000000"}, exitNotFound},
	} {
		if r := c.run(tc.args...); r.code != tc.code {
			t.Errorf("scv %s: exit %d, want %d; stderr: %s", strings.Join(tc.args, " "), r.code, tc.code, r.stderr)
		}
	}
	if r := run1(t, "help", "suggest"); r.code != exitOK || !strings.Contains(r.stdout, "-show-names") || !strings.Contains(r.stdout, "Nothing is merged") {
		t.Errorf("help suggest: exit %d\n%s", r.code, r.stdout)
	}
}

// TestSuggestLinkAbove links the suggested pairs above a probability, and
// explain names the links.
func TestSuggestLinkAbove(t *testing.T) {
	c := newSuggestCLI(t)
	id := func(phone string) string {
		return jsonLines[profileJSON](t, c.ok("get", "--json", phone).stdout)[0].ID
	}
	if id("13912345601") == id("13912345610") {
		t.Fatal("the two Wang Fang profiles are one before linking")
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"suggest", "--link-above", "0.4"}, exitUsage},
		{[]string{"suggest", "--link-above", "1.5"}, exitUsage},
		{[]string{"suggest", "--link-above", "0.9", "13912345601"}, exitUsage},
	} {
		if r := c.run(tc.args...); r.code != tc.code {
			t.Errorf("scv %s: exit %d, want %d; stderr: %s", strings.Join(tc.args, " "), r.code, tc.code, r.stderr)
		}
	}
	r := c.ok("suggest", "--link-above", "0.8")
	if !strings.Contains(r.stdout, "linked 2 of 2 pairs") {
		t.Fatalf("suggest --link-above 0.8:\n%s", r.stdout)
	}
	if id("13912345601") != id("13912345610") || id("13800135602") != id("13800135603") {
		t.Error("the suggested pairs are not one profile each after --link-above")
	}
	if got := jsonLines[suggestionOut](t, c.ok("suggest", "--json").stdout); len(got) != 0 {
		t.Errorf("suggest after linking: %+v, want none", got)
	}
	explain := c.ok("explain", id("13912345601")).stdout
	if !strings.Contains(explain, "linked by auto") {
		t.Errorf("explain does not name the link:\n%s", explain)
	}
}
