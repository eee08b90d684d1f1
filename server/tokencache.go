package server

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/scv-go/scv"
)

// tokenTTL is how long a checked token is trusted without reading the
// database again: a revocation takes effect on a running server within
// it.
const tokenTTL = 10 * time.Second

// maxCachedTokens bounds the cache; when full it starts over.
const maxCachedTokens = 1024

// tokenCache remembers tokens checked recently, by a SHA-256 of their
// text, so that a request does not read and open the token entry each
// time (a third of a lookup's cost). Failed checks are not cached.
type tokenCache struct {
	mu sync.Mutex
	m  map[[32]byte]cachedToken
}

type cachedToken struct {
	tok     scv.Token
	expires time.Time
}

func (c *tokenCache) get(text string, now time.Time) (scv.Token, bool) {
	k := sha256.Sum256([]byte(text))
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		return scv.Token{}, false
	}
	return e.tok, true
}

func (c *tokenCache) put(text string, tok scv.Token, now time.Time) {
	k := sha256.Sum256([]byte(text))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[[32]byte]cachedToken)
	}
	c.m[k] = cachedToken{tok, now.Add(tokenTTL)}
}
