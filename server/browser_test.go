package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/scv-go/scv"
)

// SCV_SCREENSHOTS names a directory (docs/img) where the browser test
// writes the screenshots of the profile page and the funnel; unset, it
// writes none.
const screenshotsEnv = "SCV_SCREENSHOTS"

// chromium returns the path of a Chromium binary, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium binary found (apt-get install chromium); browser tests skipped")
	return ""
}

// TestBrowser drives headless Chromium through the console: log in,
// search a phone, open the profile, check the timeline and the funnel
// against the data, accept a suggestion.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	f := newFixture(t)
	sg := addTwin(t, f)

	// What the data says, through the API.
	_, out := f.do(t, "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": "+8613912345601"})
	p01 := decode[profileView](t, out)
	_, out = f.do(t, "read", "GET", "/v1/profiles/"+p01.ID+"/timeline", nil)
	kinds := map[string]int{}
	for _, e := range decode[struct{ Timeline []scv.TimelineEntry }](t, out).Timeline {
		kinds[e.Kind]++
	}
	if kinds["order"] == 0 || kinds["stage"] == 0 {
		t.Fatalf("P01's timeline has %v; want orders and stage changes", kinds)
	}
	_, out = f.do(t, "read", "GET", "/v1/stats", nil)
	stats := decode[scv.Stats](t, out)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1200, 1000), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	count := func(expr string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return n
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}

	do("log in",
		chromedp.Navigate(f.ts.URL+"/console/"),
		chromedp.WaitVisible(css("#token")),
		chromedp.SendKeys(css("#token"), f.tokens["admin"]),
		chromedp.Click(css("#login")),
		chromedp.WaitVisible(css("#q")),
	)
	do("search a phone",
		chromedp.SendKeys(css("#q"), "139 1234 5601"),
		chromedp.Click(css("#search")),
		chromedp.WaitVisible(css("#timeline")),
	)
	name, stage, loc := text("#profile-name"), text("#stage"), location()
	if name != p01.Name || stage != string(p01.Stage) || !strings.HasSuffix(loc, "/console/profiles/"+p01.ID) {
		t.Errorf("profile page: name %q stage %q at %s; want %q %q", name, stage, loc, p01.Name, p01.Stage)
	}
	orders := count(`document.querySelectorAll("#timeline tr.tl-order").length`)
	stages := count(`document.querySelectorAll("#timeline tr.tl-stage").length`)
	if orders != kinds["order"] || stages != kinds["stage"] {
		t.Errorf("timeline shows %d orders and %d stage changes, the data %d and %d", orders, stages, kinds["order"], kinds["stage"])
	}
	if n := count(`document.querySelectorAll("#graph circle.node").length`); n != len(p01.Sources) {
		t.Errorf("identity graph draws %d records, the profile has %d", n, len(p01.Sources))
	}
	// The script's filter: only orders left visible.
	do("filter the timeline", chromedp.Click(css(`#timeline-filters button[data-kind="order"]`)))
	if n := count(`[...document.querySelectorAll("#timeline tr.tl")].filter(r => !r.hidden).length`); n != kinds["order"] {
		t.Errorf("filtered to orders, %d rows visible; want %d", n, kinds["order"])
	}
	do("unfilter", chromedp.Click(css(`#timeline-filters button[data-kind="all"]`)))
	screenshot(t, ctx, "console-profile.png")

	do("open the funnel", chromedp.Navigate(f.ts.URL+"/console/funnel"), chromedp.WaitVisible(css("#funnel")))
	for _, st := range funnelStages {
		got := text(fmt.Sprintf(`#funnel-table tr[data-stage="%s"] td.n`, st))
		if n, err := strconv.Atoi(got); err != nil || n != stats.Stages[st] {
			t.Errorf("funnel shows %q %s profiles, the stats %d", got, st, stats.Stages[st])
		}
	}
	if n := count(`document.querySelectorAll("#funnel rect.bar").length`); n == 0 {
		t.Errorf("the funnel SVG draws no bars")
	}
	screenshot(t, ctx, "console-funnel.png")

	do("accept a suggestion",
		chromedp.Navigate(f.ts.URL+"/console/suggestions"),
		chromedp.WaitVisible(css("#suggestions")),
		chromedp.Click(css("#suggestions button.accept")),
		chromedp.WaitVisible(css("#timeline")),
	)
	loc = location()
	merged := loc[strings.LastIndexByte(loc, '/')+1:]
	for _, id := range []string{sg.A, sg.B} {
		code, out := f.do(t, "read", "GET", "/v1/profiles/"+id, nil)
		if got := decode[profileView](t, out).ID; code != http.StatusOK || got != merged {
			t.Errorf("after accepting in the browser, profile %s is %s (%d), want the merged %s", id, got, code, merged)
		}
	}
}

// screenshot saves a full-page screenshot in $SCV_SCREENSHOTS, if set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
