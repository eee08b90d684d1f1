package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// apiRoutes lists the API routes; openapi.json documents the same, which
// a test checks both ways.
func (s *Server) apiRoutes() {
	s.routes = []route{
		{"POST", "/v1/profiles/lookup", scv.ScopeRead, s.lookup},
		{"GET", "/v1/profiles/{id}", scv.ScopeRead, s.getProfile},
		{"DELETE", "/v1/profiles/{id}", scv.ScopeAdmin, s.erase},
		{"GET", "/v1/profiles/{id}/explain", scv.ScopeRead, s.explain},
		{"GET", "/v1/profiles/{id}/timeline", scv.ScopeRead, s.timeline},
		{"GET", "/v1/profiles/{id}/suggestions", scv.ScopeRead, s.suggestFor},
		{"POST", "/v1/explain/pair", scv.ScopeRead, s.explainPair},
		{"GET", "/v1/stages/{stage}", scv.ScopeRead, s.stage},
		{"GET", "/v1/stats", scv.ScopeRead, s.stats},
		{"GET", "/v1/export", scv.ScopeRead, s.export},
		{"POST", "/v1/import", scv.ScopeImport, s.importRecords},
		{"POST", "/v1/unmerge", scv.ScopeAdmin, s.unmerge},
		{"GET", "/v1/suggestions", scv.ScopeRead, s.suggestions},
		{"POST", "/v1/suggestions/accept", scv.ScopeAdmin, s.accept},
		{"POST", "/v1/suggestions/reject", scv.ScopeAdmin, s.reject},
		{"GET", "/v1/quarantine", scv.ScopeRead, s.quarantine},
		{"GET", "/v1/feed", scv.ScopeRead, s.feed},
		{"POST", "/v1/tokens", scv.ScopeAdmin, s.createToken},
		{"GET", "/v1/tokens", scv.ScopeAdmin, s.listTokens},
		{"DELETE", "/v1/tokens/{id}", scv.ScopeAdmin, s.revokeToken},
	}
}

var profileID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// profileOf returns the profile of the {id} path value, checked against
// the token's purpose.
func (s *Server) profileOf(r *http.Request, tok scv.Token) (*scv.Profile, error) {
	id := r.PathValue("id")
	if !profileID.MatchString(id) {
		return nil, errorf(http.StatusBadRequest, "bad_id", "a profile id is 32 lower-case hex digits")
	}
	p, err := s.profileFor(r, tok, id)
	if err != nil {
		return nil, err
	}
	info(r).profile = p.ID
	return p, nil
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	p, err := s.profileOf(r, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view(tok, p))
	return nil
}

// lookupRequest is the body of POST /v1/profiles/lookup: one of its
// fields. A phone travels in the body, not the URL, so that no proxy or
// access log records it.
type lookupRequest struct {
	Phone      string `json:"phone,omitempty"`
	ID         string `json:"id,omitempty"`
	Identifier string `json:"identifier,omitempty"` // kind:value or kind:scope:value
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	var req lookupRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	var p *scv.Profile
	var err error
	switch {
	case req.Phone != "":
		p, err = s.db.ByPhone(r.Context(), req.Phone)
		if errors.Is(err, identity.ErrInvalidPhone) || errors.Is(err, identity.ErrMaskedPhone) ||
			errors.Is(err, identity.ErrServicePhone) || errors.Is(err, identity.ErrPlaceholderPhone) {
			return errorf(http.StatusBadRequest, "bad_phone", "the phone number cannot be a key (invalid, masked, service or placeholder)")
		}
	case req.ID != "":
		if !profileID.MatchString(req.ID) {
			return errorf(http.StatusBadRequest, "bad_id", "a profile id is 32 lower-case hex digits")
		}
		p, err = s.db.ByID(r.Context(), req.ID)
	case req.Identifier != "":
		id, perr := identity.ParseIdentifier(req.Identifier)
		if perr != nil {
			return errorf(http.StatusBadRequest, "bad_identifier", "an identifier is kind:value, or kind:scope:value for openid, member and buyer")
		}
		p, err = s.db.ByIdentifier(r.Context(), id)
	default:
		return errorf(http.StatusBadRequest, "bad_request", "give phone, id or identifier")
	}
	if err != nil {
		return s.conceal(r, tok, err)
	}
	info(r).profile = p.ID
	if err := check(tok, p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view(tok, p))
	return nil
}

func (s *Server) explain(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	p, err := s.profileOf(r, tok)
	if err != nil {
		return err
	}
	g, err := s.db.Graph(r.Context(), p.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Profile *profileView `json:"profile"`
		Graph   *scv.Graph   `json:"graph"`
	}{view(tok, p), g})
	return nil
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	p, err := s.profileOf(r, tok)
	if err != nil {
		return err
	}
	tl, err := s.timelineOf(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Profile  string              `json:"profile"`
		Timeline []scv.TimelineEntry `json:"timeline"`
	}{p.ID, tl})
	return nil
}

// pairRequest names two records (explain) or two profiles (suggestions).
type pairRequest struct {
	A string `json:"a"`
	B string `json:"b"`
}

// pairAnswer is the answer of POST /v1/explain/pair; its path names
// records and identifier kinds only.
type pairAnswer struct {
	A, B    string    `json:"-"`
	Same    bool      `json:"same"`
	Profile string    `json:"profile,omitempty"`
	Rule    string    `json:"rule,omitempty"`
	Kind    string    `json:"kind,omitempty"`
	Path    []pairHop `json:"path"`
}

type pairHop struct {
	From string `json:"from"`
	To   string `json:"to"`
	Via  string `json:"via"` // the identifier kind
}

func (s *Server) explainPair(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	var req pairRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	a, err1 := identity.ParseRecordKey(req.A)
	b, err2 := identity.ParseRecordKey(req.B)
	if err1 != nil || err2 != nil {
		return errorf(http.StatusBadRequest, "bad_record", "a record key is channel/source/id")
	}
	for _, k := range []identity.RecordKey{a, b} {
		if err := s.recordAllowed(r, tok, k); err != nil {
			return err
		}
	}
	pe, err := s.db.ExplainPair(r.Context(), a, b)
	if err != nil {
		return err
	}
	ans := pairAnswer{Same: pe.Same, Profile: pe.Profile, Rule: string(pe.Rule), Path: []pairHop{}}
	if pe.Kind != 0 {
		ans.Kind = pe.Kind.String()
	}
	for _, h := range pe.Path {
		ans.Path = append(ans.Path, pairHop{From: h.From.String(), To: h.To.String(), Via: h.Via.Kind.String()})
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// recordAllowed checks that the profile holding a record may be shown to
// tok.
func (s *Server) recordAllowed(r *http.Request, tok scv.Token, k identity.RecordKey) error {
	if tok.Purpose == scv.PurposeInternal {
		return nil
	}
	p, err := s.db.ByRecord(r.Context(), k)
	if err != nil {
		return s.conceal(r, tok, err)
	}
	return check(tok, p)
}

// listing is the answer of GET /v1/stages/{stage}: a page of profiles and
// the cursor of the next, empty at the end.
type listing struct {
	Profiles []*profileView `json:"profiles"`
	Cursor   string         `json:"cursor,omitempty"`
}

const maxPage = 1000

func (s *Server) stage(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	st := scv.Stage(r.PathValue("stage"))
	if !validStage(st) {
		return errorf(http.StatusBadRequest, "bad_stage", "stages: potential, target, first_purchase, repeat, loyal, advocate")
	}
	q := r.URL.Query()
	f := scv.Filter{Risk: scv.Risk(q.Get("risk")), Channel: identity.Channel(q.Get("channel")), After: q.Get("after")}
	want := scv.Purpose(q.Get("consent"))
	if want != "" && want != scv.PurposeInternal && !validPurpose(want) {
		return errorf(http.StatusBadRequest, "bad_consent", "consent: marketing, personalisation or third_party")
	}
	f.Consent = want
	if tok.Purpose != scv.PurposeInternal {
		f.Consent = tok.Purpose // the store leaves out the others; want is checked below
	}
	if v := q.Get("active_since"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return errorf(http.StatusBadRequest, "bad_date", "active_since is YYYY-MM-DD")
		}
		f.ActiveSince = t
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return errorf(http.StatusBadRequest, "bad_limit", "limit is 1 to %d", maxPage)
		}
		f.Limit = n
	}
	out := listing{Profiles: []*profileView{}}
	n := 0
	for p, err := range s.db.ByStage(r.Context(), st, f) {
		if errors.Is(err, scv.ErrDamaged) {
			continue
		}
		if errors.Is(err, scv.ErrBadCursor) {
			return errorf(http.StatusBadRequest, "bad_cursor", "the cursor is not one this database wrote")
		}
		if err != nil {
			return err
		}
		n++
		out.Cursor = p.Cursor
		if allowed(tok, p) && (want == "" || want == scv.PurposeInternal || p.Consent[want]) {
			out.Profiles = append(out.Profiles, view(tok, p))
		}
	}
	if n < f.Limit {
		out.Cursor = ""
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func validStage(st scv.Stage) bool {
	switch st {
	case scv.StagePotential, scv.StageTarget, scv.StageFirstPurchase, scv.StageRepeat, scv.StageLoyal, scv.StageAdvocate:
		return true
	}
	return false
}

func validPurpose(p scv.Purpose) bool {
	switch p {
	case scv.PurposeInternal, identity.PurposeMarketing, identity.PurposePersonalisation, identity.PurposeThirdParty:
		return true
	}
	return false
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	st, err := s.db.Stats(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// export streams the profiles a purpose may use as NDJSON. A token of a
// purpose other than internal exports for its own purpose only.
func (s *Server) export(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	purpose := scv.Purpose(r.URL.Query().Get("purpose"))
	if purpose == "" {
		purpose = tok.Purpose
	}
	if !validPurpose(purpose) {
		return errorf(http.StatusBadRequest, "bad_purpose", "purpose: internal, marketing, personalisation or third_party")
	}
	if tok.Purpose != scv.PurposeInternal && purpose != tok.Purpose {
		return errorf(http.StatusForbidden, "purpose", "a %s token exports for %s only", tok.Purpose, tok.Purpose)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	fl, _ := w.(http.Flusher)
	n := 0
	for p, err := range s.db.Export(r.Context(), purpose) {
		if errors.Is(err, scv.ErrDamaged) {
			continue
		}
		if err != nil {
			if n == 0 {
				return err
			}
			// The status is sent: end the stream with an error line.
			_ = enc.Encode(map[string]any{"error": asError(err)})
			return nil
		}
		if !allowed(tok, p) || purpose != scv.PurposeInternal && !p.Consent[purpose] {
			continue
		}
		if err := enc.Encode(view(tok, p)); err != nil {
			return nil // the client went away
		}
		if n++; n%256 == 0 && fl != nil {
			fl.Flush()
		}
	}
	return nil
}

// importRecords reads a native export in the request body.
func (s *Server) importRecords(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	q := r.URL.Query()
	f, err := identity.ParseFormat(q.Get("format"))
	if err != nil {
		return errorf(http.StatusBadRequest, "bad_format", "format: wechat, weibo, ecommerce, pos or csv")
	}
	opts := identity.Options{Source: q.Get("source"), Region: s.opts.Region}
	if m := q.Get("map"); m != "" {
		if opts.Mapping, err = identity.ParseMapping(m); err != nil {
			return errorf(http.StatusBadRequest, "bad_map", "map is field=column,... for format csv")
		}
	}
	file := q.Get("file")
	if file == "" {
		file = "http"
	}
	sum, err := s.db.IngestAll(r.Context(), identity.Decode(r.Body, f, opts), scv.IngestOptions{File: file})
	s.metrics.ingested(f, sum)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

func (s *Server) unmerge(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	var req struct {
		Record string `json:"record"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	k, err := identity.ParseRecordKey(req.Record)
	if err != nil {
		return errorf(http.StatusBadRequest, "bad_record", "a record key is channel/source/id")
	}
	if err := s.recordAllowed(r, tok, k); err != nil {
		return err
	}
	c, err := s.db.Unmerge(r.Context(), k)
	if err != nil {
		return err
	}
	ids := []string{}
	for _, p := range c.Profiles {
		ids = append(ids, p.ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"profiles": ids})
	return nil
}

func (s *Server) erase(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	id := r.PathValue("id")
	if !profileID.MatchString(id) {
		return errorf(http.StatusBadRequest, "bad_id", "a profile id is 32 lower-case hex digits")
	}
	if tok.Purpose != scv.PurposeInternal {
		if _, err := s.profileFor(r, tok, id); err != nil {
			return err
		}
	}
	info(r).profile = id
	if err := s.db.Erase(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"erased": id})
	return nil
}

func (s *Server) suggestions(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	opts, limit, err := suggestOptions(r)
	if err != nil {
		return err
	}
	out := []scv.Suggestion{}
	for sg, err := range s.db.Suggest(r.Context(), opts) {
		if err != nil {
			return err
		}
		if !s.pairAllowed(r, tok, sg.A, sg.B) {
			continue
		}
		if out = append(out, sg); len(out) == limit {
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suggestions": out})
	return nil
}

func (s *Server) suggestFor(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	p, err := s.profileOf(r, tok)
	if err != nil {
		return err
	}
	opts, limit, err := suggestOptions(r)
	if err != nil {
		return err
	}
	sgs, err := s.db.SuggestFor(r.Context(), p.ID, opts)
	if err != nil {
		return err
	}
	out := []scv.Suggestion{}
	for _, sg := range sgs {
		if s.pairAllowed(r, tok, sg.A, sg.B) && len(out) < limit {
			out = append(out, sg)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suggestions": out})
	return nil
}

func suggestOptions(r *http.Request) (scv.SuggestOptions, int, error) {
	q := r.URL.Query()
	var opts scv.SuggestOptions
	if v := q.Get("min_probability"); v != "" {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			return opts, 0, errorf(http.StatusBadRequest, "bad_probability", "min_probability is 0 to 1")
		}
		opts.MinProbability = p
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return opts, 0, errorf(http.StatusBadRequest, "bad_limit", "limit is 1 to %d", maxPage)
		}
		limit = n
	}
	return opts, limit, nil
}

// pairAllowed reports whether both profiles of a suggestion may be shown
// to tok.
func (s *Server) pairAllowed(r *http.Request, tok scv.Token, a, b string) bool {
	if tok.Purpose == scv.PurposeInternal {
		return true
	}
	for _, id := range []string{a, b} {
		p, err := s.db.ByID(r.Context(), id)
		if err != nil || !allowed(tok, p) {
			return false
		}
	}
	return true
}

// pairFor checks that tok may see both profiles of a pair to review: for
// a token whose purpose is not internal, a profile it may not see is
// answered as absent.
func (s *Server) pairFor(r *http.Request, tok scv.Token, a, b string) error {
	if tok.Purpose == scv.PurposeInternal {
		return nil
	}
	for _, id := range []string{a, b} {
		if _, err := s.profileFor(r, tok, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) accept(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	var req pairRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if !profileID.MatchString(req.A) || !profileID.MatchString(req.B) {
		return errorf(http.StatusBadRequest, "bad_id", "a and b are profile ids")
	}
	if err := s.pairFor(r, tok, req.A, req.B); err != nil {
		return err
	}
	id, err := s.db.AcceptSuggestion(r.Context(), req.A, req.B)
	if err != nil {
		return err
	}
	info(r).profile = id
	writeJSON(w, http.StatusOK, map[string]string{"profile": id})
	return nil
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	var req pairRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if !profileID.MatchString(req.A) || !profileID.MatchString(req.B) {
		return errorf(http.StatusBadRequest, "bad_id", "a and b are profile ids")
	}
	if err := s.pairFor(r, tok, req.A, req.B); err != nil {
		return err
	}
	if err := s.db.RejectSuggestion(r.Context(), req.A, req.B); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"rejected": req.A + " " + req.B})
	return nil
}

// quarantine lists the quarantined records; their record ids are masked
// unless the token's purpose is internal (a WeChat record id is an
// openid).
func (s *Server) quarantine(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	out := []quarantined{}
	for e, err := range s.db.Quarantine(r.Context()) {
		if err != nil {
			return err
		}
		q := quarantined{Channel: string(e.Channel), File: e.File, Source: e.Source, Line: e.Line,
			RecordID: e.RecordID, Field: e.Field, Reason: string(e.Reason), Time: e.Time}
		if tok.Purpose != scv.PurposeInternal && q.RecordID != "" {
			q.RecordID = maskID(q.RecordID)
		}
		if out = append(out, q); len(out) == maxPage {
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"quarantine": out})
	return nil
}

// quarantined is one quarantined record: where it was and why, never
// its content.
type quarantined struct {
	Channel  string    `json:"channel,omitempty"`
	File     string    `json:"file,omitempty"`
	Source   string    `json:"source"`
	Line     int       `json:"line,omitempty"`
	RecordID string    `json:"record_id,omitempty"`
	Field    string    `json:"field,omitempty"`
	Reason   string    `json:"reason"`
	Time     time.Time `json:"time"`
}

// decodeBody reads a JSON request body of at most 64 KiB.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "bad_json", "the body is not the JSON object this route takes")
	}
	return nil
}
