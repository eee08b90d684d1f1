package server

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t *testing.T
	f *fixture
	c *http.Client
}

func newBrowser(t *testing.T, f *fixture) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.f.ts.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.f.ts.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no CSRF field in the page")
	}
	return m[1]
}

// login logs the browser in with a token and returns the CSRF token of
// its session.
func (b *browser) login(token string) string {
	b.t.Helper()
	_, html := b.get("/console/login")
	resp, _ := b.post("/console/login", url.Values{"csrf": {csrfOf(b.t, html)}, "token": {b.f.tokens[token]}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login: %d", resp.StatusCode)
	}
	_, html = b.get("/console/")
	return csrfOf(b.t, html)
}

func TestConsoleSession(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f)
	if resp, _ := b.get("/console/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
		t.Fatalf("without a session: %d to %q, want 303 to the login", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, html := b.get("/console/login")
	if got := resp.Header.Get("Content-Security-Policy"); got != csp || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy = %q", got)
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, " style=") || strings.Contains(html, " onclick=") {
		t.Errorf("the login page has inline script or style, which the CSP refuses")
	}
	csrf := csrfOf(t, html)
	if resp, _ := b.post("/console/login", url.Values{"token": {f.tokens["admin"]}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without the CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := b.post("/console/login", url.Values{"csrf": {csrf}, "token": {"scv_0123456789abcdef_x"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with a bad token: %d, want 401", resp.StatusCode)
	}
	_, html = b.get("/console/login")
	resp, _ = b.post("/console/login", url.Values{"csrf": {csrfOf(t, html)}, "token": {f.tokens["read"]}})
	var sess *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			sess = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login: %d, session cookie %+v; want 303 and an HttpOnly, SameSite=Strict cookie", resp.StatusCode, sess)
	}
	_, html = b.get("/console/")
	csrf = csrfOf(t, html)
	if resp, _ := b.post("/console/search", url.Values{"q": {"139 1234 5601"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("search without the CSRF token: %d, want 403", resp.StatusCode)
	}
	resp, _ = b.post("/console/search", url.Values{"csrf": {csrf}, "q": {"139 1234 5601"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/profiles/") {
		t.Fatalf("search: %d to %q, want the profile page", resp.StatusCode, loc)
	}
	if resp, _ := b.post("/console/suggestions/accept", url.Values{"csrf": {csrf}, "a": {strings.Repeat("a", 32)}, "b": {strings.Repeat("b", 32)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("accept with a read token: %d, want 403", resp.StatusCode)
	}
	// Revoking the token ends the session.
	tok, err := f.db.CheckToken(context.Background(), f.tokens["read"])
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.RevokeToken(context.Background(), tok.ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get("/console/funnel"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the token is revoked: %d, want 303 to the login", resp.StatusCode)
	}
}

// TestConsoleConsent checks the console's pages with a marketing token:
// a profile without consent is answered by search and by id as one that
// is not there, and the others are masked.
func TestConsoleConsent(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f)
	csrf := b.login("marketing")
	// A profile without consent looks like one that is not there.
	absentResp, absent := b.get("/console/profiles/" + strings.Repeat("0", 32))
	if absentResp.StatusCode != http.StatusNotFound {
		t.Fatalf("profile page of an id that is not there: %d, want 404", absentResp.StatusCode)
	}
	checked := 0
	for _, p := range f.internalProfiles(t) {
		resp, html := b.get("/console/profiles/" + p.ID)
		if !p.Consent["marketing"] {
			if resp.StatusCode != http.StatusNotFound || html != absent {
				t.Errorf("profile page without consent: %d, want the 404 page of an id that is not there", resp.StatusCode)
			}
			if len(p.Phones) > 0 {
				if resp, _ := b.post("/console/search", url.Values{"csrf": {csrf}, "q": {p.Phones[0]}}); resp.StatusCode != http.StatusNotFound {
					t.Errorf("search of a phone without consent: %d, want 404", resp.StatusCode)
				}
			}
			continue
		}
		checked++
		if resp.StatusCode != http.StatusOK {
			t.Errorf("profile page with consent: %d", resp.StatusCode)
		}
		for _, ph := range p.Phones {
			if strings.Contains(html, strings.TrimPrefix(ph, "+86")) {
				t.Errorf("a marketing page shows a phone unmasked")
			}
		}
		if p.Name != "" && strings.Contains(html, p.Name) && len([]rune(p.Name)) > 1 {
			t.Errorf("a marketing page shows a name unmasked")
		}
	}
	if checked == 0 {
		t.Fatal("no consented profile checked")
	}
}
