package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// nsToken holds the API tokens of "scv serve": T id, the token's scope,
// purpose and keyed hash, sealed under the keyring. The secret itself is
// never stored.
const nsToken byte = 'T'

const (
	purposeToken = "token"
	// tokenIndexKind is the blind-index kind whose HMAC key hashes token
	// secrets: a key derived from the database's key material, so that a
	// stolen copy of the database cannot test guesses.
	tokenIndexKind = "api_token"
	// sessionIndexKind is the blind-index kind whose HMAC key signs the
	// console sessions of "scv serve" ([Store.SessionTag]).
	sessionIndexKind = "console_session"
	tokenPrefix      = "scv_"
	tokenIDSize      = 8
	tokenSecretLen   = 32
)

// Token describes an API token without its secret.
type Token struct {
	ID      string    `json:"id"` // 16 hex digits, the public half of the token
	Scope   string    `json:"scope"`
	Purpose string    `json:"purpose"`
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
}

type tokenEntry struct {
	Token
	Tag []byte `json:"tag"` // the keyed hash of the secret, with its blind-index version
}

// ErrBadToken is returned by [Store.CheckToken] for a token that is
// malformed, unknown, revoked or whose secret does not match. The error
// never holds the token.
var ErrBadToken = errors.New("store: invalid or revoked token")

// CreateToken stores a new API token and returns its text, the only copy
// of its secret: "scv_" then the id, "_" and 43 characters of base64.
// Only a keyed hash of the secret is stored, sealed under the keyring.
// Scope and purpose are stored as given: their caller checks them.
func (s *Store) CreateToken(ctx context.Context, scope, purpose, label string) (string, Token, error) {
	var id [tokenIDSize]byte
	secret := make([]byte, tokenSecretLen)
	rand.Read(id[:])
	rand.Read(secret)
	tok := Token{ID: hex.EncodeToString(id[:]), Scope: scope, Purpose: purpose, Label: label, Created: s.clock().UTC()}
	text := tokenPrefix + tok.ID + "_" + base64.RawURLEncoding.EncodeToString(secret)
	tag, err := s.kr.BlindIndex(tokenIndexKind, secret)
	if err != nil {
		return "", Token{}, err
	}
	plain, err := json.Marshal(tokenEntry{Token: tok, Tag: tag})
	if err != nil {
		return "", Token{}, err
	}
	done, err := s.begin()
	if err != nil {
		return "", Token{}, err
	}
	defer done()
	if err := s.put(ctx, key(nsToken, id[:]), s.kr.Seal(purposeToken, plain)); err != nil {
		return "", Token{}, err
	}
	return text, tok, nil
}

// Tokens returns every API token, oldest first, without secrets.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	var out []Token
	err := s.read(ctx, func(t *txn) error {
		for e, err := range t.tx.Scan([]byte{nsToken}, nil, false) {
			if err != nil {
				return err
			}
			te, err := s.openToken(e.Value)
			if err != nil {
				return fmt.Errorf("store: token %x: %w", e.Key[1:], err)
			}
			out = append(out, te.Token)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Token) int { return a.Created.Compare(b.Created) })
	return out, err
}

// RevokeToken deletes the token with an id; it returns [ErrNotFound] for
// an unknown id.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != tokenIDSize {
		return fmt.Errorf("%w: token id", ErrNotFound)
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return s.update(ctx, func(t *txn) error {
		k := key(nsToken, raw)
		if _, err := t.tx.Get(k); errors.Is(err, ErrKeyNotFound) {
			return fmt.Errorf("%w: token id", ErrNotFound)
		} else if err != nil {
			return err
		}
		return t.tx.Delete(k)
	})
}

// CheckToken returns the token whose text is given, or [ErrBadToken]. The
// secret is compared in constant time with the stored keyed hash.
func (s *Store) CheckToken(ctx context.Context, text string) (Token, error) {
	rest, ok := strings.CutPrefix(text, tokenPrefix)
	idText, secretText, ok2 := strings.Cut(rest, "_")
	raw, err1 := hex.DecodeString(idText)
	secret, err2 := base64.RawURLEncoding.Strict().DecodeString(secretText)
	if !ok || !ok2 || err1 != nil || err2 != nil || len(raw) != tokenIDSize || len(secret) != tokenSecretLen {
		return Token{}, ErrBadToken
	}
	te, err := s.tokenEntry(ctx, raw)
	if err != nil {
		return Token{}, err
	}
	tags, err := s.kr.BlindIndexAll(tokenIndexKind, secret)
	if err != nil {
		return Token{}, err
	}
	for _, tag := range tags {
		if hmac.Equal(tag, te.Tag) {
			return te.Token, nil
		}
	}
	return Token{}, ErrBadToken
}

// tokenEntry reads the entry of the token with the raw id, or
// [ErrBadToken] for an unknown or revoked one.
func (s *Store) tokenEntry(ctx context.Context, raw []byte) (tokenEntry, error) {
	var te tokenEntry
	err := s.read(ctx, func(t *txn) error {
		v, err := t.tx.Get(key(nsToken, raw))
		if errors.Is(err, ErrKeyNotFound) {
			return ErrBadToken
		}
		if err != nil {
			return err
		}
		te, err = s.openToken(v)
		return err
	})
	return te, err
}

func (s *Store) openToken(sealed []byte) (tokenEntry, error) {
	var te tokenEntry
	plain, err := s.kr.Open(purposeToken, sealed)
	if err != nil {
		return te, err
	}
	err = json.Unmarshal(plain, &te)
	return te, err
}

// Token returns the token with an id (16 hex digits), or [ErrBadToken]
// for an unknown or revoked one.
func (s *Store) Token(ctx context.Context, id string) (Token, error) {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != tokenIDSize {
		return Token{}, ErrBadToken
	}
	te, err := s.tokenEntry(ctx, raw)
	return te.Token, err
}

// SessionTag returns a keyed hash of msg that signs a console session:
// HMAC-SHA256 under the blind-index key of kind "console_session",
// derived from the database's key material, so that every process that
// opens the database computes the same tag and no other can.
func (s *Store) SessionTag(msg []byte) ([]byte, error) {
	return s.kr.BlindIndex(sessionIndexKind, msg)
}

// CheckSessionTag reports whether tag is the [Store.SessionTag] of msg
// under a live blind-index version, comparing in constant time.
func (s *Store) CheckSessionTag(msg, tag []byte) bool {
	tags, err := s.kr.BlindIndexAll(sessionIndexKind, msg)
	if err != nil {
		return false
	}
	ok := false
	for _, t := range tags {
		ok = hmac.Equal(t, tag) || ok
	}
	return ok
}
