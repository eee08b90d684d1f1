package crypto

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
)

// DataKeySize is the size in bytes of a data key.
const DataKeySize = 32

// WrappedKeySize is the size in bytes of a wrapped data key: the header,
// the 32-byte key and its 8-byte id, and the tag.
const WrappedKeySize = 94

// The purpose a wrapped data key is bound to, beside its profile id.
const purposeDataKey = "data-key"

// DataKey is one profile's random data key. It seals and opens that
// profile's values with XChaCha20-Poly1305. Get one from
// [Keyring.NewDataKey] or [Keyring.UnwrapDataKey]; a zero or nil DataKey
// panics when used.
//
// A DataKey is an opaque handle: its String, Format and LogValue show its
// random id, never key material. It is safe for concurrent use.
type DataKey struct {
	id  [keyIDSize]byte
	m   *dataKeyMaterial // two pointers away, as in RootKey
	ctx *macKey          // the keyring's context-commitment key
}

type dataKeyMaterial struct {
	aead cipher.AEAD // holds the key
}

// NewDataKey returns a new random data key for the profile profileID, and
// the key wrapped under the primary key-encryption-key epoch and bound to
// profileID. Store the wrapped key with the profile; it is
// [WrappedKeySize] bytes and the caller owns it.
func (kr *Keyring) NewDataKey(profileID []byte) (*DataKey, []byte) {
	st := kr.load()
	var raw [DataKeySize + keyIDSize]byte
	rand.Read(raw[:])
	dk := newDataKey(st, raw[:])
	k := st.keks[st.primaryKEK]
	wrapped := seal(nil, k.wrap, st.ctx, typeWrapped, &k.id, profileID, purposeDataKey, raw[:])
	clear(raw[:])
	return dk, wrapped
}

func newDataKey(st *keyringState, raw []byte) *DataKey {
	dk := &DataKey{m: &dataKeyMaterial{aead: newAEAD(raw[:DataKeySize])}, ctx: st.ctx}
	copy(dk.id[:], raw[DataKeySize:])
	return dk
}

// UnwrapDataKey returns the data key that [Keyring.NewDataKey] or
// [Keyring.Rewrap] wrapped for profileID. Errors: [ErrMalformed] for bytes
// that are not a wrapped key, a [*KeyError] with [ErrRetiredKey] if its
// epoch was retired or [ErrUnknownKey] if the epoch is not this keyring's,
// [ErrWrongContext] if it was wrapped for another profile, [ErrTampered]
// if it was modified.
func (kr *Keyring) UnwrapDataKey(profileID, wrapped []byte) (*DataKey, error) {
	st := kr.load()
	raw, _, err := st.unwrap(profileID, wrapped)
	if err != nil {
		return nil, err
	}
	dk := newDataKey(st, raw)
	clear(raw)
	return dk, nil
}

func (st *keyringState) unwrap(profileID, wrapped []byte) ([]byte, *kek, error) {
	if err := checkHeader(wrapped, typeWrapped); err != nil {
		return nil, nil, err
	}
	if len(wrapped) != WrappedKeySize {
		return nil, nil, fmt.Errorf("%w: wrapped data key of %d bytes, want %d", ErrMalformed, len(wrapped), WrappedKeySize)
	}
	k, err := st.kekFor(wrapped)
	if err != nil {
		return nil, nil, err
	}
	s, err := checkContext(st.ctx, wrapped, profileID, purposeDataKey)
	if err != nil {
		return nil, nil, err
	}
	raw, err := openBody(nil, k.wrap, st.ctx, s, wrapped)
	if err != nil {
		return nil, nil, err
	}
	return raw, k, nil
}

// Rewrap returns the data key in wrapped rewrapped under the primary
// key-encryption-key epoch, for a rotation that leaves the profile's sealed
// values untouched. If wrapped is already under the primary epoch, Rewrap
// returns it unchanged (the same slice), so a caller can skip the write
// when bytes.Equal reports no change. Errors are those of
// [Keyring.UnwrapDataKey].
func (kr *Keyring) Rewrap(profileID, wrapped []byte) ([]byte, error) {
	st := kr.load()
	raw, k, err := st.unwrap(profileID, wrapped)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	if k.epoch == st.primaryKEK {
		return wrapped, nil
	}
	p := st.keks[st.primaryKEK]
	return seal(nil, p.wrap, st.ctx, typeWrapped, &p.id, profileID, purposeDataKey, raw), nil
}

// Seal encrypts plaintext for the profile profileID and the given purpose
// (such as "profile" or "record") and returns the ciphertext, [Overhead]
// bytes longer than plaintext, in the format described in the package
// documentation. Opening it for another profile or purpose fails. The
// caller owns the result; plaintext is not modified.
func (dk *DataKey) Seal(profileID []byte, purpose string, plaintext []byte) []byte {
	if dk == nil || dk.m == nil {
		panic("crypto: Seal with a nil or zero DataKey")
	}
	return seal(nil, dk.m.aead, dk.ctx, typeSealed, &dk.id, profileID, purpose, plaintext)
}

// AppendSeal is [DataKey.Seal] appending the ciphertext to dst, so that a
// caller can put a header before it without another copy.
func (dk *DataKey) AppendSeal(dst, profileID []byte, purpose string, plaintext []byte) []byte {
	if dk == nil || dk.m == nil {
		panic("crypto: Seal with a nil or zero DataKey")
	}
	return seal(dst, dk.m.aead, dk.ctx, typeSealed, &dk.id, profileID, purpose, plaintext)
}

// Open decrypts a ciphertext made by [DataKey.Seal] for the same profile
// id and purpose, and returns its plaintext, which the caller owns. It never
// returns plaintext with an error. Errors: [ErrMalformed] for bytes that
// are not a sealed profile value, [ErrWrongContext] for another profile id
// or purpose, a [*KeyError] with [ErrUnknownKey] if another data key sealed
// it, [ErrTampered] if it was modified.
func (dk *DataKey) Open(profileID []byte, purpose string, ciphertext []byte) ([]byte, error) {
	return dk.AppendOpen(nil, profileID, purpose, ciphertext)
}

// AppendOpen is [DataKey.Open] appending the plaintext to dst, so that a
// caller that decodes it at once can reuse one buffer. On error it
// returns nil, and dst's spare capacity may hold partial output, which the
// caller should clear.
func (dk *DataKey) AppendOpen(dst, profileID []byte, purpose string, ciphertext []byte) ([]byte, error) {
	if dk == nil || dk.m == nil {
		panic("crypto: Open with a nil or zero DataKey")
	}
	if err := checkHeader(ciphertext, typeSealed); err != nil {
		return nil, err
	}
	s, err := checkContext(dk.ctx, ciphertext, profileID, purpose)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(ciphertext[offKeyID:offCommit], dk.id[:]) != 1 {
		dk.ctx.put(s)
		return nil, &KeyError{Kind: kindDataKey, ID: headerKeyID(ciphertext), Err: ErrUnknownKey}
	}
	return openBody(dst, dk.m.aead, dk.ctx, s, ciphertext)
}

// ID returns the data key's id, 16 hex digits. It is random, not derived
// from the key, and is written in every value the key seals.
func (dk DataKey) ID() string { return hex.EncodeToString(dk.id[:]) }

// String returns "scv data key " followed by the key id.
func (dk DataKey) String() string { return "scv data key " + dk.ID() }

// Format writes the same text as String for every fmt verb.
func (dk DataKey) Format(f fmt.State, verb rune) { formatHandle(f, verb, dk.String()) }

// LogValue returns the String text, for log/slog.
func (dk DataKey) LogValue() slog.Value { return slog.StringValue(dk.String()) }

// Seal encrypts a value that belongs to no single profile (the store's
// quarantine entries, erasure journal, statistics) under the primary
// key-encryption-key epoch's keyring key, derived under the label
// "scv/v1/keyring-seal", bound to purpose. The format is that of
// [DataKey.Seal] with type 3 and the epoch as key id. Like a data key, the
// value dies with its epoch: reseal it with [Keyring.Reseal] before the
// epoch is retired. The caller owns the result.
func (kr *Keyring) Seal(purpose string, plaintext []byte) []byte {
	st := kr.load()
	k := st.keks[st.primaryKEK]
	return seal(nil, k.seal, st.ctx, typeKeyring, &k.id, nil, purpose, plaintext)
}

// Open decrypts a value made by [Keyring.Seal] for the same purpose. Its
// errors are those of [Keyring.UnwrapDataKey].
func (kr *Keyring) Open(purpose string, ciphertext []byte) ([]byte, error) {
	pt, _, err := kr.load().openKeyring(purpose, ciphertext)
	return pt, err
}

func (st *keyringState) openKeyring(purpose string, ct []byte) ([]byte, *kek, error) {
	if err := checkHeader(ct, typeKeyring); err != nil {
		return nil, nil, err
	}
	k, err := st.kekFor(ct)
	if err != nil {
		return nil, nil, err
	}
	s, err := checkContext(st.ctx, ct, nil, purpose)
	if err != nil {
		return nil, nil, err
	}
	pt, err := openBody(nil, k.seal, st.ctx, s, ct)
	if err != nil {
		return nil, nil, err
	}
	return pt, k, nil
}

// Reseal returns a value made by [Keyring.Seal] sealed again under the
// primary epoch, or the same slice if it already is. Errors are those of
// [Keyring.Open].
func (kr *Keyring) Reseal(purpose string, ciphertext []byte) ([]byte, error) {
	st := kr.load()
	pt, k, err := st.openKeyring(purpose, ciphertext)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	if k.epoch == st.primaryKEK {
		return ciphertext, nil
	}
	p := st.keks[st.primaryKEK]
	return seal(nil, p.seal, st.ctx, typeKeyring, &p.id, nil, purpose, pt), nil
}
