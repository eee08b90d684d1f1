package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAccessLogHasNoPersonalData sends requests full of phones, names and
// tokens and checks that the access log holds none of them, only routes,
// statuses and ids.
func TestAccessLogHasNoPersonalData(t *testing.T) {
	f := newFixture(t)
	all := f.internalProfiles(t)
	var secrets []string
	for _, p := range all {
		for _, ph := range p.Phones {
			f.do(t, "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": ph})
			f.do(t, "marketing", "POST", "/v1/profiles/lookup", map[string]string{"phone": ph})
			f.do(t, "read", "GET", "/v1/profiles/"+ph, nil) // a phone where an id belongs
			national := strings.TrimPrefix(ph, "+86")
			f.do(t, "read", "GET", "/v1/stages/loyal?after="+national, nil)
			secrets = append(secrets, ph, national)
		}
		if p.Name != "" {
			f.do(t, "read", "POST", "/v1/profiles/lookup", map[string]string{"identifier": "email:" + p.Name})
			secrets = append(secrets, p.Name)
		}
		f.do(t, "read", "GET", "/v1/profiles/"+p.ID+"/timeline", nil)
	}
	f.do(t, "read", "POST", "/v1/profiles/lookup", map[string]string{"phone": "13700000001"})
	for _, tok := range f.tokens {
		_, secret, _ := strings.Cut(strings.TrimPrefix(tok, "scv_"), "_") // base64url may hold '_' itself
		secrets = append(secrets, tok, secret)
	}
	// An unknown token is not logged either.
	req, _ := http.NewRequest("GET", f.ts.URL+"/v1/stats", nil)
	req.Header.Set("Authorization", "Bearer scv_0123456789abcdef_SECRETSECRETSECRET")
	if resp, err := f.ts.Client().Do(req); err == nil {
		resp.Body.Close()
	}
	secrets = append(secrets, "SECRETSECRETSECRET", "13700000001")

	log := f.log.String()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) < 3*len(all) {
		t.Fatalf("access log has %d lines, want one per request", len(lines))
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the access log holds a phone, a name or a token (%d characters)", len(s))
		}
	}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v", err)
		}
		if rec["route"] == nil || rec["status"] == nil {
			t.Errorf("log line without route or status: %s", line)
		}
	}
	if !strings.Contains(log, `"route":"POST /v1/profiles/lookup"`) || !strings.Contains(log, `"profile":"`+all[0].ID) {
		t.Errorf("the access log does not name routes and profile ids")
	}
}
