package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
)

// consoleClient requests a console page of a server with a session
// cookie (nil for none), following no redirect, and returns the status,
// the Location and the body.
func consoleClient(t *testing.T, base string, sess *http.Cookie, method, path string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if sess != nil {
		req.AddCookie(&http.Cookie{Name: sess.Name, Value: sess.Value})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(out)
}

// consoleLogin logs in to a server with a token's text and returns the
// session cookie and the session's CSRF token.
func consoleLogin(t *testing.T, base, token string) (*http.Cookie, string) {
	t.Helper()
	resp, err := http.Get(base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var login *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == loginCookie {
			login = c
		}
	}
	req, _ := http.NewRequest("POST", base+"/console/login", strings.NewReader(url.Values{"csrf": {csrfOf(t, string(html))}, "token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(login)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			sess = ck
		}
	}
	if resp.StatusCode != http.StatusSeeOther || sess == nil {
		t.Fatalf("login: %d, session cookie %v", resp.StatusCode, sess)
	}
	code, _, page := consoleClient(t, base, sess, "GET", "/console/", nil)
	if code != http.StatusOK {
		t.Fatalf("search page after login: %d", code)
	}
	return sess, csrfOf(t, page)
}

// serve serves db with a new Server and returns its URL.
func serve(t *testing.T, db *scv.DB) string {
	t.Helper()
	srv := New(db, Options{Logger: slog.New(slog.DiscardHandler)})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); ts.Close() })
	return ts.URL
}

// TestSessionAnyReplica checks that a console session made by one Server
// is accepted, with its CSRF token, by another Server of the same
// database (a second replica behind a load balancer).
func TestSessionAnyReplica(t *testing.T) {
	f := newFixture(t)
	other := serve(t, f.db)
	sess, csrf := consoleLogin(t, f.ts.URL, f.tokens["read"])
	if code, loc, _ := consoleClient(t, other, sess, "GET", "/console/funnel", nil); code != http.StatusOK {
		t.Errorf("the other replica's funnel with the session: %d to %q, want 200", code, loc)
	}
	code, loc, _ := consoleClient(t, other, sess, "POST", "/console/search", url.Values{"csrf": {csrf}, "q": {"139 1234 5601"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/profiles/") {
		t.Errorf("the other replica's search with the session's CSRF token: %d to %q, want the profile page", code, loc)
	}
}

// TestSessionSurvivesRestart closes a database and its server and opens
// them again on the same directory: the session made before is accepted.
func TestSessionSurvivesRestart(t *testing.T) {
	dir, root := t.TempDir(), crypto.GenerateRootKey()
	open := func() *scv.DB {
		t.Helper()
		db, err := scv.Open(dir, scv.Options{Keys: crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil })})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	text, _, err := db.CreateToken(context.Background(), scv.ScopeRead, scv.PurposeInternal, "restart")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(db, Options{Logger: slog.New(slog.DiscardHandler)})
	ts := httptest.NewServer(srv)
	sess, csrf := consoleLogin(t, ts.URL, text)
	srv.Close()
	ts.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open()
	t.Cleanup(func() { db.Close() })
	base := serve(t, db)
	if code, loc, _ := consoleClient(t, base, sess, "GET", "/console/", nil); code != http.StatusOK {
		t.Errorf("after a restart, the session: %d to %q, want 200", code, loc)
	}
	if code, _, _ := consoleClient(t, base, sess, "POST", "/console/search", url.Values{"csrf": {csrf}, "q": {"139 1234 5601"}}); code != http.StatusNotFound {
		t.Errorf("after a restart, a search with the session's CSRF token: %d, want 404 (an empty database)", code)
	}
}

// TestSessionRefused checks that a tampered, expired or revoked session
// is sent to the login page, on the server that made it and on another,
// and that one session's CSRF token is refused with another's cookie.
func TestSessionRefused(t *testing.T) {
	f := newFixture(t)
	other := serve(t, f.db)
	ctx := context.Background()
	read, err := f.db.CheckToken(ctx, f.tokens["read"])
	if err != nil {
		t.Fatal(err)
	}
	admin, err := f.db.CheckToken(ctx, f.tokens["admin"])
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := consoleLogin(t, f.ts.URL, f.tokens["read"])
	_, mktCSRF := consoleLogin(t, f.ts.URL, f.tokens["marketing"])
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	expired, err := f.srv.sessionValue(read.ID, time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	v := sess.Value
	for _, tc := range []struct{ name, value string }{
		{"last character flipped", flip(v, len(v)-1)},
		{"first character flipped", flip(v, 0)},
		{"another token's id", strings.Replace(v, read.ID, admin.ID, 1)},
		{"expiry moved", strings.Replace(v, ".", ".9", 1)},
		{"truncated", v[:len(v)-4]},
		{"empty", ""},
		{"expired", expired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.value == v {
				t.Fatal("the tampered value is the session's")
			}
			for _, base := range []string{f.ts.URL, other} {
				ck := &http.Cookie{Name: sessionCookie, Value: tc.value}
				if code, loc, _ := consoleClient(t, base, ck, "GET", "/console/", nil); code != http.StatusSeeOther || loc != "/console/login" {
					t.Errorf("%d to %q, want 303 to the login", code, loc)
				}
			}
		})
	}
	if code, _, _ := consoleClient(t, f.ts.URL, sess, "POST", "/console/search", url.Values{"csrf": {mktCSRF}, "q": {"139 1234 5601"}}); code != http.StatusForbidden {
		t.Errorf("a search with another session's CSRF token: %d, want 403", code)
	}
	if code, _, _ := consoleClient(t, f.ts.URL, sess, "GET", "/console/", nil); code != http.StatusOK {
		t.Fatalf("the session before its token is revoked: %d, want 200", code)
	}
	if err := f.db.RevokeToken(ctx, read.ID); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{f.ts.URL, other} {
		if code, loc, _ := consoleClient(t, base, sess, "GET", "/console/", nil); code != http.StatusSeeOther || loc != "/console/login" {
			t.Errorf("after the token is revoked: %d to %q, want 303 to the login", code, loc)
		}
	}
}
