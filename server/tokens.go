package server

import (
	"errors"
	"net/http"
	"slices"

	"github.com/scv-go/scv"
)

// The token routes let an admin token manage tokens while scv serve
// holds the database (a Badger directory has one process: "scv token"
// cannot open it then). A token of a purpose other than internal manages
// tokens of its own purpose only, so that it cannot mint a token that
// sees more than it does.

// tokenRequest is the body of POST /v1/tokens.
type tokenRequest struct {
	Scope   scv.Scope   `json:"scope"`
	Purpose scv.Purpose `json:"purpose"`
	Label   string      `json:"label,omitempty"`
}

// createdToken is the answer of POST /v1/tokens: the token and, this
// once, its text.
type createdToken struct {
	scv.Token
	Secret string `json:"token"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	var req tokenRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if !slices.Contains(scv.Scopes, req.Scope) {
		return errorf(http.StatusBadRequest, "bad_scope", "scope: read, import or admin")
	}
	if !validPurpose(req.Purpose) {
		return errorf(http.StatusBadRequest, "bad_purpose", "purpose: internal, marketing, personalisation or third_party")
	}
	if !managesPurpose(tok, req.Purpose) {
		return errorf(http.StatusForbidden, "purpose", "a %s token makes %s tokens only", tok.Purpose, tok.Purpose)
	}
	text, t, err := s.db.CreateToken(r.Context(), req.Scope, req.Purpose, req.Label)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdToken{t, text})
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	toks, err := s.db.Tokens(r.Context())
	if err != nil {
		return err
	}
	out := []scv.Token{}
	for _, t := range toks {
		if managesPurpose(tok, t.Purpose) {
			out = append(out, t)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

// revokeToken deletes a token and drops it from the cache of checked
// tokens, so that it is refused from the next request on.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	id := r.PathValue("id")
	noToken := errorf(http.StatusNotFound, "not_found", "no token has this id")
	if tok.Purpose != scv.PurposeInternal {
		toks, err := s.db.Tokens(r.Context())
		if err != nil {
			return err
		}
		i := slices.IndexFunc(toks, func(t scv.Token) bool { return t.ID == id })
		if i < 0 || !managesPurpose(tok, toks[i].Purpose) {
			return noToken
		}
	}
	err := s.db.RevokeToken(r.Context(), id)
	s.tokens.drop(id)
	if errors.Is(err, scv.ErrNotFound) {
		return noToken
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"revoked": id})
	return nil
}

// managesPurpose reports whether tok may manage tokens of purpose p: an
// internal token all of them, another those of its own purpose.
func managesPurpose(tok scv.Token, p scv.Purpose) bool {
	return tok.Purpose == scv.PurposeInternal || tok.Purpose == p
}
