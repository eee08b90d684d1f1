package server

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
)

// TestTokenRoutes manages tokens through the API, as an operator must
// while scv serve holds the database: an admin token creates one, which
// works at once and is listed without its secret; revoking it refuses it
// at once, though the server had it in its cache of checked tokens.
func TestTokenRoutes(t *testing.T) {
	f := newFixture(t)
	code, out := f.do(t, "admin", "POST", "/v1/tokens", map[string]string{"scope": "read", "purpose": "marketing", "label": "crm sync"})
	if code != http.StatusCreated {
		t.Fatalf("POST /v1/tokens: %d %s", code, out)
	}
	created := decode[createdToken](t, out)
	if created.ID == "" || !strings.Contains(created.Secret, created.ID) {
		t.Fatalf("POST /v1/tokens answered %s, want a token and its id", out)
	}
	want := scv.Token{ID: created.ID, Scope: scv.ScopeRead, Purpose: "marketing", Label: "crm sync", Created: created.Created}
	if diff := cmp.Diff(want, created.Token); diff != "" {
		t.Errorf("created token (-want +got):\n%s", diff)
	}
	f.tokens["new"] = created.Secret
	if code, out := f.do(t, "new", "GET", "/v1/stats", nil); code != http.StatusOK {
		t.Fatalf("the new token: %d %s", code, out)
	}

	code, out = f.do(t, "admin", "GET", "/v1/tokens", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/tokens: %d %s", code, out)
	}
	_, secret, _ := strings.Cut(strings.TrimPrefix(created.Secret, "scv_"), "_")
	if strings.Contains(string(out), secret) {
		t.Errorf("GET /v1/tokens shows a token's secret")
	}
	listed := decode[struct{ Tokens []scv.Token }](t, out).Tokens
	if i := slices.IndexFunc(listed, func(tok scv.Token) bool { return tok.ID == created.ID }); i < 0 || listed[i] != want {
		t.Errorf("GET /v1/tokens: %+v, want %+v among them", listed, want)
	}
	if len(listed) != len(f.tokens) {
		t.Errorf("GET /v1/tokens lists %d tokens, want %d", len(listed), len(f.tokens))
	}

	if strings.Contains(f.log.String(), secret) {
		t.Errorf("the access log holds the secret of a token the API created")
	}

	code, out = f.do(t, "admin", "DELETE", "/v1/tokens/"+created.ID, nil)
	if code != http.StatusOK {
		t.Fatalf("DELETE /v1/tokens/{id}: %d %s", code, out)
	}
	// The server had checked the token a moment ago; a revocation through
	// the API does not wait for its cache to expire.
	if code, out := f.do(t, "new", "GET", "/v1/stats", nil); code != http.StatusUnauthorized || decode[Error](t, out).Code != "bad_token" {
		t.Errorf("the revoked token: %d %s, want 401 bad_token at once", code, out)
	}
	if code, out := f.do(t, "admin", "DELETE", "/v1/tokens/"+created.ID, nil); code != http.StatusNotFound || decode[Error](t, out).Code != "not_found" {
		t.Errorf("second DELETE: %d %s, want 404 not_found", code, out)
	}
}

// TestTokenRoutesRefuse checks who may manage tokens and what a bad
// request answers: scope admin only, and a token of a purpose other than
// internal manages tokens of its own purpose only (a marketing admin must
// not mint an internal token that sees every profile).
func TestTokenRoutesRefuse(t *testing.T) {
	f := newFixture(t)
	internalText, internal, err := f.db.CreateToken(t.Context(), scv.ScopeRead, scv.PurposeInternal, "other")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token, method, path string
		body                      any
		status                    int
		code                      string
	}{
		{"create needs admin", "read", "POST", "/v1/tokens", map[string]string{"scope": "read", "purpose": "internal"}, 403, "scope"},
		{"list needs admin", "import", "GET", "/v1/tokens", nil, 403, "scope"},
		{"revoke needs admin", "marketing", "DELETE", "/v1/tokens/" + internal.ID, nil, 403, "scope"},
		{"bad scope", "admin", "POST", "/v1/tokens", map[string]string{"scope": "root", "purpose": "internal"}, 400, "bad_scope"},
		{"bad purpose", "admin", "POST", "/v1/tokens", map[string]string{"scope": "read", "purpose": "sales"}, 400, "bad_purpose"},
		{"unknown field", "admin", "POST", "/v1/tokens", map[string]string{"scope": "read", "purpose": "internal", "owner": "x"}, 400, "bad_json"},
		{"marketing admin mints internal", "mkt-admin", "POST", "/v1/tokens", map[string]string{"scope": "read", "purpose": "internal"}, 403, "purpose"},
		{"marketing admin revokes internal", "mkt-admin", "DELETE", "/v1/tokens/" + internal.ID, nil, 404, "not_found"},
		{"unknown id", "admin", "DELETE", "/v1/tokens/0123456789abcdef", nil, 404, "not_found"},
		{"malformed id", "admin", "DELETE", "/v1/tokens/xyz", nil, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := f.do(t, tc.token, tc.method, tc.path, tc.body)
			if code != tc.status || decode[Error](t, out).Code != tc.code {
				t.Errorf("%d %s, want %d %s", code, out, tc.status, tc.code)
			}
		})
	}
	// A marketing admin sees and makes marketing tokens only.
	code, out := f.do(t, "mkt-admin", "GET", "/v1/tokens", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/tokens: %d %s", code, out)
	}
	var purposes []scv.Purpose
	for _, tok := range decode[struct{ Tokens []scv.Token }](t, out).Tokens {
		purposes = append(purposes, tok.Purpose)
	}
	if diff := cmp.Diff([]scv.Purpose{"marketing", "marketing"}, purposes); diff != "" {
		t.Errorf("the tokens a marketing admin lists, by purpose (-want +got):\n%s", diff)
	}
	if code, out := f.do(t, "mkt-admin", "POST", "/v1/tokens", map[string]string{"scope": "read", "purpose": "marketing"}); code != http.StatusCreated {
		t.Errorf("a marketing admin making a marketing token: %d %s", code, out)
	}
	if _, err := f.db.CheckToken(t.Context(), internalText); err != nil {
		t.Errorf("the internal token after a marketing admin tried to revoke it: %v", err)
	}
}
