package merge

import (
	"errors"
	"strings"

	"github.com/scv-go/scv/identity"
)

// The errors of this package, testable with [errors.Is]. Their texts name
// record keys, profile ids and fields, never identifier values or names.
var (
	// ErrInvalid reports bad input: a record without an id, an order
	// without an id, a score out of range, a zero as-of time, invalid
	// [Options]. [New] and every [Resolver] method may return it.
	ErrInvalid = errors.New("merge: invalid input")

	// ErrNotFound reports that no profile holds the record key given to
	// [Resolver.Detach], [Resolver.Separate], [Resolver.Relink],
	// [Resolver.Reattach] or [Resolver.ExplainPair].
	ErrNotFound = errors.New("merge: record not found")

	// ErrInconsistent reports that the answers of a [Reader] contradict
	// each other, for example a profile that lists a record its Records
	// call does not return. It is always wrapped in a [*StateError].
	ErrInconsistent = errors.New("merge: store state is inconsistent")

	// ErrGroupOrder reports that [Resolver.AddGroup] cannot add a group
	// at once: adding its records one by one could flag a hub, and hub
	// flags stick, so the result would depend on their order. Add them
	// one by one with [Resolver.Add].
	ErrGroupOrder = errors.New("merge: the group's result depends on the order of its records")
)

// StateError reports an inconsistency between what a [Reader] returned and
// what the profiles it returned say. It unwraps to [ErrInconsistent]. Its
// text names the profile id, the record key and the problem; a record key
// may contain a channel id such as an openid, so show it to operators only.
type StateError struct {
	Profile string             // the profile id concerned, if any
	Record  identity.RecordKey // the record concerned, if any
	Problem string             // what does not add up
}

// Error returns a one-line description free of phone numbers and names.
func (e *StateError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInconsistent.Error())
	if e.Profile != "" {
		b.WriteString(": profile ")
		b.WriteString(e.Profile)
	}
	if e.Record != (identity.RecordKey{}) {
		b.WriteString(": record ")
		b.WriteString(e.Record.String())
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap returns [ErrInconsistent].
func (e *StateError) Unwrap() error { return ErrInconsistent }
