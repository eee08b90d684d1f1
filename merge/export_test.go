package merge

import (
	"time"

	"github.com/scv-go/scv/identity"
)

// AddByRecompute is [Resolver.Add] without its fast paths: every change
// that is not a NoOp is a recomputation of the component. The tests
// require the fast paths to give the same Change.
func (r *Resolver) AddByRecompute(rd Reader, rec identity.Record, newID func() string, asOf time.Time) (*Change, error) {
	return r.add(rd, rec, newID, asOf, false)
}
