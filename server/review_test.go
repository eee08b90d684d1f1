package server

import (
	"net/http"
	"testing"

	"github.com/scv-go/scv"
)

// twinCSV is P01 again in another CRM, her phone's last two digits
// swapped: no identifier links it to her profile, so it is suggested.
const twinCSV = "record_id,phone,name,gender,birthday,province,city,consent_marketing,observed_at\n" +
	"C9001,13912345610,王芳,女,1988-07-12,广东省,深圳市,yes,2026-03-01 10:00:00\n"

// addTwin imports twinCSV and returns the suggestion it makes.
func addTwin(t *testing.T, f *fixture) scv.Suggestion {
	t.Helper()
	if code, out := f.do(t, "import", "POST", "/v1/import?format=csv&source=crm2", twinCSV); code != http.StatusOK {
		t.Fatalf("import: %d %s", code, out)
	}
	code, out := f.do(t, "admin", "GET", "/v1/suggestions", nil)
	sgs := decode[struct{ Suggestions []scv.Suggestion }](t, out).Suggestions
	if code != http.StatusOK || len(sgs) != 1 {
		t.Fatalf("suggestions: %d %s, want one", code, out)
	}
	return sgs[0]
}

func TestAcceptSuggestion(t *testing.T) {
	f := newFixture(t)
	sg := addTwin(t, f)
	code, out := f.do(t, "admin", "POST", "/v1/suggestions/accept", map[string]string{"a": sg.A, "b": sg.B})
	if code != http.StatusOK {
		t.Fatalf("accept: %d %s", code, out)
	}
	merged := decode[map[string]string](t, out)["profile"]
	for _, phone := range []string{"13912345601", "13912345610"} {
		_, out := f.do(t, "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": phone})
		if got := decode[profileView](t, out).ID; got != merged {
			t.Errorf("after accept, a phone of the pair is on %s, want the merged %s", got, merged)
		}
	}
	_, out = f.do(t, "admin", "GET", "/v1/suggestions", nil)
	if n := len(decode[struct{ Suggestions []scv.Suggestion }](t, out).Suggestions); n != 0 {
		t.Errorf("after accept, %d suggestions remain", n)
	}
}

func TestRejectSuggestion(t *testing.T) {
	f := newFixture(t)
	sg := addTwin(t, f)
	if code, out := f.do(t, "admin", "POST", "/v1/suggestions/reject", map[string]string{"a": sg.A, "b": sg.B}); code != http.StatusOK {
		t.Fatalf("reject: %d %s", code, out)
	}
	_, out := f.do(t, "admin", "GET", "/v1/suggestions", nil)
	if n := len(decode[struct{ Suggestions []scv.Suggestion }](t, out).Suggestions); n != 0 {
		t.Errorf("after reject, %d suggestions remain", n)
	}
	for _, id := range []string{sg.A, sg.B} {
		_, out := f.do(t, "read", "GET", "/v1/profiles/"+id, nil)
		if got := decode[profileView](t, out).ID; got != id {
			t.Errorf("after reject, profile %s answers as %s: merged", id, got)
		}
	}
}

// TestRejectAfterAccept rejects a suggestion an operator accepted before:
// the two ids are one profile now, which a rejection cannot split. The
// answer is 409 same_profile, saying to unmerge first; it was a 500.
func TestRejectAfterAccept(t *testing.T) {
	f := newFixture(t)
	sg := addTwin(t, f)
	pair := map[string]string{"a": sg.A, "b": sg.B}
	if code, out := f.do(t, "admin", "POST", "/v1/suggestions/accept", pair); code != http.StatusOK {
		t.Fatalf("accept: %d %s", code, out)
	}
	code, out := f.do(t, "admin", "POST", "/v1/suggestions/reject", pair)
	if e := decode[Error](t, out); code != http.StatusConflict || e.Code != "same_profile" {
		t.Errorf("reject after accept: %d %s, want 409 same_profile", code, out)
	}
}

func TestEraseAndUnmerge(t *testing.T) {
	f := newFixture(t)
	_, out := f.do(t, "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": "+8613912345601"})
	p01 := decode[profileView](t, out)
	// Unmerge the CRM record: it becomes a profile of its own.
	code, out := f.do(t, "admin", "POST", "/v1/unmerge", map[string]string{"record": "csv/csv/C0001"})
	if got := decode[struct{ Profiles []string }](t, out).Profiles; code != http.StatusOK || len(got) != 2 {
		t.Fatalf("unmerge: %d %s, want two profiles", code, out)
	}
	_, out = f.do(t, "read", "GET", "/v1/profiles/"+p01.ID, nil)
	if n := len(decode[profileView](t, out).Sources); n != len(p01.Sources)-1 {
		t.Errorf("after unmerge the profile has %d sources, want %d", n, len(p01.Sources)-1)
	}
	// Erase it: the profile is gone (410), its phone finds no one.
	if code, out := f.do(t, "admin", "DELETE", "/v1/profiles/"+p01.ID, nil); code != http.StatusOK {
		t.Fatalf("erase: %d %s", code, out)
	}
	code, out = f.do(t, "read", "GET", "/v1/profiles/"+p01.ID, nil)
	if e := decode[Error](t, out); code != http.StatusGone || e.Code != "erased" {
		t.Errorf("after erase: %d %s, want 410 erased", code, out)
	}
	_, evs := sse(t, f, "marketing", "", 1<<20)
	erased := false
	for _, ev := range evs {
		erased = erased || ev.Kind == "erased" && ev.Profile == p01.ID
	}
	if !erased {
		t.Errorf("a marketing token's feed has no erasure notice of the erased profile")
	}
}
