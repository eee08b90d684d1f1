package server

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/scv-go/scv"
)

// The console is server-rendered HTML (html/template) with one small
// script, embedded in the binary: no build step, no third-party asset.

//go:embed console
var consoleFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"yuan":  func(fen int64) string { return sprintf("%d.%02d", fen/100, fen%100) },
	"date":  func(t time.Time) string { return dateText(t) },
	"pct":   func(f float64) string { return sprintf("%.0f%%", 100*f) },
	"prob":  func(f float64) string { return sprintf("%.2f", f) },
	"add":   func(a, b int) int { return a + b },
	"float": func(i int) float64 { return float64(i) },
}).ParseFS(consoleFS, "console/*.html"))

// csp is the console's Content-Security-Policy: nothing inline, nothing
// from elsewhere.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"

const (
	sessionCookie = "scv_session"
	loginCookie   = "scv_login" // the login form's CSRF token, before a session exists
	sessionTTL    = 8 * time.Hour
)

func randomText() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// page is what every console template gets.
type page struct {
	Title string
	CSRF  string
	Token scv.Token
	Nav   string
	Error string
	Data  any
}

// consoleHandler answers one console page of a logged-in session.
type consoleHandler func(w http.ResponseWriter, r *http.Request, c *consoleCtx) error

// consoleCtx is a console request's token and the CSRF token of its
// session (see session.go).
type consoleCtx struct {
	csrf string
	tok  scv.Token
}

func (s *Server) consoleRoutes() {
	static, _ := fs.Sub(consoleFS, "console/static")
	s.mux.Handle("GET /console/static/", s.secure(http.StripPrefix("/console/static/", http.FileServerFS(static))))
	s.mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusSeeOther))
	s.mux.Handle("GET /console/login", s.secure(http.HandlerFunc(s.loginForm)))
	s.mux.Handle("POST /console/login", s.secure(http.HandlerFunc(s.login)))
	s.mux.Handle("POST /console/logout", s.page(scv.ScopeRead, s.logout))
	s.mux.Handle("GET /console/{$}", s.page(scv.ScopeRead, s.searchPage))
	s.mux.Handle("POST /console/search", s.page(scv.ScopeRead, s.search))
	s.mux.Handle("GET /console/profiles/{id}", s.page(scv.ScopeRead, s.profilePage))
	s.mux.Handle("GET /console/funnel", s.page(scv.ScopeRead, s.funnelPage))
	s.mux.Handle("GET /console/quarantine", s.page(scv.ScopeRead, s.quarantinePage))
	s.mux.Handle("GET /console/suggestions", s.page(scv.ScopeRead, s.suggestionsPage))
	s.mux.Handle("POST /console/suggestions/{action}", s.page(scv.ScopeAdmin, s.review))
}

// secure sets the headers of every console answer.
func (s *Server) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// page wraps a console handler: a session is required (else the login
// page), its token is checked again, a POST must carry the session's
// CSRF token, and the token's scope must allow the page.
func (s *Server) page(scope scv.Scope, h consoleHandler) http.Handler {
	return s.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		value := sessionCookieOf(r)
		tok, ok, err := s.openSession(r.Context(), value, time.Now())
		var c *consoleCtx
		if err == nil && ok {
			c = &consoleCtx{tok: tok}
			c.csrf, err = s.csrfToken(value)
		}
		switch {
		case err != nil:
			s.log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("error", err.Error()))
			info(r).code = "internal"
			s.render(w, r, nil, http.StatusInternalServerError, "error", "Error", errorf(http.StatusInternalServerError, "internal", "internal error; the server log has the details"))
			return
		case !ok:
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		info(r).token = tok.ID
		if r.Method == http.MethodPost && !s.checkCSRF(value, r.PostFormValue("csrf")) {
			s.render(w, r, c, http.StatusForbidden, "error", "Refused", errorf(http.StatusForbidden, "csrf", "the form's CSRF token is missing or wrong; reload the page"))
			return
		}
		if !tok.Scope.Allows(scope) {
			s.render(w, r, c, http.StatusForbidden, "error", "Refused", errorf(http.StatusForbidden, "scope", "this needs a token of scope %s or above", scope))
			return
		}
		if err := h(w, r, c); err != nil {
			e := asError(err)
			if e.Status == http.StatusInternalServerError {
				s.log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("error", err.Error()))
			}
			info(r).code = e.Code
			s.render(w, r, c, e.Status, "error", "Error", e)
		}
	}))
}

func sameText(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// render writes a console page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *consoleCtx, status int, name, title string, data any) {
	p := page{Title: title, Nav: name, Data: data}
	if c != nil {
		p.CSRF, p.Token = c.csrf, c.tok
	}
	if e, ok := data.(*Error); ok {
		p.Error = e.Message
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name+".html", p); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "template", slog.String("page", name), slog.String("error", err.Error()))
	}
}

func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/console", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opts.SecureCookies}
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	csrf := randomText()
	http.SetCookie(w, s.cookie(loginCookie, csrf, 600))
	s.render(w, r, nil, http.StatusOK, "login", "Log in", page{CSRF: csrf})
}

// login opens a session for a valid token. The login form carries a CSRF
// token that must match its cookie (double submit), so that another site
// cannot log a browser in with the attacker's token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(loginCookie)
	if err != nil || !sameText(r.PostFormValue("csrf"), ck.Value) {
		info(r).code = "csrf"
		s.render(w, r, nil, http.StatusForbidden, "login", "Log in", page{CSRF: "", Error: "The form expired; reload the page."})
		return
	}
	text := r.PostFormValue("token")
	tok, err := s.db.CheckToken(r.Context(), text)
	if err != nil {
		info(r).code = "bad_token"
		csrf := randomText()
		http.SetCookie(w, s.cookie(loginCookie, csrf, 600))
		status := http.StatusUnauthorized
		if !errors.Is(err, scv.ErrBadToken) {
			status = http.StatusInternalServerError
		}
		s.render(w, r, nil, status, "login", "Log in", page{CSRF: csrf, Error: "That token is invalid or revoked."})
		return
	}
	info(r).token = tok.ID
	value, err := s.sessionValue(tok.ID, time.Now().Add(sessionTTL))
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("error", err.Error()))
		info(r).code = "internal"
		s.render(w, r, nil, http.StatusInternalServerError, "login", "Log in", page{Error: "The session could not be made; the server log has the details."})
		return
	}
	http.SetCookie(w, s.cookie(loginCookie, "", -1))
	http.SetCookie(w, s.cookie(sessionCookie, value, int(sessionTTL/time.Second)))
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
	return nil
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	s.render(w, r, c, http.StatusOK, "search", "Search", nil)
	return nil
}

// search looks a phone (or a profile id) up and opens its profile page.
// The phone travels in the form body, never in a URL.
func (s *Server) search(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	q := r.PostFormValue("q")
	var p *scv.Profile
	var err error
	if profileID.MatchString(q) {
		p, err = s.db.ByID(r.Context(), q)
	} else {
		p, err = s.db.ByPhone(r.Context(), q)
	}
	if err == nil {
		err = check(c.tok, p)
	} else {
		err = s.conceal(r, c.tok, err)
	}
	if err != nil {
		e := asError(err)
		if e.Status == http.StatusInternalServerError && !errors.Is(err, scv.ErrClosed) {
			e = errorf(http.StatusBadRequest, "bad_phone", "that is not a phone number a profile can have")
		}
		info(r).code = e.Code
		s.render(w, r, c, e.Status, "search", "Search", e)
		return nil
	}
	info(r).profile = p.ID
	http.Redirect(w, r, "/console/profiles/"+p.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	p, err := s.profileOf(r, c.tok)
	if err != nil {
		return err
	}
	tl, err := s.timelineOf(r, p)
	if err != nil {
		return err
	}
	g, err := s.db.Graph(r.Context(), p.ID)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "profile", "Profile", struct {
		P        *profileView
		Timeline []scv.TimelineEntry
		Graph    *graphSVG
	}{view(c.tok, p), tl, layoutGraph(g)})
	return nil
}

func (s *Server) funnelPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	fn, err := s.funnel(r, c.tok)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "funnel", "Funnel", fn)
	return nil
}

func (s *Server) quarantinePage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	var out []quarantined
	for e, err := range s.db.Quarantine(r.Context()) {
		if err != nil {
			return err
		}
		q := quarantined{Channel: string(e.Channel), File: e.File, Source: e.Source, Line: e.Line,
			RecordID: e.RecordID, Field: e.Field, Reason: string(e.Reason), Time: e.Time}
		if c.tok.Purpose != scv.PurposeInternal && q.RecordID != "" {
			q.RecordID = maskID(q.RecordID)
		}
		if out = append(out, q); len(out) == maxPage {
			break
		}
	}
	s.render(w, r, c, http.StatusOK, "quarantine", "Quarantine", out)
	return nil
}

func (s *Server) suggestionsPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	var out []scv.Suggestion
	for sg, err := range s.db.Suggest(r.Context(), scv.SuggestOptions{}) {
		if err != nil {
			return err
		}
		if s.pairAllowed(r, c.tok, sg.A, sg.B) {
			if out = append(out, sg); len(out) == maxPage {
				break
			}
		}
	}
	s.render(w, r, c, http.StatusOK, "suggestions", "Suggestions", struct {
		Suggestions []scv.Suggestion
		Admin       bool
		Done        string
	}{out, c.tok.Scope.Allows(scv.ScopeAdmin), r.URL.Query().Get("done")})
	return nil
}

// review accepts (links) or rejects (do-not-link) a suggestion.
func (s *Server) review(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	a, b := r.PostFormValue("a"), r.PostFormValue("b")
	if !profileID.MatchString(a) || !profileID.MatchString(b) {
		return errorf(http.StatusBadRequest, "bad_id", "a and b are profile ids")
	}
	if !s.pairAllowed(r, c.tok, a, b) {
		return notFound()
	}
	switch r.PathValue("action") {
	case "accept":
		id, err := s.db.AcceptSuggestion(r.Context(), a, b)
		if err != nil {
			return err
		}
		info(r).profile = id
		http.Redirect(w, r, "/console/profiles/"+id, http.StatusSeeOther)
	case "reject":
		if err := s.db.RejectSuggestion(r.Context(), a, b); err != nil {
			return err
		}
		http.Redirect(w, r, "/console/suggestions?done=rejected", http.StatusSeeOther)
	default:
		return errorf(http.StatusNotFound, "not_found", "no such action")
	}
	return nil
}
