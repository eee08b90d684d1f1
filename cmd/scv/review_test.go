package main

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wangFang is the phone of the fixtures' most connected customer
// (testdata/README.md), and wangFangPOS one of her records that carries it.
const (
	wangFang    = "13912345601"
	wangFangPOS = "pos/pos/SZ01/SZ01-26101801"
)

// TestGetByKind looks a customer up by each kind of identifier and by a
// record key, and checks that each finds the profile her phone finds.
func TestGetByKind(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	want := jsonLines[profileJSON](t, c.ok("get", "--json", wangFang).stdout)[0].ID
	weibo := jsonLines[profileJSON](t, c.ok("get", "--json", "13976012332").stdout)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unionid", []string{"--kind", "unionid", "oU9rTP01Hc2NpQ8sWx5yA"}, want},
		{"openid", []string{"--kind", "openid", "--scope", "wx8a1b2c3d4e5f6071", "oOAx7Kq2P01Zt4bVw9LmR3e"}, want},
		{"member", []string{"--kind", "member", "--scope", "csv", "VIP-0001"}, want},
		{"buyer", []string{"--kind", "buyer", "--scope", "taobao", "AAHk3n9P01xQm7Lr2Tb8Vw"}, want},
		{"email in capitals", []string{"--kind", "email", "Wang.Fang@Example.com"}, want},
		{"phone kind", []string{"--kind", "phone", "+86 139 1234 5601"}, want},
		{"record key", []string{"ecommerce/taobao/3301000000000101"}, want},
		{"weibo", []string{"--kind", "weibo", "5600000032"}, weibo[0].ID},
		{"weibo_uid", []string{"--kind", "weibo_uid", "5600000032"}, weibo[0].ID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := jsonLines[profileJSON](t, c.ok(append([]string{"get", "--json"}, tc.args...)...).stdout)
			if len(got) != 1 || got[0].ID != tc.want {
				t.Errorf("got %d profiles %v, want %s", len(got), got, tc.want)
			}
		})
	}
	errs := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown kind", []string{"--kind", "qq", "12345"}, exitUsage, "unknown --kind"},
		{"scoped kind without scope", []string{"--kind", "openid", "oOAx7Kq2P01Zt4bVw9LmR3e"}, exitUsage, "needs --scope"},
		{"unknown unionid", []string{"--kind", "unionid", "oU9rTP99Hc2NpQ8sWx5yA"}, exitNotFound, "no profile has that unionid"},
		{"unknown record", []string{"pos/pos/XX99-0"}, exitNotFound, "no profile holds that record"},
		{"bad email", []string{"--kind", "email", "wang.fang"}, exitUsage, "not an email address"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run(append([]string{"get"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
			if v := tc.args[len(tc.args)-1]; strings.Contains(r.stderr, v) {
				t.Errorf("stderr repeats the value: %q", r.stderr)
			}
		})
	}
}

// TestPhoneOnSeveralProfiles unmerges a record that carries a phone, so
// that the phone is on two profiles: get lists both (exit 0, one JSON
// line each), erase refuses the phone naming both ids, and erase of an id
// erases that profile only.
func TestPhoneOnSeveralProfiles(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	c.ok("unmerge", wangFangPOS)
	r := c.ok("get", "--json", wangFang)
	got := jsonLines[profileJSON](t, r.stdout)
	if len(got) != 2 || got[0].ID == got[1].ID {
		t.Fatalf("get --json of a phone on two profiles printed %d profiles, want 2:\n%s", len(got), r.stdout)
	}
	ids := []string{got[0].ID, got[1].ID}
	for _, p := range got {
		if !slices.Contains(p.Phones, "+8613912345601") {
			t.Errorf("profile %s listed for the phone does not have it: %v", p.ID, p.Phones)
		}
	}
	human := c.ok("get", wangFang).stdout
	for _, id := range ids {
		if !strings.Contains(human, "  id          "+id) {
			t.Errorf("get does not show profile %s:\n%s", id, human)
		}
	}
	if !strings.Contains(human, "on 2 profiles") {
		t.Errorf("get does not say the phone is on 2 profiles:\n%s", human)
	}

	e := c.run("erase", "--yes", wangFang)
	// Seven of the phone's digits: a random hex id held "1234" once.
	if e.code != exitUsage || !strings.Contains(e.stderr, ids[0]) || !strings.Contains(e.stderr, ids[1]) || strings.Contains(e.stderr, "2345601") {
		t.Errorf("erase of a phone on two profiles: exit %d, stderr %q; want 2 naming both ids", e.code, e.stderr)
	}
	c.ok("erase", "--yes", ids[1])
	left := jsonLines[profileJSON](t, c.ok("get", "--json", wangFang).stdout)
	if len(left) != 1 || left[0].ID != ids[0] {
		t.Errorf("after erasing %s, get lists %v, want only %s", ids[1], left, ids[0])
	}
}

// TestGetDetail checks that get --json --detail carries the orders,
// interactions, surveys and stage history behind the totals, each with
// its record key, and that provenance names records in snake_case form.
func TestGetDetail(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	var d struct {
		profileJSON
		Metrics struct {
			Orders int `json:"orders"`
		} `json:"metrics"`
		Fields []struct {
			From map[string]any `json:"from"`
		} `json:"fields"`
		Orders []struct {
			ID, Status, Record string
			AmountFen          int64 `json:"amount_fen"`
		} `json:"orders"`
		Interactions []struct{ Type, Record string } `json:"interactions"`
		Surveys      []struct {
			Kind   string
			Score  int
			Record string
		} `json:"surveys"`
		StageHistory []struct{ From, To, Record string } `json:"stage_history"`
	}
	out := c.ok("get", "--json", "--detail", wangFang).stdout
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	paid := 0
	for _, o := range d.Orders {
		if o.Record == "" || o.ID == "" {
			t.Errorf("order without id or record key: %+v", o)
		}
		if o.Status == "paid" || o.Status == "completed" {
			paid++
		}
	}
	if len(d.Orders) < d.Metrics.Orders || d.Metrics.Orders == 0 {
		t.Errorf("%d orders listed, the metrics count %d paid", len(d.Orders), d.Metrics.Orders)
	}
	if len(d.Interactions) == 0 || d.Interactions[0].Record == "" {
		t.Errorf("interactions: %+v", d.Interactions)
	}
	if len(d.Surveys) == 0 || d.Surveys[0].Record == "" {
		t.Errorf("surveys: %+v", d.Surveys)
	}
	if n := len(d.StageHistory); n == 0 || d.StageHistory[n-1].To != d.Stage || d.StageHistory[0].From != "" {
		t.Errorf("stage history %+v does not go from nothing to the stage %s", d.StageHistory, d.Stage)
	}
	for _, f := range d.Fields {
		if _, ok := f.From["record"].(string); !ok {
			t.Errorf("fields[].from.record is %T %v, want a record key string", f.From["record"], f.From["record"])
		}
	}
	if strings.Contains(c.ok("get", "--json", wangFang).stdout, `"orders":[`) {
		t.Error("get --json without --detail lists the orders")
	}
	for _, key := range []string{`"Channel"`, `"Source"`, `"ID"`} {
		if strings.Contains(out, key) {
			t.Errorf("get --json --detail has a PascalCase key %s", key)
		}
	}
	if diff := cmp.Diff(d.Stage, "loyal"); diff != "" {
		t.Errorf("stage (-want +got):\n%s", diff)
	}
}

// TestStageJSONCursor checks that a listing --limit cuts ends, on stdout,
// with a {"cursor": ...} line that resumes it.
func TestStageJSONCursor(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	all := jsonLines[profileJSON](t, c.ok("stage", "repeat", "--json").stdout)
	lines := strings.Split(strings.TrimSpace(c.ok("stage", "repeat", "--json", "--limit", "2").stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("stage --json --limit 2 printed %d lines, want 2 profiles and a cursor:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	var cur map[string]string
	if err := json.Unmarshal([]byte(lines[2]), &cur); err != nil || len(cur) != 1 || cur["cursor"] == "" {
		t.Fatalf("last line %q is not {\"cursor\": ...}: %v", lines[2], err)
	}
	rest := jsonLines[profileJSON](t, c.ok("stage", "repeat", "--json", "--after", cur["cursor"]).stdout)
	if len(rest) != len(all)-2 || rest[0].ID != all[2].ID {
		t.Errorf("resuming after the cursor listed %d profiles from %s, want %d from %s", len(rest), rest[0].ID, len(all)-2, all[2].ID)
	}
	if whole := c.ok("stage", "repeat", "--json").stdout; strings.Contains(whole, `"cursor"`) {
		t.Error("a listing that was not cut prints a cursor")
	}
}

// TestImportJSONTotals checks that import --json counts the quarantined
// records in one number, in the totals and per file: read = accepted +
// quarantined.
func TestImportJSONTotals(t *testing.T) {
	c := newCLI(t)
	var sum struct {
		Read, Accepted   int
		QuarantinedTotal *int `json:"quarantined_total"`
		Files            []struct {
			Read, Accepted   int
			QuarantinedTotal *int `json:"quarantined_total"`
		}
	}
	out := c.ok("import", "--json", "--format", "pos", fixturesDir+"/pos/stores.csv").stdout
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.QuarantinedTotal == nil || *sum.QuarantinedTotal == 0 || sum.Read != sum.Accepted+*sum.QuarantinedTotal {
		t.Fatalf("import --json: %s; want quarantined_total with read = accepted + quarantined_total", out)
	}
	if len(sum.Files) != 1 || sum.Files[0].QuarantinedTotal == nil || *sum.Files[0].QuarantinedTotal != *sum.QuarantinedTotal {
		t.Errorf("the file's quarantined_total differs from the total: %s", out)
	}
}

// TestLink undoes an unmerge with scv link, by the two profile ids get
// lists, and checks the change feed names who linked them.
func TestLink(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	c.ok("unmerge", wangFangPOS)
	got := jsonLines[profileJSON](t, c.ok("get", "--json", wangFang).stdout)
	if len(got) != 2 {
		t.Fatalf("after unmerge the phone is on %d profiles, want 2", len(got))
	}
	t.Setenv("USER", "")
	r := c.ok("link", got[0].ID, got[1].ID, "--actor", "li.lei")
	if !strings.Contains(r.stdout, "one profile") {
		t.Errorf("link says %q, want that they are one profile", r.stdout)
	}
	after := jsonLines[profileJSON](t, c.ok("get", "--json", wangFang).stdout)
	if len(after) != 1 || len(after[0].Sources) != len(got[0].Sources)+len(got[1].Sources) {
		t.Fatalf("after link: %d profiles, want one holding every record", len(after))
	}
	// By record key too, and a second link has nothing to undo.
	if r := c.ok("link", wangFangPOS, after[0].ID, "--actor", "li.lei"); !strings.Contains(r.stdout, "nothing to undo") {
		t.Errorf("second link says %q", r.stdout)
	}
	// Read the feed until the link's event (the last the test makes), or
	// a minute on a loaded machine; a fixed short wait failed under load.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	feed := cancelOn(`"kind":"linked"`, cancel)
	run(ctx, []string{"watch", "--db", c.db, "--key-file", c.key}, strings.NewReader(""), feed, io.Discard)
	var linked []map[string]any
	for _, ev := range jsonLines[map[string]any](t, feed.b.String()) {
		if ev["kind"] == "linked" {
			linked = append(linked, ev)
		}
	}
	if len(linked) != 1 || linked[0]["actor"] != "li.lei" || linked[0]["time"] == "" {
		t.Errorf("linked events in the feed: %v; want one by li.lei", linked)
	}
	// Without --actor and $USER, the operator must say who they are.
	if r := c.run("link", got[0].ID, got[1].ID); r.code != exitUsage || !strings.Contains(r.stderr, "--actor") {
		t.Errorf("link without an actor: exit %d, %q", r.code, r.stderr)
	}
}
