package server

import (
	"errors"
	"net/http"

	"github.com/scv-go/scv"
)

// A token whose purpose is not internal must not learn from a status
// code what it may not see: that a phone or id was a customer's (410
// erased) or that a phone is on several profiles (409 hub, ambiguous)
// none of which consents to its purpose. conceal turns such answers into
// the 404 of a profile that is not there; every route that looks a
// profile up by phone, id, channel id or record key passes its lookup's
// error through it.

// conceal returns the error tok is answered for a lookup that failed with
// err. For an internal token it is err. For another, an erased profile
// is not found, and a value on several profiles ([scv.ErrHub],
// [scv.ErrAmbiguous]) is not found unless at least one of them consents
// to tok's purpose.
func (s *Server) conceal(r *http.Request, tok scv.Token, err error) error {
	if err == nil || tok.Purpose == scv.PurposeInternal {
		return err
	}
	if errors.Is(err, scv.ErrErased) {
		return notFound()
	}
	var ids []string
	var ae *scv.AmbiguousError
	var he *scv.HubError
	switch {
	case errors.As(err, &ae):
		ids = ae.Profiles
	case errors.As(err, &he):
		ids = he.Profiles
	case errors.Is(err, scv.ErrHub), errors.Is(err, scv.ErrAmbiguous):
		return notFound() // the profiles are not known: assume none consents
	default:
		return err
	}
	for _, id := range ids {
		p, perr := s.db.ByID(r.Context(), id)
		switch {
		case perr == nil && allowed(tok, p):
			return err
		case perr != nil && !errors.Is(perr, scv.ErrNotFound) && !errors.Is(perr, scv.ErrErased) && !errors.Is(perr, scv.ErrDamaged):
			return perr
		}
	}
	return notFound()
}

// profileFor returns the live profile with an id (following forwards) if
// tok may see it, else the error tok is answered: for a token whose
// purpose is not internal, the 404 of an absent profile whether the
// profile is absent, erased or without consent.
func (s *Server) profileFor(r *http.Request, tok scv.Token, id string) (*scv.Profile, error) {
	p, err := s.db.ByID(r.Context(), id)
	if err != nil {
		return nil, s.conceal(r, tok, err)
	}
	return p, check(tok, p)
}
