package crypto

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// The ciphertext format, version 1. Every value this package seals, and
// every wrapped data key, is laid out as:
//
//	offset  size  field
//	0       1     format version (1)
//	1       1     type: 1 profile value (DataKey.Seal), 2 wrapped data key,
//	              3 keyring value (Keyring.Seal)
//	2       8     key id: type 1, the data key's random id; types 2 and 3,
//	              the KEK epoch (4 bytes big-endian) and the KEK fingerprint (4 bytes)
//	10      4     context commitment: the first 4 bytes of
//	              HMAC-SHA256(context key, context)
//	14      24    XChaCha20 nonce, random
//	38      n+16  XChaCha20-Poly1305 ciphertext of n bytes and its tag
//
// The associated data is bytes 0 to 14 followed by the context, so the AEAD
// authenticates the header and binds the ciphertext to its profile id and
// purpose. The context is the type byte, the profile id's length as a
// uvarint, the profile id, and the purpose.
const (
	formatVersion = 1

	typeSealed  = 1
	typeWrapped = 2
	typeKeyring = 3

	offKeyID   = 2
	offCommit  = 10
	offNonce   = 14
	headerSize = 38
	keyIDSize  = 8
	commitSize = 4
)

// Overhead is the number of bytes a sealed value has beyond its plaintext:
// a 38-byte header and a 16-byte Poly1305 tag.
const Overhead = 54

var typeNames = [...]string{typeSealed: "profile value", typeWrapped: "wrapped data key", typeKeyring: "keyring value"}

// appendContext appends the context encoding of a sealed value.
func appendContext(dst []byte, typ byte, profileID []byte, purpose string) []byte {
	dst = append(dst, typ)
	dst = binary.AppendUvarint(dst, uint64(len(profileID)))
	dst = append(dst, profileID...)
	return append(dst, purpose...)
}

// seal seals plaintext under aead with a fresh random nonce and returns the
// full ciphertext. ctx computes the context commitment.
func seal(dst []byte, aead cipher.AEAD, ctx *macKey, typ byte, keyID *[keyIDSize]byte, profileID []byte, purpose string, plaintext []byte) []byte {
	if dst == nil {
		dst = make([]byte, 0, headerSize+len(plaintext)+chacha20poly1305.Overhead)
	}
	start := len(dst)
	dst = slices.Grow(dst, headerSize+len(plaintext)+chacha20poly1305.Overhead)
	out := dst[start : start+headerSize]
	out[0] = formatVersion
	out[1] = typ
	copy(out[offKeyID:], keyID[:])
	rand.Read(out[offNonce:headerSize])
	s := ctx.get()
	ad := append(s.buf[:0], out[:offNonce]...)
	ad = appendContext(ad, typ, profileID, purpose)
	copy(out[offCommit:offNonce], s.mac(ad[offNonce:]))
	copy(ad[offCommit:offNonce], out[offCommit:offNonce])
	out = aead.Seal(out, out[offNonce:headerSize], plaintext, ad)
	s.buf = ad
	ctx.put(s)
	return dst[:start+len(out)]
}

// checkHeader reports whether ct is long enough, of a version this package
// reads, and of type typ.
func checkHeader(ct []byte, typ byte) error {
	if len(ct) < Overhead {
		return fmt.Errorf("%w: %s of %d bytes, want at least %d", ErrMalformed, typeNames[typ], len(ct), Overhead)
	}
	if ct[0] != formatVersion {
		return fmt.Errorf("%w: unsupported format version %d (this library reads version %d)", ErrMalformed, ct[0], formatVersion)
	}
	if ct[1] != typ {
		if int(ct[1]) < len(typeNames) && typeNames[ct[1]] != "" {
			return fmt.Errorf("%w: a %s where a %s was expected", ErrMalformed, typeNames[ct[1]], typeNames[typ])
		}
		return fmt.Errorf("%w: unknown value type %d", ErrMalformed, ct[1])
	}
	return nil
}

// checkContext verifies the context commitment of ct, whose header was
// checked. On success it returns a macState whose buf holds the associated
// data for aead.Open; the caller must put it back with ctx.put.
//
// The commitment lets a wrong profile id or purpose be reported as
// [ErrWrongContext] rather than [ErrTampered]. It is a diagnostic, not a
// security boundary: the AEAD authenticates the full context, and whoever
// can edit the bytes can make either error appear. It costs 4 bytes and one
// HMAC per value; with 4 bytes, one wrong context in 2^32 passes this check
// and is then reported as ErrTampered, still refused.
func checkContext(ctx *macKey, ct, profileID []byte, purpose string) (*macState, error) {
	s := ctx.get()
	ad := append(s.buf[:0], ct[:offNonce]...)
	ad = appendContext(ad, ct[1], profileID, purpose)
	s.buf = ad
	if subtle.ConstantTimeCompare(s.mac(ad[offNonce:])[:commitSize], ct[offCommit:offNonce]) != 1 {
		ctx.put(s)
		return nil, ErrWrongContext
	}
	return s, nil
}

// openBody authenticates and decrypts ct (header checked, context checked
// with s) and puts s back.
func openBody(dst []byte, aead cipher.AEAD, ctx *macKey, s *macState, ct []byte) ([]byte, error) {
	pt, err := aead.Open(dst, ct[offNonce:headerSize], ct[headerSize:], s.buf)
	ctx.put(s)
	if err != nil {
		return nil, ErrTampered
	}
	return pt, nil
}

// kekID returns the key id written in a KEK-based header: the epoch and the
// fingerprint.
func kekID(epoch uint32, fingerprint []byte) [keyIDSize]byte {
	var id [keyIDSize]byte
	binary.BigEndian.PutUint32(id[:4], epoch)
	copy(id[4:], fingerprint)
	return id
}

// headerKeyID returns the key id field of ct in hex, for error messages.
func headerKeyID(ct []byte) string { return hex.EncodeToString(ct[offKeyID:offCommit]) }
