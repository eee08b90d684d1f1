package server

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
)

// TestOpenAPIMatchesRoutes checks the OpenAPI document against the
// routes the server registers, both ways.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	code, body := f.do(t, "", "GET", "/v1/openapi.json", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: %d", code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	registered := []string{"GET /v1/openapi.json"}
	for _, rt := range f.srv.routes {
		registered = append(registered, rt.method+" "+rt.pattern)
	}
	slices.Sort(documented)
	slices.Sort(registered)
	if diff := cmp.Diff(registered, documented); diff != "" {
		t.Errorf("OpenAPI paths differ from the routes (-registered +documented):\n%s", diff)
	}
	// Every registered route is served: a request without a token gets a
	// JSON 401, not the mux's 404 or 405.
	for _, rt := range f.srv.routes {
		path := strings.NewReplacer("{id}", strings.Repeat("a", 32), "{stage}", "loyal").Replace(rt.pattern)
		code, body := f.do(t, "", rt.method, path, nil)
		if e := decode[Error](t, body); code != http.StatusUnauthorized || e.Code != "unauthenticated" {
			t.Errorf("%s %s without a token: %d %s, want 401 unauthenticated", rt.method, path, code, body)
		}
	}
}

func TestLookupAnySpelling(t *testing.T) {
	f := newFixture(t)
	var want string
	for i, phone := range []string{"+8613912345601", "139 1234 5601", "0086-139-1234-5601", "１３９１２３４５６０１", "8613912345601"} {
		code, body := f.do(t, "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": phone})
		if code != http.StatusOK {
			t.Fatalf("lookup spelling %d: %d %s", i, code, body)
		}
		p := decode[profileView](t, body)
		if i == 0 {
			want = p.ID
		}
		if p.ID != want || p.Stage != scv.StageLoyal {
			t.Errorf("lookup spelling %d: id %s stage %s, want %s loyal", i, p.ID, p.Stage, want)
		}
	}
	code, body := f.do(t, "read", "GET", "/v1/profiles/"+want, nil)
	if code != http.StatusOK || decode[profileView](t, body).Name != "王芳" {
		t.Errorf("GET by id: %d %.100s", code, body)
	}
}

// TestErrors checks the status and stable code of each refusal.
func TestErrors(t *testing.T) {
	f := newFixture(t)
	id := f.internalProfiles(t)[0].ID
	for _, tc := range []struct {
		name, token, method, path string
		body                      any
		status                    int
		code                      string
	}{
		{"no token", "", "GET", "/v1/stats", nil, 401, "unauthenticated"},
		{"unknown phone", "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": "13700000001"}, 404, "not_found"},
		{"masked phone", "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": "138****5602"}, 400, "bad_phone"},
		{"unknown id", "read", "GET", "/v1/profiles/" + strings.Repeat("0", 32), nil, 404, "not_found"},
		{"bad id", "read", "GET", "/v1/profiles/xyz", nil, 400, "bad_id"},
		{"bad json", "read", "POST", "/v1/profiles/lookup", "{", 400, "bad_json"},
		{"bad stage", "read", "GET", "/v1/stages/vip", nil, 400, "bad_stage"},
		{"bad cursor", "read", "GET", "/v1/stages/loyal?after=zz", nil, 400, "bad_cursor"},
		{"erase needs admin", "import", "DELETE", "/v1/profiles/" + id, nil, 403, "scope"},
		{"unmerge needs admin", "read", "POST", "/v1/unmerge", map[string]string{"record": "pos/pos/x"}, 403, "scope"},
		{"accept needs admin", "read", "POST", "/v1/suggestions/accept", map[string]string{"a": id, "b": id}, 403, "scope"},
		{"import needs import", "read", "POST", "/v1/import?format=wechat", "", 403, "scope"},
		{"bad format", "import", "POST", "/v1/import?format=xml", "", 400, "bad_format"},
		{"marketing exports marketing only", "marketing", "GET", "/v1/export?purpose=internal", nil, 403, "purpose"},
		{"unmerge unknown record", "admin", "POST", "/v1/unmerge", map[string]string{"record": "pos/pos/nope"}, 404, "not_found"},
		{"no route", "read", "GET", "/v1/nothing", nil, 404, "no_route"},
		{"wrong method", "read", "PUT", "/v1/stats", nil, 405, "method_not_allowed"},
		{"wrong method on a pattern", "read", "PATCH", "/v1/profiles/" + id, nil, 405, "method_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.do(t, tc.token, tc.method, tc.path, tc.body)
			got := decode[Error](t, body)
			if code != tc.status || got.Code != tc.code || got.Message == "" {
				t.Errorf("got %d %s, want %d %s", code, body, tc.status, tc.code)
			}
		})
	}
	req, _ := http.NewRequest("GET", f.ts.URL+"/v1/stats", nil)
	req.Header.Set("Authorization", "Bearer scv_0123456789abcdef_nope")
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad token: %d, want 401", resp.StatusCode)
	}
}

func TestStagePaging(t *testing.T) {
	f := newFixture(t)
	want := map[string]bool{}
	for _, p := range f.internalProfiles(t) {
		if p.Stage == scv.StageFirstPurchase {
			want[p.ID] = true
		}
	}
	if len(want) < 3 {
		t.Fatalf("fixtures have %d first_purchase profiles, want 3 or more", len(want))
	}
	got := map[string]bool{}
	after, pages := "", 0
	for {
		code, body := f.do(t, "read", "GET", "/v1/stages/first_purchase?limit=2&after="+after, nil)
		if code != http.StatusOK {
			t.Fatalf("%d %s", code, body)
		}
		l := decode[listing](t, body)
		for _, p := range l.Profiles {
			if got[p.ID] {
				t.Errorf("profile %s listed twice", p.ID)
			}
			got[p.ID] = true
		}
		pages++
		if after = l.Cursor; after == "" {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || pages < 2 {
		t.Errorf("paged listing over %d pages (-want +got):\n%s", pages, diff)
	}
}

func TestImport(t *testing.T) {
	f := newFixture(t)
	body := `{"openid":"oNEW0000000000000000000001","unionid":"uNEW01","nickname":"新客","subscribe":1,"subscribe_time":1763000000}
{"openid":""}
`
	code, out := f.do(t, "import", "POST", "/v1/import?format=wechat&source=api-test", body)
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, out)
	}
	sum := decode[scv.Summary](t, out)
	q := 0
	for _, n := range sum.Quarantined {
		q += n
	}
	if sum.Read != 2 || sum.Accepted != 1 || q != 1 {
		t.Errorf("summary read %d accepted %d quarantined %d, want 2 1 1", sum.Read, sum.Accepted, q)
	}
	_, metrics := f.do(t, "", "GET", "/metrics", nil)
	if !strings.Contains(string(metrics), `scv_ingest_records_total{format="wechat",outcome="accepted"} 1`) {
		t.Errorf("/metrics has no ingest count of the import")
	}
	if !strings.Contains(string(metrics), `scv_http_request_duration_seconds_count{code="200",route="POST /v1/import"} 1`) {
		t.Errorf("/metrics has no latency of the import route")
	}
}

// sse reads a feed stream until n events or until it has been idle for
// a while, and returns the events' ids and data.
func sse(t *testing.T, f *fixture, token, lastID string, n int) (ids []string, data []scv.Event) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.ts.URL+"/v1/feed", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens[token])
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("feed content type %q", ct)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for len(ids) < n {
		select {
		case line, ok := <-lines:
			if !ok {
				return
			}
			if v, ok := strings.CutPrefix(line, "id: "); ok {
				ids = append(ids, v)
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				data = append(data, decode[scv.Event](t, []byte(v)))
			}
		case <-time.After(500 * time.Millisecond):
			return
		}
	}
	return
}

func TestFeedResumes(t *testing.T) {
	f := newFixture(t)
	ids, all := sse(t, f, "read", "", 1<<20)
	if len(all) < 10 || len(ids) != len(all) {
		t.Fatalf("feed gave %d events and %d ids, want 10 or more of each", len(all), len(ids))
	}
	_, rest := sse(t, f, "read", ids[4], 1<<20)
	if diff := cmp.Diff(all[5:], rest); diff != "" {
		t.Errorf("resumed after the 5th event (-want +got):\n%s", diff)
	}
	_, metrics := f.do(t, "", "GET", "/metrics", nil)
	want := "scv_feed_lag_seconds_count " + strconv.Itoa(len(all)+len(rest))
	if !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics has no %q", want)
	}
}
