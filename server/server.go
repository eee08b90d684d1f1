// Package server is the HTTP face of an scv database: a JSON API under
// /v1 for any backend, a web console for the people who act on a single
// customer view, and /metrics for Prometheus. "scv serve" runs it.
//
// # Tokens and purposes
//
// Every API call carries a bearer token ([scv.DB.CreateToken]); the
// console logs in with one. A token has a scope ([scv.ScopeRead],
// [scv.ScopeImport], [scv.ScopeAdmin]) and a purpose. A token of a purpose
// other than internal never receives a profile without consent for that
// purpose, by any route: lookups answer 404 not_found, the answer of a
// profile that is not there (a 403 would tell that the person is a
// customer), and so do an erased profile and a phone on several profiles
// none of which consents (410 and 409 to an internal token);
// listings, exports, suggestions and the console's funnel
// leave such profiles out, and the change feed leaves out their events
// (erasure notices, an id and a time, still pass). Its answers mask
// personal fields (138****5601, 王*).
// Erase, unmerge, reviewing suggestions and managing tokens (/v1/tokens,
// for when the server holds a database "scv token" cannot open) need
// scope admin; a token of a purpose other than internal manages tokens
// of its own purpose only.
//
// # Console sessions
//
// A console session is a cookie signed with a key derived from the
// database's key material and checked, with its expiry and its token, on
// every request: it survives a restart, any server of the same database
// accepts it, and revoking its token ends it at once.
//
// # Routes
//
// The API is under /v1 and documented by the OpenAPI 3 document at
// /v1/openapi.json; the console is under /console/; /metrics serves
// Prometheus metrics. See docs/server.md for every route.
//
// # Logs
//
// The access log (log/slog) names the route pattern, the status, the
// duration and the token id, never a path with its values, a query, a
// phone, a name or a token secret.
//
// A Server is safe for concurrent use by multiple goroutines.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/scv-go/scv"
)

// Options configure [New]. The zero value is the default.
type Options struct {
	// Logger receives the access log; nil means JSON lines on stderr.
	Logger *slog.Logger
	// Registry is where the metrics are registered; nil means a new
	// registry of the server's own, served at /metrics.
	Registry *prometheus.Registry
	// SecureCookies marks the console's session cookie Secure: set it
	// when the server is reached over TLS.
	SecureCookies bool
	// Region is the default region of phone numbers in lookups; it must
	// match the DB's (scv.Options.Region). "" means CN.
	Region string
}

// Server serves the API, the console and the metrics of one database.
type Server struct {
	db      *scv.DB
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	metrics *metrics
	tokens  tokenCache
	closing chan struct{}
	once    sync.Once
}

// route is one registered API route; the OpenAPI document lists the same.
type route struct {
	method, pattern string
	scope           scv.Scope // the least scope the route needs; "" for none
	h               handler
}

// handler answers one request of an authenticated token.
type handler func(w http.ResponseWriter, r *http.Request, tok scv.Token) error

// New returns a server of db. The caller keeps ownership of db and closes
// it after the server's [Server.Close].
func New(db *scv.DB, opts Options) *Server {
	s := &Server{db: db, opts: opts, log: opts.Logger, mux: http.NewServeMux(), closing: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	s.metrics = newMetrics(opts.Registry)
	s.apiRoutes()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.pattern, s.api(rt))
	}
	s.mux.HandleFunc("GET /v1/openapi.json", s.openAPI)
	s.mux.HandleFunc("/v1/", s.noRoute)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.consoleRoutes()
	return s
}

// Close ends the server's change-feed streams, so that an
// http.Server.Shutdown does not wait for them.
func (s *Server) Close() { s.once.Do(func() { close(s.closing) }) }

// ServeHTTP serves the API, the console and the metrics, writing one
// access-log line per request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ex := &exchange{logWriter: logWriter{ResponseWriter: w, status: http.StatusOK}}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, &ex.info))
	s.mux.ServeHTTP(&ex.logWriter, r) // sets r.Pattern to the route matched
	pattern := r.Pattern
	if pattern == "" {
		pattern = "unmatched"
	}
	d := time.Since(start)
	s.metrics.observe(pattern, ex.status, d)
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	attrs := ex.attrs[:0]
	attrs = append(attrs, slog.String("route", pattern), slog.Int("status", ex.status),
		slog.Duration("duration", d), slog.Int64("bytes", ex.bytes))
	if ex.info.token != "" {
		attrs = append(attrs, slog.String("token", ex.info.token))
	}
	if ex.info.profile != "" {
		attrs = append(attrs, slog.String("profile", ex.info.profile))
	}
	if ex.info.code != "" {
		attrs = append(attrs, slog.String("code", ex.info.code))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// exchange is what ServeHTTP keeps of one request, in one allocation:
// the response writer that counts, what the handler tells the log, and
// room for the log line's attributes.
type exchange struct {
	logWriter
	info  reqInfo
	attrs [7]slog.Attr
}

// reqInfo is what a handler tells the access log: ids and codes only.
type reqInfo struct{ token, profile, code string }

type infoKey struct{}

func info(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

type logWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *logWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *logWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// api wraps a route's handler with authentication, the scope check and
// error answers.
func (s *Server) api(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Cache-Control"], h["X-Content-Type-Options"] = noStore, noSniff
		tok, err := s.authenticate(r)
		if err == nil && !tok.Scope.Allows(rt.scope) {
			err = errorf(http.StatusForbidden, "scope", "this route needs a token of scope %s or above", rt.scope)
		}
		if err == nil {
			err = rt.h(w, r, tok)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// noRoute answers a request no API route matches: 405 method_not_allowed
// if a route has its path with another method, else 404 no_route.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range s.routes {
		q := r.Clone(r.Context())
		q.Method = rt.method
		if _, pattern := s.mux.Handler(q); pattern == rt.method+" "+rt.pattern {
			allow = append(allow, rt.method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "this route takes %s", strings.Join(allow, ", ")))
		return
	}
	s.writeError(w, r, errorf(http.StatusNotFound, "no_route", "no API route has this path; see /v1/openapi.json"))
}

// authenticate returns the token of a request's Authorization header.
func (s *Server) authenticate(r *http.Request) (scv.Token, error) {
	text, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || text == "" {
		return scv.Token{}, errorf(http.StatusUnauthorized, "unauthenticated", "send a token as Authorization: Bearer TOKEN")
	}
	text = strings.TrimSpace(text)
	now := time.Now()
	tok, gen, ok := s.tokens.get(text, now)
	if ok {
		info(r).token = tok.ID
		return tok, nil
	}
	tok, err := s.db.CheckToken(r.Context(), text)
	if err == nil {
		s.tokens.put(text, tok, now, gen)
	}
	if errors.Is(err, scv.ErrBadToken) {
		return scv.Token{}, errorf(http.StatusUnauthorized, "bad_token", "the token is invalid or revoked")
	}
	if err != nil {
		return scv.Token{}, err
	}
	info(r).token = tok.ID
	return tok, nil
}

// Error is the body of every error answer: a stable code a program tests
// and a message for people. Neither holds personal data.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the code and message, prefixed "server: ".
func (e *Error) Error() string { return "server: " + e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: sprintf(format, args...)}
}

// writeError answers err as JSON: an *Error as it is, a library error by
// its sentinel, anything else as internal (its text is logged, not sent).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	if e.Status == http.StatusInternalServerError {
		// Library errors name fields and record ids, never personal data.
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("error", err.Error()))
	}
	info(r).code = e.Code
	writeJSON(w, e.Status, e)
}

func asError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, scv.ErrNotFound):
		return notFound()
	case errors.Is(err, scv.ErrErased):
		return errorf(http.StatusGone, "erased", "the profile was erased")
	case errors.Is(err, scv.ErrHub):
		return errorf(http.StatusConflict, "hub", "the value is a shared placeholder, not one person's")
	case errors.Is(err, scv.ErrAmbiguous):
		return errorf(http.StatusConflict, "ambiguous", "the value is on several profiles")
	case errors.Is(err, scv.ErrNotLinked):
		return errorf(http.StatusConflict, "not_linked", "the merge rules keep the two profiles apart")
	case errors.Is(err, scv.ErrSameProfile):
		return errorf(http.StatusConflict, "same_profile", "the two ids are one profile; unmerge a record first")
	case errors.Is(err, scv.ErrClosed):
		return errorf(http.StatusServiceUnavailable, "closed", "the database is closed")
	}
	return errorf(http.StatusInternalServerError, "internal", "internal error; the server log has the details")
}

// writeJSON answers v as JSON, encoded whole before the status is sent
// (an encoding error is a 500, not half a body) and sent with its
// Content-Length in one write.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b := jsonBuffers.Get().(*jsonBuffer)
	defer b.put()
	b.buf.Reset()
	var err error
	if pv, ok := v.(*profileView); ok { // a lookup's answer: see appendJSON
		var out []byte
		if out, err = pv.appendJSON(b.buf.AvailableBuffer()); err == nil {
			b.buf.Write(out)
			b.buf.WriteByte('\n')
		}
	} else {
		err = b.enc.Encode(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b.buf.Reset()
		b.buf.WriteString(`{"code":"internal","message":"internal error; the answer could not be encoded"}` + "\n")
	}
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Content-Length"] = []string{strconv.Itoa(b.buf.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(b.buf.Bytes())
}

// Header values every API answer sends, set without Header.Set's
// allocation and canonicalisation; net/http only reads them, and an Add
// to one appends to a copy (their capacity is their length).
var (
	noStore  = []string{"no-store"}
	noSniff  = []string{"nosniff"}
	jsonType = []string{"application/json; charset=utf-8"}
)

// jsonBuffer is a reusable buffer and its JSON encoder.
type jsonBuffer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// maxPooledJSON is the largest buffer put back in the pool; a larger
// one (a page of a thousand profiles) is left to the collector.
const maxPooledJSON = 64 << 10

var jsonBuffers = sync.Pool{New: func() any {
	b := new(jsonBuffer)
	b.enc = json.NewEncoder(&b.buf)
	b.enc.SetEscapeHTML(false)
	return b
}}

func (b *jsonBuffer) put() {
	if b.buf.Cap() <= maxPooledJSON {
		jsonBuffers.Put(b)
	}
}
