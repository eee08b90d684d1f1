package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// hubCSV puts four people on each of two phones, the fourth flagging it a
// hub: on 135 1111 0001 none consents to marketing, on 135 1111 0002 one
// does. ambiguousCSV puts one person on each of two more phones twice, so
// that unmerging one record leaves the phone on two profiles: on
// 135 1111 0003 neither consents, on 135 1111 0004 one does.
const (
	hubCSV = "record_id,phone,name,gender,birthday,member_no,consent_marketing,observed_at\n" +
		"H101,13511110001,王芳,女,1980-01-01,M101,no,2026-03-01 10:00:00\n" +
		"H102,13511110001,李强,男,1991-02-02,M102,no,2026-03-02 10:00:00\n" +
		"H103,13511110001,张伟,男,1972-03-03,M103,no,2026-03-03 10:00:00\n" +
		"H104,13511110001,刘娜,女,1999-04-04,M104,no,2026-03-04 10:00:00\n" +
		"H201,13511110002,王芳,女,1980-01-01,M201,yes,2026-03-01 10:00:00\n" +
		"H202,13511110002,李强,男,1991-02-02,M202,no,2026-03-02 10:00:00\n" +
		"H203,13511110002,张伟,男,1972-03-03,M203,no,2026-03-03 10:00:00\n" +
		"H204,13511110002,刘娜,女,1999-04-04,M204,no,2026-03-04 10:00:00\n"
	ambiguousCSV = "record_id,phone,name,gender,consent_marketing,observed_at\n" +
		"A301,13511110003,周敏,女,no,2026-03-01 10:00:00\n" +
		"A302,13511110003,周敏,女,no,2026-03-02 10:00:00\n" +
		"A401,13511110004,吴磊,男,no,2026-03-01 10:00:00\n" +
		"A402,13511110004,吴磊,男,yes,2026-03-02 10:00:00\n"
	absentPhone = "13511119999"
)

// concealFixture is a fixture with hubCSV and ambiguousCSV imported,
// A302 and A402 unmerged, and P01 (who consents to marketing) erased. It
// returns P01's profile id and a channel identifier of hers.
func concealFixture(t *testing.T) (f *fixture, erasedID, erasedIdentifier string) {
	t.Helper()
	f = newFixture(t)
	for src, body := range map[string]string{"hubs": hubCSV, "twins": ambiguousCSV} {
		if code, out := f.do(t, "import", "POST", "/v1/import?format=csv&source="+src, body); code != http.StatusOK {
			t.Fatalf("import %s: %d %s", src, code, out)
		}
	}
	for _, rec := range []string{"csv/twins/A302", "csv/twins/A402"} {
		if code, out := f.do(t, "admin", "POST", "/v1/unmerge", map[string]string{"record": rec}); code != http.StatusOK {
			t.Fatalf("unmerge %s: %d %s", rec, code, out)
		}
	}
	code, out := f.do(t, "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": "+8613912345601"})
	p01 := decode[profileView](t, out)
	if code != http.StatusOK || !p01.Consent["marketing"] {
		t.Fatalf("P01: %d, consent %v; want a profile that consents to marketing", code, p01.Consent)
	}
	for _, id := range p01.Identifiers {
		if id.Kind == "unionid" {
			erasedIdentifier = id.Kind + ":" + id.Value
		}
	}
	if erasedIdentifier == "" {
		t.Fatal("P01 has no unionid")
	}
	if code, out := f.do(t, "admin", "DELETE", "/v1/profiles/"+p01.ID, nil); code != http.StatusOK {
		t.Fatalf("erase: %d %s", code, out)
	}
	return f, p01.ID, erasedIdentifier
}

// TestConcealByStatus checks that a token whose purpose is not internal
// cannot tell an erased profile, or a phone on several profiles none of
// which consents to its purpose, from one that is not there: each
// answers byte for byte what an absent phone or id answers. An internal
// token still gets 410 erased and 409 hub or ambiguous, and a marketing
// token 409 when one of the profiles consents.
func TestConcealByStatus(t *testing.T) {
	f, erasedID, erasedIdentifier := concealFixture(t)
	absentID := strings.Repeat("0", 32)
	lookup := func(field, value string) map[string]string { return map[string]string{field: value} }
	type req struct {
		token, method, path string
		body                any
	}
	absent := map[string]req{
		"phone":      {"marketing", "POST", "/v1/profiles/lookup", lookup("phone", absentPhone)},
		"id":         {"marketing", "GET", "/v1/profiles/" + absentID, nil},
		"lookup id":  {"marketing", "POST", "/v1/profiles/lookup", lookup("id", absentID)},
		"identifier": {"marketing", "POST", "/v1/profiles/lookup", lookup("identifier", "unionid:o6_bmasdasdsad6_2sgVt7hMZOPfL")},
		"explain":    {"marketing", "GET", "/v1/profiles/" + absentID + "/explain", nil},
		"timeline":   {"marketing", "GET", "/v1/profiles/" + absentID + "/timeline", nil},
		"suggest":    {"marketing", "GET", "/v1/profiles/" + absentID + "/suggestions", nil},
		"erase":      {"mkt-admin", "DELETE", "/v1/profiles/" + absentID, nil},
	}
	answers := map[string]string{}
	for name, rq := range absent {
		code, out := f.do(t, rq.token, rq.method, rq.path, rq.body)
		if code != http.StatusNotFound || decode[Error](t, out).Code != "not_found" {
			t.Fatalf("absent %s: %d %s, want 404 not_found", name, code, out)
		}
		answers[name] = string(out)
	}
	for _, tc := range []struct {
		name     string
		rq       req
		wantCode int    // the status, when not answered as absent
		wantErr  string // the error code, when not answered as absent
		asAbsent string // the absent request whose answer is wanted, byte for byte
	}{
		{"erased phone, marketing", req{"marketing", "POST", "/v1/profiles/lookup", lookup("phone", "+8613912345601")}, 0, "", "phone"},
		{"erased id, marketing", req{"marketing", "GET", "/v1/profiles/" + erasedID, nil}, 0, "", "id"},
		{"erased id by lookup, marketing", req{"marketing", "POST", "/v1/profiles/lookup", lookup("id", erasedID)}, 0, "", "lookup id"},
		{"erased channel id, marketing", req{"marketing", "POST", "/v1/profiles/lookup", lookup("identifier", erasedIdentifier)}, 0, "", "identifier"},
		{"erased explain, marketing", req{"marketing", "GET", "/v1/profiles/" + erasedID + "/explain", nil}, 0, "", "explain"},
		{"erased timeline, marketing", req{"marketing", "GET", "/v1/profiles/" + erasedID + "/timeline", nil}, 0, "", "timeline"},
		{"erased suggestions, marketing", req{"marketing", "GET", "/v1/profiles/" + erasedID + "/suggestions", nil}, 0, "", "suggest"},
		{"erased erase, marketing admin", req{"mkt-admin", "DELETE", "/v1/profiles/" + erasedID, nil}, 0, "", "erase"},
		{"erased id, internal", req{"read", "GET", "/v1/profiles/" + erasedID, nil}, http.StatusGone, "erased", ""},
		{"erased erase, internal admin", req{"admin", "DELETE", "/v1/profiles/" + erasedID, nil}, http.StatusGone, "erased", ""},
		{"hub without consent, marketing", req{"marketing", "POST", "/v1/profiles/lookup", lookup("phone", "13511110001")}, 0, "", "phone"},
		{"hub without consent, internal", req{"read", "POST", "/v1/profiles/lookup", lookup("phone", "13511110001")}, http.StatusConflict, "hub", ""},
		{"hub with one consent, marketing", req{"marketing", "POST", "/v1/profiles/lookup", lookup("phone", "13511110002")}, http.StatusConflict, "hub", ""},
		{"ambiguous without consent, marketing", req{"marketing", "POST", "/v1/profiles/lookup", lookup("phone", "13511110003")}, 0, "", "phone"},
		{"ambiguous without consent, internal", req{"read", "POST", "/v1/profiles/lookup", lookup("phone", "13511110003")}, http.StatusConflict, "ambiguous", ""},
		{"ambiguous with one consent, marketing", req{"marketing", "POST", "/v1/profiles/lookup", lookup("phone", "13511110004")}, http.StatusConflict, "ambiguous", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := f.do(t, tc.rq.token, tc.rq.method, tc.rq.path, tc.rq.body)
			if tc.asAbsent != "" {
				if want := answers[tc.asAbsent]; code != http.StatusNotFound || string(out) != want {
					t.Errorf("got %d %s, want what an absent %s answers: 404 %s", code, out, tc.asAbsent, want)
				}
				return
			}
			if e := decode[Error](t, out); code != tc.wantCode || e.Code != tc.wantErr {
				t.Errorf("got %d %s, want %d %s", code, out, tc.wantCode, tc.wantErr)
			}
		})
	}
}

// TestConcealAdminRoutes checks that a marketing admin token cannot
// unmerge, erase or review profiles without marketing consent, nor tell
// them from absent ones by the answer.
func TestConcealAdminRoutes(t *testing.T) {
	f := newFixture(t)
	var refused, consented profileView
	for _, p := range f.internalProfiles(t) {
		switch {
		case !p.Consent["marketing"] && len(p.Sources) > 1 && refused.ID == "":
			refused = p
		case p.Consent["marketing"] && consented.ID == "":
			consented = p
		}
	}
	if refused.ID == "" || consented.ID == "" {
		t.Fatal("fixtures: want a profile of several records without marketing consent and one with")
	}
	src := refused.Sources[0]
	record := string(src.Channel) + "/" + src.Source + "/" + src.RecordID
	absentID := strings.Repeat("0", 32)
	for _, tc := range []struct {
		name           string
		method, path   string
		body, absentAs any
	}{
		{"unmerge", "POST", "/v1/unmerge", map[string]string{"record": record}, map[string]string{"record": "csv/csv/C9999"}},
		{"accept", "POST", "/v1/suggestions/accept", map[string]string{"a": consented.ID, "b": refused.ID}, map[string]string{"a": consented.ID, "b": absentID}},
		{"reject", "POST", "/v1/suggestions/reject", map[string]string{"a": consented.ID, "b": refused.ID}, map[string]string{"a": consented.ID, "b": absentID}},
		{"erase", "DELETE", "/v1/profiles/" + refused.ID, nil, nil}, // last: the old code erased it
	} {
		t.Run(tc.name, func(t *testing.T) {
			absentPath := strings.Replace(tc.path, refused.ID, absentID, 1)
			wantCode, want := f.do(t, "mkt-admin", tc.method, absentPath, tc.absentAs)
			code, out := f.do(t, "mkt-admin", tc.method, tc.path, tc.body)
			if code != wantCode || string(out) != string(want) {
				t.Errorf("on a profile without consent: %d %s, want what an absent one answers: %d %s", code, out, wantCode, want)
			}
		})
	}
	// The profile is as it was.
	code, out := f.do(t, "read", "GET", "/v1/profiles/"+refused.ID, nil)
	if got := decode[profileView](t, out); code != http.StatusOK || len(got.Sources) != len(refused.Sources) {
		t.Errorf("after the refused calls: %d, %d sources, want 200 and %d", code, len(got.Sources), len(refused.Sources))
	}
}

// TestConsoleConceal checks the console's search and profile page with a
// marketing session: an erased phone or id, and a hub or ambiguous phone
// none of whose profiles consents, answer the page of an absent one.
func TestConsoleConceal(t *testing.T) {
	f, erasedID, _ := concealFixture(t)
	b := newBrowser(t, f)
	csrf := b.login("marketing")
	search := func(q string) (int, string) {
		resp, html := b.post("/console/search", url.Values{"csrf": {csrf}, "q": {q}})
		return resp.StatusCode, html
	}
	absentCode, absent := search(absentPhone)
	if absentCode != http.StatusNotFound {
		t.Fatalf("search of an absent phone: %d, want 404", absentCode)
	}
	for _, q := range []string{"+8613912345601", erasedID, "13511110001", "13511110003"} {
		if code, html := search(q); code != absentCode || html != absent {
			t.Errorf("search of %s: %d, want the page of an absent phone (404)", q, code)
		}
	}
	for q, want := range map[string]int{"13511110002": http.StatusConflict, "13511110004": http.StatusConflict} {
		if code, _ := search(q); code != want {
			t.Errorf("search of %s: %d, want %d", q, code, want)
		}
	}
	absentResp, absentPage := b.get("/console/profiles/" + strings.Repeat("0", 32))
	resp, page := b.get("/console/profiles/" + erasedID)
	if resp.StatusCode != absentResp.StatusCode || page != absentPage {
		t.Errorf("profile page of an erased id: %d, want the page of an absent id (%d)", resp.StatusCode, absentResp.StatusCode)
	}
}
