package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFile writes a test input file and returns its path.
func (c *cli) writeFile(name, content string) string {
	c.t.Helper()
	path := filepath.Join(c.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return path
}

// quarantineEntries lists quarantine --json as "file line reason".
func (c *cli) quarantineEntries() []string {
	c.t.Helper()
	type entry struct {
		File   string `json:"file"`
		Line   int    `json:"line"`
		Reason string `json:"reason"`
	}
	var out []string
	for _, e := range jsonLines[entry](c.t, c.ok("quarantine", "--json").stdout) {
		out = append(out, fmt.Sprintf("%s %d %s", e.File, e.Line, e.Reason))
	}
	return out
}

// TestImportStrayQuote imports 1,000 rows with one stray quote: every row
// is read, only the broken one is quarantined.
func TestImportStrayQuote(t *testing.T) {
	c := newCLI(t)
	var b strings.Builder
	b.WriteString("record_id,name,phone\n")
	for i := 1; i <= 1000; i++ {
		name := "王芳"
		switch i {
		case 10:
			name = `"王芳`
		case 21:
			name = `"王 芳"`
		}
		fmt.Fprintf(&b, "C%d,%s,139%08d\n", i, name, i)
	}
	path := c.writeFile("crm.csv", b.String())
	r := c.ok("import", "--format", "csv", path)
	if !strings.Contains(r.stdout, "read 1000, accepted 999, quarantined 1") {
		t.Errorf("import says:\n%s\nwant read 1000, accepted 999, quarantined 1", r.stdout)
	}
	if diff := cmp.Diff([]string{"crm.csv 11 malformed"}, c.quarantineEntries()); diff != "" {
		t.Errorf("quarantine (-want +got):\n%s", diff)
	}
}

// TestImportUnread imports a JSON array that breaks where the reader
// cannot resume: the import says from which byte the file was not read,
// exits 1, and the quarantine lists it.
func TestImportUnread(t *testing.T) {
	c := newCLI(t)
	path := c.writeFile("fans.json", `[{"openid":"oA1","nickname":"a"},{"openid":"oB2"],{"openid":"oC3"}]`)
	r := c.run("import", "--format", "wechat", path)
	if r.code != exitNotFound || !strings.Contains(r.stderr, "not read from byte 48") {
		t.Errorf("import: exit %d, stderr %q; want 1 and \"not read from byte 47\"", r.code, r.stderr)
	}
	if diff := cmp.Diff([]string{"fans.json 2 malformed", "fans.json 3 unread"}, c.quarantineEntries()); diff != "" {
		t.Errorf("quarantine (-want +got):\n%s", diff)
	}
	if table := c.ok("quarantine").stdout; !strings.Contains(table, "from byte 48") {
		t.Errorf("quarantine table does not show the offset:\n%s", table)
	}

	j := c.run("import", "--json", "--format", "wechat", path)
	var sum importSummary
	if err := json.Unmarshal([]byte(j.stdout), &sum); err != nil || j.code != exitNotFound {
		t.Fatalf("import --json: exit %d, %v:\n%s", j.code, err, j.stdout)
	}
	if len(sum.Files) != 1 || sum.Files[0].UnreadFrom == nil || *sum.Files[0].UnreadFrom != 48 {
		t.Errorf("import --json files %+v, want unread_from 48", sum.Files)
	}
}

// TestImportTooLarge imports a CSV with a 3 MiB name: the row is
// quarantined as too_large, the next is read, and nothing of the value is
// printed.
func TestImportTooLarge(t *testing.T) {
	c := newCLI(t)
	big := strings.Repeat("王", 1<<20)
	path := c.writeFile("crm.csv", "record_id,name,phone\nC1,"+big+",13912345601\nC2,王芳,13912345602\n")
	r := c.ok("import", "--format", "csv", path)
	if !strings.Contains(r.stdout, "read 2, accepted 1, quarantined 1") || strings.Contains(r.stdout+r.stderr, "王王") {
		t.Errorf("import says:\n%s\n%s", r.stdout, r.stderr)
	}
	if diff := cmp.Diff([]string{"crm.csv 2 too_large"}, c.quarantineEntries()); diff != "" {
		t.Errorf("quarantine (-want +got):\n%s", diff)
	}
}

// TestImportEchoesNothingTyped checks that no value typed on the command
// line appears in an error: the error names the flag.
func TestImportEchoesNothingTyped(t *testing.T) {
	c := newCLI(t)
	csvPath := c.writeFile("crm.csv", "record_id,手机,phone\nC1,13912345601,13912345601\n")
	mapFile := c.writeFile("bad.map", "phone=手机13912345601\n")
	for _, tc := range []struct {
		name string
		args []string
		flag string
	}{
		{"source", []string{"import", "--format", "csv", "--source", "13912345601/王芳", csvPath}, "--source"},
		{"region", []string{"import", "--format", "csv", "--region", "王芳", csvPath}, "--region"},
		{"map column", []string{"import", "--format", "csv", "--map", "phone=手机13912345601", csvPath}, "--map"},
		{"map field", []string{"import", "--format", "csv", "--map", "王芳13912345601=phone", csvPath}, "--map"},
		{"map file", []string{"import", "--format", "csv", "--map-file", mapFile, csvPath}, "--map-file"},
		{"format", []string{"import", "--format", "13912345601", csvPath}, "--format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run(tc.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			for _, typed := range []string{"13912345601", "王芳", "手机"} {
				if strings.Contains(r.stderr+r.stdout, typed) {
					t.Errorf("output repeats %q: %q", typed, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, tc.flag) {
				t.Errorf("error %q does not name %s", r.stderr, tc.flag)
			}
		})
	}
}

// TestImportJSONInterrupted cancels an import --json: the summary is still
// printed on stdout, marked interrupted.
func TestImportJSONInterrupted(t *testing.T) {
	c := newCLI(t)
	var b strings.Builder
	b.WriteString("record_id,phone,name,order_id,amount,ordered_at\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "R%d,139%08d,客户%d,O%d,%d.50,2026-10-%02d 10:00:00\n", i, 10000000+i, i, i, 10+i%90, 1+i%28)
	}
	data := b.String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	args := []string{"import", "--json", "-", "--format", "csv", "--db", c.db, "--key-file", c.key}
	code := run(ctx, args, &cancelReader{r: strings.NewReader(data), n: len(data) / 2, cancel: cancel}, &out, &errb)
	if code != exitFailure {
		t.Errorf("exit %d, want 3", code)
	}
	var sum importSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("stdout is not the summary: %v\n%q", err, out.String())
	}
	if !sum.Interrupted || sum.Read == 0 || sum.Read >= 3000 || len(sum.Files) != 1 {
		t.Errorf("summary %+v; want interrupted, part of 3000 read, one file", sum)
	}
}

// TestImportWrongFormat checks that a file none of whose first records
// decode is refused before anything is written, with exit 2 and the
// format it looks like; and that --format auto picks that format.
func TestImportWrongFormat(t *testing.T) {
	taobao := filepath.Join(fixturesDir, "ecommerce", "taobao.jsonl")
	stores := filepath.Join(fixturesDir, "pos", "stores.csv")
	fans := filepath.Join(fixturesDir, "weibo", "fans.json")
	for _, tc := range []struct {
		format, file, likely string
	}{
		{"weibo", taobao, "ecommerce"},
		{"wechat", stores, "pos"},
		{"pos", taobao, "ecommerce"},
		{"ecommerce", fans, "weibo"},
	} {
		t.Run(tc.format+" "+filepath.Base(tc.file), func(t *testing.T) {
			c := newCLI(t)
			r := c.run("import", "--format", tc.format, tc.file)
			if r.code != exitUsage || !strings.Contains(r.stderr, "--format "+tc.likely) {
				t.Errorf("exit %d, stderr %q; want 2 and a hint of --format %s", r.code, r.stderr, tc.likely)
			}
			if got := c.quarantineEntries(); len(got) != 0 {
				t.Errorf("the refused import left %d quarantine entries", len(got))
			}
		})
	}
	c := newCLI(t)
	r := c.ok("import", "--format", "auto", taobao, stores, fans)
	for _, want := range []string{"taobao.jsonl: ecommerce", "stores.csv: pos", "fans.json: weibo"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("--format auto does not say %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
}

// TestImportMostlyMalformed checks that a file whose records are mostly
// malformed ends with exit 2, after the good ones are in.
func TestImportMostlyMalformed(t *testing.T) {
	c := newCLI(t)
	var b strings.Builder
	for i := range 100 {
		if i%4 == 0 {
			fmt.Fprintf(&b, "{\"openid\":\"o%d\"}\n", i)
		} else {
			fmt.Fprintf(&b, "{\"openid\":o%d}\n", i)
		}
	}
	path := c.writeFile("followers.jsonl", b.String())
	r := c.run("import", "--format", "wechat", path)
	if r.code != exitUsage || !strings.Contains(r.stderr, "75 of 100") {
		t.Errorf("exit %d, stderr %q; want 2 and 75 of 100 malformed", r.code, r.stderr)
	}
}

// TestImportMapFile checks that a CSV without a mapping is refused in the
// command's words, and that --map-file reads the mapping that ships.
func TestImportMapFile(t *testing.T) {
	c := newCLI(t)
	survey := filepath.Join(fixturesDir, "csv", "survey.csv")
	r := c.run("import", "--format", "csv", survey)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--map") || strings.Contains(r.stderr, "Options") {
		t.Errorf("without --map: exit %d, stderr %q; want 2 and a hint of --map", r.code, r.stderr)
	}
	r = c.ok("import", "--format", "csv", "--map-file", filepath.Join(fixturesDir, "csv", "survey.map"), survey)
	if !strings.Contains(r.stdout, "accepted") || strings.Contains(r.stdout, "accepted 0") {
		t.Errorf("with --map-file:\n%s", r.stdout)
	}
	if r := c.run("import", "--format", "csv", "--map", "phone=a", "--map-file", "x", survey); r.code != exitUsage {
		t.Errorf("--map and --map-file: exit %d, want 2", r.code)
	}
}

// TestQuarantineRetryDrop re-runs quarantined lines after a fix (the
// right --map) and drops others; the table shows the file.
func TestQuarantineRetryDrop(t *testing.T) {
	c := newCLI(t)
	// Orders whose amount was mapped to the wrong column (a note where a
	// price was meant); a row with a column too many.
	path := c.writeFile("crm.csv", "record_id,phone,order_id,note,price\nR1,13912345601,O1,gift,12.50\nR2,13912345602,O2,gift,8.00\nR3,13912345603,O3,x,1.00,x\nR4,13912345604,O4,3.00,3.00\n")
	c.ok("import", "--format", "csv", "--map", "record_id=record_id,phone=phone,order_id=order_id,amount=note", path)
	want := []string{"crm.csv 2 invalid_amount", "crm.csv 3 invalid_amount", "crm.csv 4 malformed"}
	if diff := cmp.Diff(want, c.quarantineEntries()); diff != "" {
		t.Fatalf("quarantine (-want +got):\n%s", diff)
	}
	if table := c.ok("quarantine").stdout; !strings.Contains(table, "FILE") || !strings.Contains(table, "crm.csv") {
		t.Errorf("the table has no file column:\n%s", table)
	}
	r := c.ok("quarantine", "retry", "--file", "crm.csv", "--reason", "invalid_amount", "--map", "record_id=record_id,phone=phone,order_id=order_id,amount=price")
	if !strings.Contains(r.stdout, "read 2, accepted 2") {
		t.Errorf("retry says:\n%s", r.stdout)
	}
	if diff := cmp.Diff([]string{"crm.csv 4 malformed"}, c.quarantineEntries()); diff != "" {
		t.Errorf("after retry (-want +got):\n%s", diff)
	}
	if st := c.stats(); st.Records != 3 {
		t.Errorf("%d records after retry, want 3", st.Records)
	}
	r = c.ok("quarantine", "drop", "--reason", "malformed")
	if !strings.Contains(r.stdout, "dropped 1") {
		t.Errorf("drop says:\n%s", r.stdout)
	}
	if got := c.quarantineEntries(); len(got) != 0 {
		t.Errorf("after drop: %v", got)
	}
	if r := c.run("quarantine", "drop", "--reason", "王芳"); r.code != exitUsage || strings.Contains(r.stderr, "王芳") {
		t.Errorf("drop --reason with a bad reason: exit %d, %q", r.code, r.stderr)
	}
}
