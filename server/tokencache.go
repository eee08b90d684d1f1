package server

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/scv-go/scv"
)

// tokenTTL is how long a checked token is trusted without reading the
// database again: a revocation by another process (scv token revoke on
// the shared engine) takes effect on a running server within it; one
// through the server's API (DELETE /v1/tokens/{id}) at once.
const tokenTTL = 10 * time.Second

// maxCachedTokens bounds the cache; when full it starts over.
const maxCachedTokens = 1024

// tokenCache remembers tokens checked recently, by a SHA-256 of their
// text, so that a request does not read and open the token entry each
// time (a third of a lookup's cost). Failed checks are not cached.
type tokenCache struct {
	mu  sync.Mutex
	m   map[[32]byte]cachedToken
	gen uint64 // counts drops; a check that a drop overtook is not cached
}

type cachedToken struct {
	tok     scv.Token
	expires time.Time
}

// get returns the cached token of text, if any, and the generation to
// give put after checking text in the database.
func (c *tokenCache) get(text string, now time.Time) (scv.Token, uint64, bool) {
	k := sha256.Sum256([]byte(text))
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		return scv.Token{}, c.gen, false
	}
	return e.tok, c.gen, true
}

// put caches a token checked in the database, unless a drop came after
// the get of generation gen (the check may have read the token before
// its revocation).
func (c *tokenCache) put(text string, tok scv.Token, now time.Time, gen uint64) {
	k := sha256.Sum256([]byte(text))
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[[32]byte]cachedToken)
	}
	c.m[k] = cachedToken{tok, now.Add(tokenTTL)}
}

// drop forgets the token with an id, at once.
func (c *tokenCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if e.tok.ID == id {
			delete(c.m, k)
		}
	}
}
