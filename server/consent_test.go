package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/scv-go/scv"
)

// TestMarketingTokenSeesOnlyConsented goes through every API route with a
// token of purpose marketing and checks that no profile without marketing
// consent comes back, and that what comes back is masked.
func TestMarketingTokenSeesOnlyConsented(t *testing.T) {
	f := newFixture(t)
	all := f.internalProfiles(t)
	consented, refused := map[string]bool{}, []profileView{}
	for _, p := range all {
		if p.Consent["marketing"] {
			consented[p.ID] = true
		} else {
			refused = append(refused, p)
		}
	}
	if len(consented) == 0 || len(refused) == 0 {
		t.Fatalf("fixtures: %d profiles with marketing consent, %d without; want some of each", len(consented), len(refused))
	}
	covered := map[string]bool{"GET /v1/openapi.json": true}
	hit := func(method, pattern string) { covered[method+" "+pattern] = true }
	seen := func(where, id string) {
		t.Helper()
		if !consented[id] {
			t.Errorf("%s: a marketing token received profile %s, which has no marketing consent", where, id)
		}
	}
	// A profile without consent is answered as one that is not there, so
	// that a marketing token cannot learn that the person is a customer.
	absentCode, absent := f.do(t, "marketing", "GET", "/v1/profiles/"+strings.Repeat("0", 32), nil)
	if absentCode != http.StatusNotFound || decode[Error](t, absent).Code != "not_found" {
		t.Fatalf("a profile that is not there: %d %s, want 404 not_found", absentCode, absent)
	}
	noConsent := func(where string, code int, body []byte) {
		t.Helper()
		if code != absentCode || string(body) != string(absent) {
			t.Errorf("%s of a profile without consent: %d %.120s, want what a profile that is not there answers: %d %s", where, code, body, absentCode, absent)
		}
	}
	masked := regexp.MustCompile(`^\d{3}\*+\d{4}$`)

	// Lookups, by phone and by id, and the routes under a profile.
	for _, p := range all {
		var phone string
		if len(p.Phones) > 0 {
			phone = p.Phones[0]
		}
		lookups := [][2]string{{"POST", "/v1/profiles/lookup"}, {"GET", "/v1/profiles/{id}"}, {"GET", "/v1/profiles/{id}/explain"},
			{"GET", "/v1/profiles/{id}/timeline"}, {"GET", "/v1/profiles/{id}/suggestions"}}
		for _, rt := range lookups {
			hit(rt[0], rt[1])
			var body any
			if rt[0] == "POST" {
				if phone == "" {
					continue
				}
				body = map[string]string{"phone": phone}
			}
			code, out := f.do(t, "marketing", rt[0], strings.Replace(rt[1], "{id}", p.ID, 1), body)
			if !consented[p.ID] {
				noConsent(rt[1], code, out)
				continue
			}
			if code != http.StatusOK {
				t.Errorf("%s of a consented profile: %d %.120s", rt[1], code, out)
				continue
			}
			if rt[1] == "/v1/profiles/{id}" {
				v := decode[profileView](t, out)
				for _, ph := range v.Phones {
					if !masked.MatchString(ph) {
						t.Errorf("phone %q is not masked like 138****5601", ph)
					}
				}
				if v.Name != "" && !strings.HasSuffix(v.Name, "*") || !v.Masked {
					t.Errorf("name not masked like 王* (masked=%v)", v.Masked)
				}
			}
		}
		if len(p.Sources) > 0 {
			hit("POST", "/v1/explain/pair")
			rec := string(p.Sources[0].Channel) + "/" + p.Sources[0].Source + "/" + p.Sources[0].RecordID
			code, out := f.do(t, "marketing", "POST", "/v1/explain/pair", map[string]string{"a": rec, "b": rec})
			if !consented[p.ID] {
				noConsent("explain pair", code, out)
			}
		}
	}
	// Listings of every stage, every page.
	hit("GET", "/v1/stages/{stage}")
	listed := 0
	for _, st := range []string{"potential", "target", "first_purchase", "repeat", "loyal", "advocate"} {
		after := ""
		for {
			code, out := f.do(t, "marketing", "GET", "/v1/stages/"+st+"?limit=3&after="+after, nil)
			if code != http.StatusOK {
				t.Fatalf("stage %s: %d %s", st, code, out)
			}
			l := decode[listing](t, out)
			for _, p := range l.Profiles {
				seen("stage listing", p.ID)
				listed++
			}
			if after = l.Cursor; after == "" {
				break
			}
		}
	}
	if listed != len(consented) {
		t.Errorf("stage listings gave %d profiles, want the %d consented", listed, len(consented))
	}
	// The export, for the token's own purpose.
	hit("GET", "/v1/export")
	code, out := f.do(t, "marketing", "GET", "/v1/export", nil)
	if code != http.StatusOK {
		t.Fatalf("export: %d %s", code, out)
	}
	exported := 0
	for line := range strings.Lines(string(out)) {
		seen("export", decode[profileView](t, []byte(line)).ID)
		exported++
	}
	if exported != len(consented) {
		t.Errorf("export gave %d profiles, want the %d consented", exported, len(consented))
	}
	// Suggestions name profiles by id.
	hit("GET", "/v1/suggestions")
	code, out = f.do(t, "marketing", "GET", "/v1/suggestions?min_probability=0.01", nil)
	if code != http.StatusOK {
		t.Fatalf("suggestions: %d %s", code, out)
	}
	for _, sg := range decode[struct{ Suggestions []scv.Suggestion }](t, out).Suggestions {
		seen("suggestions", sg.A)
		seen("suggestions", sg.B)
	}
	// The feed names profiles by id.
	hit("GET", "/v1/feed")
	_, evs := sse(t, f, "marketing", "", 1<<20)
	_, internal := sse(t, f, "read", "", 1<<20)
	if len(evs) == 0 || len(evs) >= len(internal) {
		t.Errorf("feed: %d events for marketing, %d for internal; want some, and fewer", len(evs), len(internal))
	}
	for _, ev := range evs {
		if ev.Kind != "erased" {
			seen("feed", ev.Profile)
		}
	}
	// The other routes answer counts, summaries, ids and tokens, never a
	// profile (TestTokenRoutesRefuse checks a marketing admin's tokens).
	for _, rt := range []string{"GET /v1/stats", "GET /v1/quarantine", "POST /v1/import", "POST /v1/unmerge",
		"DELETE /v1/profiles/{id}", "POST /v1/suggestions/accept", "POST /v1/suggestions/reject",
		"POST /v1/tokens", "GET /v1/tokens", "DELETE /v1/tokens/{id}"} {
		covered[rt] = true
	}
	code, out = f.do(t, "marketing", "GET", "/v1/stats", nil)
	var stats map[string]json.RawMessage
	if code != http.StatusOK || json.Unmarshal(out, &stats) != nil || stats["profiles"] == nil {
		t.Errorf("stats: %d %.100s", code, out)
	}
	for _, rt := range f.srv.routes {
		if !covered[rt.method+" "+rt.pattern] {
			t.Errorf("route %s %s is not covered by this test", rt.method, rt.pattern)
		}
	}
}
