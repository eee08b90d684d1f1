package scv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// Scope is what an API token may do: read, import, or administer.
type Scope string

// The token scopes, each allowing what the one before allows.
const (
	ScopeRead   Scope = "read"   // lookups, listings, exports, the feed
	ScopeImport Scope = "import" // read, and import records
	ScopeAdmin  Scope = "admin"  // everything: unmerge, erase, review suggestions
)

// Scopes lists the token scopes, weakest first.
var Scopes = []Scope{ScopeRead, ScopeImport, ScopeAdmin}

// Allows reports whether a token of scope s may do what need requires.
func (s Scope) Allows(need Scope) bool {
	i, j := slices.Index(Scopes, s), slices.Index(Scopes, need)
	return i >= 0 && j >= 0 && i >= j
}

// Token describes an API token of "scv serve" without its secret: its
// scope and the purpose its answers serve, which decides which profiles
// it sees and whether personal fields are masked.
type Token struct {
	ID      string    `json:"id"`
	Scope   Scope     `json:"scope"`
	Purpose Purpose   `json:"purpose"`
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
}

// ErrBadToken is returned by [DB.CheckToken] for a token that is
// malformed, unknown or revoked.
var ErrBadToken = errors.New("scv: bad token")

// CreateToken makes an API token of a scope and purpose and returns its
// text, which is shown once: only a keyed hash of its secret is stored,
// sealed like everything else.
func (db *DB) CreateToken(ctx context.Context, scope Scope, purpose Purpose, label string) (string, Token, error) {
	if !slices.Contains(Scopes, scope) {
		return "", Token{}, fmt.Errorf("scv: unknown token scope %q", scope)
	}
	if purpose != PurposeInternal && !slices.Contains(identity.Purposes, purpose) {
		return "", Token{}, fmt.Errorf("scv: unknown token purpose %q", purpose)
	}
	text, t, err := db.s.CreateToken(ctx, string(scope), string(purpose), label)
	return text, token(t), wrap(err)
}

// Tokens lists the API tokens, oldest first, without their secrets.
func (db *DB) Tokens(ctx context.Context) ([]Token, error) {
	ts, err := db.s.Tokens(ctx)
	out := make([]Token, len(ts))
	for i, t := range ts {
		out[i] = token(t)
	}
	return out, wrap(err)
}

// RevokeToken deletes the API token with an id; it returns [ErrNotFound]
// for an unknown id.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	return wrap(db.s.RevokeToken(ctx, id))
}

// CheckToken returns the token whose text is given, or an error matching
// [ErrBadToken].
func (db *DB) CheckToken(ctx context.Context, text string) (Token, error) {
	t, err := db.s.CheckToken(ctx, text)
	if err != nil && !errors.Is(err, store.ErrBadToken) {
		return Token{}, fmt.Errorf("scv: token: %w", wrap(err))
	}
	return token(t), wrap(err)
}

func token(t store.Token) Token {
	return Token{ID: t.ID, Scope: Scope(t.Scope), Purpose: Purpose(t.Purpose), Label: t.Label, Created: t.Created}
}

// Token returns the API token with an id, or an error matching
// [ErrBadToken] for an unknown or revoked one.
func (db *DB) Token(ctx context.Context, id string) (Token, error) {
	t, err := db.s.Token(ctx, id)
	if err != nil && !errors.Is(err, store.ErrBadToken) {
		return Token{}, fmt.Errorf("scv: token: %w", wrap(err))
	}
	return token(t), wrap(err)
}

// SessionTag returns a keyed hash of msg with which "scv serve" signs a
// console session: an HMAC-SHA256 under a key derived (HKDF) from the
// database's key material, the same in every process that opens the
// database (so that any replica checks what another signed, and a
// restart keeps sessions) and unknown to anyone without the root key.
func (db *DB) SessionTag(msg []byte) ([]byte, error) { return db.s.SessionTag(msg) }

// CheckSessionTag reports whether tag is the [DB.SessionTag] of msg, under
// the current key or one a key rotation left live; it compares in
// constant time.
func (db *DB) CheckSessionTag(msg, tag []byte) bool { return db.s.CheckSessionTag(msg, tag) }
