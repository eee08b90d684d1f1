package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
)

// statsJSON is the stats --json output.
type statsJSON struct {
	Profiles    int            `json:"profiles"`
	Stages      map[string]int `json:"stages"`
	Risks       map[string]int `json:"risks"`
	Records     int            `json:"records"`
	Quarantined int            `json:"quarantined"`
	Erased      int            `json:"erased"`
}

func (c *cli) stats() statsJSON {
	c.t.Helper()
	var st statsJSON
	if err := json.Unmarshal([]byte(c.ok("stats", "--json").stdout), &st); err != nil {
		c.t.Fatalf("stats --json: %v", err)
	}
	return st
}

// export returns the profiles of export --purpose.
func (c *cli) export(purpose string) []profileJSON {
	c.t.Helper()
	return jsonLines[profileJSON](c.t, c.ok("export", "--purpose", purpose).stdout)
}

// TestImportTwice imports every fixture, checks the counts reconcile, and
// imports them again: every record is unchanged, no profile is created
// and the stats are the same.
func TestImportTwice(t *testing.T) {
	c := newCLI(t)
	first := c.importFixtures()
	q := 0
	for _, n := range first.Quarantined {
		q += n
	}
	if first.Read != first.Accepted+q || first.Read == 0 {
		t.Errorf("read %d != accepted %d + quarantined %d", first.Read, first.Accepted, q)
	}
	if len(first.Files) != 10 {
		t.Errorf("%d files imported, want the 10 fixtures", len(first.Files))
	}
	st1 := c.stats()
	if st1.Profiles == 0 || st1.Quarantined != q {
		t.Errorf("stats: %d profiles, %d quarantined; want some profiles and %d quarantined", st1.Profiles, st1.Quarantined, q)
	}

	second := c.importFixtures()
	if second.Read != first.Read || second.Accepted != first.Accepted {
		t.Errorf("second import read %d accepted %d, first %d %d", second.Read, second.Accepted, first.Read, first.Accepted)
	}
	if second.Unchanged+second.Stale != second.Accepted || second.Updated != 0 || second.ProfilesCreated != 0 || second.ProfilesMerged != 0 {
		t.Errorf("second import: %d of %d accepted records unchanged, %d stale, %d updated, %d profiles created, %d merged; want all unchanged or stale, none created or merged",
			second.Unchanged, second.Accepted, second.Stale, second.Updated, second.ProfilesCreated, second.ProfilesMerged)
	}
	if diff := cmp.Diff(first.Quarantined, second.Quarantined); diff != "" {
		t.Errorf("quarantine by reason changed (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(st1, c.stats()); diff != "" {
		t.Errorf("stats changed by the second import (-first +second):\n%s", diff)
	}
	if r := c.run("verify"); r.code != exitOK {
		t.Errorf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestImportStdinAndHuman checks import from stdin ("-") and the human
// summary.
func TestImportStdinAndHuman(t *testing.T) {
	c := newCLI(t)
	data, err := os.ReadFile(filepath.Join(fixturesDir, "ecommerce", "taobao.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	r := runIn(t, string(data), "import", "-", "--format", "ecommerce", "--source", "tmall-flagship", "--db", c.db, "--key-file", c.key)
	if r.code != exitOK {
		t.Fatalf("import -: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"read 28, accepted 25", "quarantined by reason", "invalid_amount", "profiles created", "warnings by reason"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("import summary lacks %q:\n%s", want, r.stdout)
		}
	}
	p := jsonLines[profileJSON](t, c.ok("get", "--json", "13912345601").stdout)[0]
	if p.Sources[0].Source != "tmall-flagship" {
		t.Errorf("source %q, want the --source name", p.Sources[0].Source)
	}
}

// TestGet looks a customer up by phone in several spellings and by id.
func TestGet(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	var want profileJSON
	for i, phone := range []string{"13912345601", "+8613912345601", "+86 139 1234 5601", "0086-139-1234-5601", "１３９１２３４５６０１", "(139) 1234-5601"} {
		p := jsonLines[profileJSON](t, c.ok("get", phone, "--json").stdout)
		if len(p) != 1 {
			t.Fatalf("get %q printed %d profiles", phone, len(p))
		}
		if i == 0 {
			want = p[0]
			continue
		}
		if diff := cmp.Diff(want, p[0]); diff != "" {
			t.Errorf("get %q differs from get 13912345601 (-want +got):\n%s", phone, diff)
		}
	}
	// P01 of testdata/README.md: the loyal customer.
	if want.Name != "王芳" || want.Stage != "loyal" || want.Metrics.Orders != 8 || !slices.Equal(want.Phones, []string{"+8613912345601"}) {
		t.Errorf("P01: name %q stage %s orders %d phones %v; want 王芳 loyal 8 [+8613912345601]", want.Name, want.Stage, want.Metrics.Orders, want.Phones)
	}
	byID := jsonLines[profileJSON](t, c.ok("get", "--json", want.ID).stdout)
	if diff := cmp.Diff(want, byID[0]); diff != "" {
		t.Errorf("get by id differs (-by phone +by id):\n%s", diff)
	}
	if byUpper := jsonLines[profileJSON](t, c.ok("get", "--json", strings.ToUpper(want.ID)).stdout); byUpper[0].ID != want.ID {
		t.Errorf("get by upper-case id: %s", byUpper[0].ID)
	}

	human := c.ok("get", "13912345601").stdout
	for _, s := range []string{"王芳", want.ID, "+8613912345601", "loyal", "consent", "marketing yes", "sources (", "pos/pos/SZ01/SZ01-26101801", "fields", "name", "from "} {
		if !strings.Contains(human, s) {
			t.Errorf("human output lacks %q:\n%s", s, human)
		}
	}

	tests := []struct {
		name, arg string
		code      int
		want      string
	}{
		{"unknown phone", "13700000001", exitNotFound, "phone number not found"},
		{"unknown id", strings.Repeat("ab", 16), exitNotFound, "profile not found"},
		{"placeholder phone", "13800000000", exitNotFound, "placeholder"},
		{"service number", "4008123123", exitNotFound, "service"},
		{"masked phone", "138****5678", exitNotFound, "masked"},
		{"not a phone", "12", exitUsage, "not a valid phone number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run("get", tc.arg)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want %d and %q", r.code, r.stderr, r.stdout, tc.code, tc.want)
			}
			if strings.Contains(r.stderr, tc.arg) {
				t.Errorf("stderr repeats the argument: %q", r.stderr)
			}
		})
	}
}

// TestStage lists a stage whole, then page by page with --limit and
// --after, and filtered by risk.
func TestStage(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	st := c.stats()
	for _, stage := range []string{"first_purchase", "repeat", "target"} {
		t.Run(stage, func(t *testing.T) {
			all := jsonLines[profileJSON](t, c.ok("stage", stage, "--json").stdout)
			if len(all) != st.Stages[stage] || len(all) < 5 {
				t.Fatalf("stage %s listed %d profiles, stats say %d (want at least 5 to page)", stage, len(all), st.Stages[stage])
			}
			var paged []profileJSON
			args := []string{"stage", stage, "--json", "--limit", "2"}
			for pages := 0; ; pages++ {
				if pages > len(all) {
					t.Fatal("paging does not end")
				}
				r := c.ok(args...)
				out, last, more := strings.Cut(r.stdout, `{"cursor":`)
				page := jsonLines[profileJSON](t, out)
				if len(page) > 2 {
					t.Fatalf("--limit 2 printed %d profiles", len(page))
				}
				paged = append(paged, page...)
				if !more {
					break
				}
				cursor, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(last), "}"))
				if err != nil {
					t.Fatalf("cursor line %q: %v", last, err)
				}
				args = []string{"stage", stage, "--json", "--limit", "2", "--after", cursor}
			}
			if diff := cmp.Diff(all, paged); diff != "" {
				t.Errorf("pages differ from the whole listing (-whole +pages):\n%s", diff)
			}
			for _, p := range all {
				if p.Stage != stage {
					t.Errorf("profile %s in stage %s listed under %s", p.ID, p.Stage, stage)
				}
			}
			// Human listing: a header, one line per profile, the cursor.
			h := c.ok("stage", stage, "--limit", "1")
			if lines := strings.Split(strings.TrimSpace(h.stdout), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[2], "-- more: resume with --after ") {
				t.Errorf("human listing with --limit 1:\n%s", h.stdout)
			}
		})
	}
	t.Run("risk", func(t *testing.T) {
		all := jsonLines[profileJSON](t, c.ok("stage", "repeat", "--json").stdout)
		for _, risk := range []string{"active", "at_risk", "lapsed", "none"} {
			var want []profileJSON
			for _, p := range all {
				if p.Risk == risk {
					want = append(want, p)
				}
			}
			got := jsonLines[profileJSON](t, c.ok("stage", "repeat", "--json", "--risk", risk).stdout)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("--risk %s (-want +got):\n%s", risk, diff)
			}
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		if r := c.run("stage", "repeat", "--after", "not-a-cursor"); r.code != exitUsage || !strings.Contains(r.stderr, "bad --after") {
			t.Errorf("exit %d stderr %q", r.code, r.stderr)
		}
	})
}

// TestStatsJSON checks the keys of stats --json and that every stage is
// listed.
func TestStatsJSON(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(c.ok("stats", "--json").stdout), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"profiles", "stages", "quarantined", "risks", "records"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats --json lacks %q", k)
		}
	}
	st := c.stats()
	sum := 0
	for _, stage := range []string{"potential", "target", "first_purchase", "repeat", "loyal", "advocate"} {
		n, ok := st.Stages[stage]
		if !ok {
			t.Errorf("stages lacks %s", stage)
		}
		sum += n
	}
	if sum != st.Profiles {
		t.Errorf("stages add up to %d, profiles %d", sum, st.Profiles)
	}
}

// TestExport checks that internal exports every profile and marketing
// only the profiles whose records consent to it, against the consent the
// fixtures state (testdata/csv/crm.csv).
func TestExport(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	st := c.stats()
	internal := c.export("internal")
	if len(internal) != st.Profiles {
		t.Errorf("export internal: %d profiles, stats %d", len(internal), st.Profiles)
	}
	// What the fixtures state, per phone: the latest statement of each
	// record; a no anywhere wins (merge's rule).
	for _, purpose := range []identity.Purpose{identity.PurposeMarketing, identity.PurposePersonalisation, identity.PurposeThirdParty} {
		yes, no := map[string]bool{}, map[string]bool{}
		for _, rec := range decodeFixtures(t) {
			for _, cs := range rec.Consent {
				if cs.Purpose != purpose {
					continue
				}
				for _, ph := range rec.Phones() {
					if cs.Granted {
						yes[ph.Value] = true
					} else {
						no[ph.Value] = true
					}
				}
			}
		}
		var want []string
		for ph := range yes {
			if !no[ph] {
				want = append(want, ph)
			}
		}
		var got []string
		for _, p := range c.export(string(purpose)) {
			if !p.Consent[string(purpose)] {
				t.Errorf("export %s lists profile %s without its consent", purpose, p.ID)
			}
			got = append(got, p.Phones...)
		}
		slices.Sort(want)
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("export %s: phones (-stated by the fixtures +exported):\n%s", purpose, diff)
		}
		if purpose == identity.PurposeMarketing && len(want) < 3 {
			t.Errorf("the fixtures state marketing consent for %d phones; the test needs some", len(want))
		}
	}
}

// cancelReader cancels a context once more than n bytes were read
// through it, as an operator's Ctrl-C in the middle of an import.
type cancelReader struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= n; c.n < 0 {
		c.cancel()
	}
	return n, err
}

// TestImportInterrupted cancels an import halfway through stdin: the
// records read so far are committed and counted, the status is 3, and
// running the same import again finishes the job.
func TestImportInterrupted(t *testing.T) {
	c := newCLI(t)
	const rows = 3000
	var b strings.Builder
	b.WriteString("record_id,phone,name,order_id,amount,ordered_at\n")
	for i := range rows {
		fmt.Fprintf(&b, "R%d,139%08d,客户%d,O%d,%d.50,2026-10-%02d 10:00:00\n", i, 10000000+i, i, i, 10+i%90, 1+i%28)
	}
	data := b.String()
	args := []string{"import", "-", "--format", "csv", "--db", c.db, "--key-file", c.key, "--as-of", asOfDay}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, &cancelReader{r: strings.NewReader(data), n: len(data) / 2, cancel: cancel}, &out, &errb)
	if code != exitFailure || !strings.Contains(errb.String(), "interrupted") {
		t.Fatalf("interrupted import: exit %d, stderr %q; want 3 and interrupted", code, errb.String())
	}
	var committed int
	if _, err := fmt.Sscanf(errb.String(), "read %d,", &committed); err != nil {
		t.Fatalf("no count in %q: %v", errb.String(), err)
	}
	if committed == 0 || committed >= rows {
		t.Fatalf("%d of %d records committed; want part of them", committed, rows)
	}
	if st := c.stats(); st.Records != committed {
		t.Errorf("the database holds %d records, the interrupted import reported %d", st.Records, committed)
	}

	r := runIn(t, data, args...)
	if r.code != exitOK {
		t.Fatalf("import again: exit %d: %s", r.code, r.stderr)
	}
	if want := fmt.Sprintf("read %d, accepted %d (%d unchanged, 0 updated, 0 stale)", rows, rows, committed); !strings.Contains(r.stdout, want) {
		t.Errorf("import again says %q, want %q", r.stdout, want)
	}
	if st := c.stats(); st.Records != rows || st.Profiles != rows {
		t.Errorf("after the second import: %d records, %d profiles; want %d each", st.Records, st.Profiles, rows)
	}
}

// TestGetHubAndAmbiguous looks up a phone that staff typed for five
// different people (a hub) and one that merge protection keeps on two
// profiles (one member number per source): both are explained in words,
// the hub with exit status 1, the other listing both profiles; neither
// message repeats the number.
func TestGetHubAndAmbiguous(t *testing.T) {
	c := newCLI(t)
	file := filepath.Join(c.dir, "shared.csv")
	data := "record_id,phone,name,member_no\n" +
		"H1,13711112222,赵一,\nH2,13711112222,钱二,\nH3,13711112222,孙三,\nH4,13711112222,李四,\nH5,13711112222,周五,\n" +
		"A1,13722223333,吴六,K1\nA2,13722223333,吴六,K2\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("import", "--format", "csv", file)
	if st := c.stats(); st.Profiles != 7 {
		t.Errorf("%d profiles, want 7: the shared phones must link no one", st.Profiles)
	}
	tests := []struct {
		phone, want string
		code        int
	}{
		{"13711112222", "shared placeholder (a hub)", exitNotFound},
		{"137 2222 3333", "on 2 profiles that merge protection keeps apart", exitOK}, // both listed
	}
	for _, tc := range tests {
		r := c.run("get", tc.phone)
		if r.code != tc.code || !strings.Contains(r.stderr+r.stdout, tc.want) {
			t.Errorf("get %s: exit %d, stderr %q; want %d and %q", tc.phone, r.code, r.stderr, tc.code, tc.want)
		}
		if strings.Contains(r.stderr, "1371111") || strings.Contains(r.stderr, "1372222") {
			t.Errorf("get %s: stderr holds the number: %q", tc.phone, r.stderr)
		}
	}
}
