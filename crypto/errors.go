package crypto

import (
	"errors"
	"strconv"
)

// The errors of this package, testable with [errors.Is]. Their texts never
// contain key material, plaintext or personal data; they may name a key id,
// a key-encryption-key epoch, a blind-index version or a byte count.
var (
	// ErrWrongKey is returned by [OpenKeyring] when the keyring state was
	// sealed under another root key: the key check value stored in the state
	// does not match the root key given. It is returned at open, before any
	// record is read.
	ErrWrongKey = errors.New("crypto: wrong key")

	// ErrTampered is returned when authentication fails: the ciphertext, the
	// wrapped key or the keyring state was modified, truncated inside its
	// body, or sealed by a different key under the same key id.
	ErrTampered = errors.New("crypto: message authentication failed")

	// ErrWrongContext is returned when a ciphertext or wrapped key is opened
	// for another profile id or purpose than the one it was sealed for, for
	// example a profile value copied onto another profile.
	ErrWrongContext = errors.New("crypto: ciphertext belongs to another profile or purpose")

	// ErrUnknownKey is returned (inside a [*KeyError]) when the key named in
	// a header is not in the keyring: an epoch or version that never existed,
	// a key from another keyring, or a data key other than the one given.
	ErrUnknownKey = errors.New("crypto: unknown key")

	// ErrRetiredKey is returned (inside a [*KeyError]) when the key named in
	// a header existed but was retired: the key-encryption-key epoch or the
	// blind-index version is gone from the keyring and cannot come back.
	ErrRetiredKey = errors.New("crypto: retired key")

	// ErrMalformed is returned for input that cannot be parsed: too short,
	// an unsupported format version, a value of another type, a root key
	// text with a bad checksum.
	ErrMalformed = errors.New("crypto: malformed input")
)

// KeyError reports a header that names a key the keyring cannot use. Err is
// [ErrUnknownKey] or [ErrRetiredKey].
type KeyError struct {
	Kind    string // "data key", "key-encryption key" or "blind-index key"
	Version uint32 // the key-encryption-key epoch or blind-index version; 0 for a data key
	ID      string // the key id as written in the header, in hex; empty if none
	Err     error
}

// Error returns a one-line description naming the key, never its material.
func (e *KeyError) Error() string {
	s := e.Err.Error() + ": " + e.Kind
	if e.Version != 0 {
		switch e.Kind {
		case kindKEK:
			s += " epoch " + strconv.FormatUint(uint64(e.Version), 10)
		default:
			s += " version " + strconv.FormatUint(uint64(e.Version), 10)
		}
	}
	if e.ID != "" {
		s += " (id " + e.ID + ")"
	}
	return s
}

// Unwrap returns [ErrUnknownKey] or [ErrRetiredKey].
func (e *KeyError) Unwrap() error { return e.Err }

// The Kind values of a KeyError.
const (
	kindDataKey    = "data key"
	kindKEK        = "key-encryption key"
	kindBlindIndex = "blind-index key"
)
