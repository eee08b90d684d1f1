package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The namespaces of the key schema, which the package documentation
// describes. In keys, pid is [ProfileIDSize] random bytes; tags are
// crypto.BlindIndexSize-byte blind-index tags; kind is the identifier kind
// byte; seq is 8 bytes of big-endian nanoseconds since 1970 and 4 random
// bytes, so concurrent writers never contend on a counter.
const (
	nsMeta       byte = 'M'
	nsProfile    byte = 'P'
	nsDataKey    byte = 'K'
	nsRecord     byte = 'R'
	nsIdentifier byte = 'I'
	nsStage      byte = 'S'
	nsForward    byte = 'F'
	nsCredit     byte = 'X'
	nsQuarantine byte = 'Q'
	nsErasure    byte = 'E'
	nsTombstone  byte = 'Z'
	nsEvent      byte = 'W'
	nsLog        byte = 'L'
	nsPurge      byte = 'U'
)

// ProfileIDSize is the size in bytes of a profile id.
const ProfileIDSize = 16

// ProfileID is a profile's id: random, so that it says nothing about the
// person. Its String form is 32 lower-case hex digits and parses back with
// [ParseProfileID].
type ProfileID [ProfileIDSize]byte

// NewProfileID returns a new random profile id.
func NewProfileID() ProfileID {
	var id ProfileID
	rand.Read(id[:])
	return id
}

// String returns the id as 32 hex digits.
func (id ProfileID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is the zero id.
func (id ProfileID) IsZero() bool { return id == ProfileID{} }

// ErrBadProfileID is returned by [ParseProfileID] for text that is not a
// profile id.
var ErrBadProfileID = errors.New("store: not a profile id")

// ParseProfileID parses the form written by [ProfileID.String].
func ParseProfileID(s string) (ProfileID, error) {
	var id ProfileID
	if len(s) != 2*ProfileIDSize {
		return id, ErrBadProfileID
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, ErrBadProfileID
	}
	return id, nil
}

func key(ns byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 1, n)
	k[0] = ns
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func profileKey(id ProfileID) []byte           { return key(nsProfile, id[:]) }
func dataKeyKey(id ProfileID) []byte           { return key(nsDataKey, id[:]) }
func forwardKey(id ProfileID) []byte           { return key(nsForward, id[:]) }
func erasureKey(id ProfileID) []byte           { return key(nsErasure, id[:]) }
func purgeKey(id ProfileID) []byte             { return key(nsPurge, id[:]) }
func recordKey(rtag []byte) []byte             { return key(nsRecord, rtag) }
func stageKey(stage byte, id ProfileID) []byte { return key(nsStage, []byte{stage}, id[:]) }
func metaKey(name string) []byte               { return key(nsMeta, []byte(name)) }

// seqKey returns a new key in namespace ns ordered by time: 8 bytes of
// nanoseconds and 4 random bytes.
func seqKey(ns byte, now time.Time) []byte {
	k := make([]byte, 13)
	k[0] = ns
	binary.BigEndian.PutUint64(k[1:], uint64(now.UnixNano()))
	rand.Read(k[9:])
	return k
}

func profileIDFrom(b []byte) (ProfileID, error) {
	var id ProfileID
	if len(b) != ProfileIDSize {
		return id, fmt.Errorf("store: profile id of %d bytes", len(b))
	}
	copy(id[:], b)
	return id, nil
}
