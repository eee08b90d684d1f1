package server

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scv-go/scv"
)

// A console session is stateless, so that a restart keeps it and every
// replica of "scv serve" on one database (the shared engine behind a
// load balancer) accepts it: its cookie is
//
//	TOKENID.EXPIRY.TAG
//
// the id of the token the session was opened with, the end of the
// session in Unix seconds, and a tag: base64url of [scv.DB.SessionTag]
// (HMAC-SHA256 under a key derived from the database's root key) of the
// two. Every request checks the tag, the expiry, and that the token still
// exists, so that revoking it ends its sessions at once on every replica.
// The session's CSRF token is the tag of the cookie's value under another
// label. The cookie holds no secret: a token id is public (the access log
// names it) and the tag proves only that this database made the cookie.
//
// Logging out removes the cookie from the browser; a copy taken before
// stays valid until it expires or its token is revoked.

// Labels that keep the messages signed for sessions and for CSRF tokens
// apart.
const (
	sessionLabel = "scv/console/session/v1\x00"
	csrfLabel    = "scv/console/csrf/v1\x00"
)

// sessionValue returns the cookie value of a session of token id that
// ends at expires.
func (s *Server) sessionValue(id string, expires time.Time) (string, error) {
	body := id + "." + strconv.FormatInt(expires.Unix(), 10)
	tag, err := s.db.SessionTag([]byte(sessionLabel + body))
	if err != nil {
		return "", err
	}
	return body + "." + base64.RawURLEncoding.EncodeToString(tag), nil
}

// openSession returns the token of a session cookie's value, or false if
// the value is malformed, tampered with or expired at now, or its token
// is revoked. An error is one of the database's (not the session's).
func (s *Server) openSession(ctx context.Context, value string, now time.Time) (scv.Token, bool, error) {
	body, tagText, ok := cutLast(value, '.')
	id, expText, ok2 := strings.Cut(body, ".")
	if !ok || !ok2 || id == "" {
		return scv.Token{}, false, nil
	}
	exp, err := strconv.ParseInt(expText, 10, 64)
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return scv.Token{}, false, nil
	}
	tag, err := base64.RawURLEncoding.Strict().DecodeString(tagText)
	if err != nil || !s.db.CheckSessionTag([]byte(sessionLabel+body), tag) {
		return scv.Token{}, false, nil
	}
	tok, err := s.db.Token(ctx, id)
	if err != nil {
		if errors.Is(err, scv.ErrBadToken) {
			return scv.Token{}, false, nil
		}
		return scv.Token{}, false, err
	}
	return tok, true, nil
}

// csrfToken returns the CSRF token of a session: the tag of its cookie's
// value, so that any replica derives the same and another session's does
// not fit.
func (s *Server) csrfToken(value string) (string, error) {
	tag, err := s.db.SessionTag([]byte(csrfLabel + value))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tag), nil
}

// checkCSRF reports whether a form's CSRF token is the session's.
func (s *Server) checkCSRF(value, csrf string) bool {
	tag, err := base64.RawURLEncoding.Strict().DecodeString(csrf)
	return csrf != "" && err == nil && s.db.CheckSessionTag([]byte(csrfLabel+value), tag)
}

func cutLast(s string, sep byte) (before, after string, ok bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// sessionCookieOf returns the session cookie's value of a request, "" if
// it has none.
func sessionCookieOf(r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}
