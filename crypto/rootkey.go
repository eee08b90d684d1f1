package crypto

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
)

// RootKeySize is the size in bytes of a root key.
const RootKeySize = 32

// The root key text: a prefix naming the format and its version, then the
// key and a checksum in unpadded base32.
const (
	keyTextPrefix   = "SCV-ROOT-KEY-"
	keyTextVersion  = 1
	keyChecksumSize = 4
	keyTextMaxSize  = 64 << 10

	// keyChecksumPrefix is hashed before the key for the checksum. It is a
	// SHA-256 prefix, not an HKDF label: the checksum guards against typos
	// and is not a key.
	keyChecksumPrefix = "scv/v1/root-key-checksum"
)

var keyTextEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// keyTextLen is the number of base32 characters of a version 1 key text.
var keyTextLen = keyTextEncoding.EncodedLen(RootKeySize + keyChecksumSize)

// RootKey is the secret at the top of the key hierarchy. It seals the
// keyring state and nothing else; see the package documentation.
//
// A RootKey is an opaque handle: its String, GoString, Format and LogValue
// show only its key id, a non-secret fingerprint derived with HKDF, never
// key material. The only way to get the material out is [RootKey.KeyFile].
// A RootKey is immutable and safe for concurrent use.
type RootKey struct {
	m  *rootMaterial
	id string
}

// rootMaterial holds the key two pointers away from a RootKey value. fmt
// dereferences one pointer when it prints a struct with a verb a pointer
// does not take (%s of a struct holding a RootKey in an unexported field,
// where no method of RootKey is called); the second pointer is printed as
// an address.
type rootMaterial struct {
	key *[RootKeySize]byte
}

// GenerateRootKey returns a new random root key.
func GenerateRootKey() *RootKey {
	var k [RootKeySize]byte
	rand.Read(k[:]) // never fails (crypto/rand since Go 1.24)
	return newRootKey(&k)
}

// NewRootKey returns a root key holding a copy of raw, which must be
// [RootKeySize] uniformly random bytes, such as a data key a KMS returned.
// It is for [KeyProvider] implementations; a key typed by a person goes
// through [ParseRootKey].
func NewRootKey(raw []byte) (*RootKey, error) {
	if len(raw) != RootKeySize {
		return nil, fmt.Errorf("%w: root key is %d bytes, want %d", ErrMalformed, len(raw), RootKeySize)
	}
	var k [RootKeySize]byte
	copy(k[:], raw)
	return newRootKey(&k), nil
}

func newRootKey(k *[RootKeySize]byte) *RootKey {
	id := hkdfSHA256(k[:], nil, []byte(labelRootID), 8)
	return &RootKey{m: &rootMaterial{key: k}, id: hex.EncodeToString(id)}
}

// AtRestKey returns a 32-byte key derived from the root key with HKDF under
// the label "scv/v1/at-rest", for the storage engine's own encryption at
// rest (Badger's EncryptionKey), the second layer under the sealing this
// package does. It is derived from the root, not kept in the keyring
// state, because the engine needs it before it can read that state; so a
// root rotation must also re-encrypt the engine's key registry. The caller
// owns the result and should not keep it longer than the engine needs.
func (k *RootKey) AtRestKey() []byte { return derive(k.m.key[:], labelAtRest) }

// BackupKey returns a 32-byte key derived from the root key with HKDF under
// the label "scv/v1/backup-mac", with which a backup stream is
// authenticated (HMAC-SHA256) from its first byte to its last, so that a
// truncated or altered backup is refused before it replaces anything. It
// is derived from the root, like [RootKey.AtRestKey], because a backup
// must be checked before its keyring state is trusted. The caller owns the
// result.
func (k *RootKey) BackupKey() []byte { return derive(k.m.key[:], labelBackupMAC) }

// ID returns the key id: 16 hex digits derived from the key with HKDF under
// the label "scv/v1/key-id". It identifies the key in logs and in error
// messages, and reveals nothing about it.
func (k RootKey) ID() string { return k.id }

// String returns "scv root key " followed by the key id.
func (k RootKey) String() string { return "scv root key " + k.id }

// GoString returns the same text as String, so %#v shows no key material.
func (k RootKey) GoString() string { return k.String() }

// Format writes the same text as String for every verb, so that no fmt verb
// (%v, %+v, %#v, %s, %q, %x, %d, ...) prints key material.
func (k RootKey) Format(f fmt.State, verb rune) { formatHandle(f, verb, k.String()) }

// LogValue returns the String text, for log/slog.
func (k RootKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// KeyFile returns the key as the text of a key file: two comment lines and
// the key line, as described in the package documentation under "Root key
// text". [ParseRootKey] reads it back. The result is secret: write it only
// to a file of mode 0600 or to a secret manager. The caller owns it and may
// zero it after use.
func (k *RootKey) KeyFile() []byte {
	var b bytes.Buffer
	b.WriteString("# scv root key: keep it secret and apart from the data; whoever holds it can read every profile.\n")
	b.WriteString("# key id " + k.id + "\n")
	b.WriteString(keyTextPrefix + strconv.Itoa(keyTextVersion) + "-")
	var raw [RootKeySize + keyChecksumSize]byte
	copy(raw[:], k.m.key[:])
	copy(raw[RootKeySize:], keyChecksum(k.m.key))
	enc := make([]byte, keyTextLen)
	keyTextEncoding.Encode(enc, raw[:])
	b.Write(enc)
	b.WriteByte('\n')
	clear(raw[:])
	clear(enc)
	return b.Bytes()
}

// keyChecksum returns the first 4 bytes of SHA-256("scv/v1/root-key-checksum" || key).
func keyChecksum(k *[RootKeySize]byte) []byte {
	h := sha256.New()
	h.Write([]byte(keyChecksumPrefix))
	h.Write(k[:])
	return h.Sum(nil)[:keyChecksumSize]
}

// ParseRootKey reads a root key from the text written by [RootKey.KeyFile]:
// lines starting with '#' and blank lines are ignored, and exactly one key
// line must remain. The letters of the key line may be in either case.
// Errors wrap [ErrMalformed] and say what is wrong (not a key, unsupported
// version, truncated, bad character, checksum mismatch) without quoting the
// text, so that a mistyped or cut key is never mistaken for a wrong one.
func ParseRootKey(text []byte) (*RootKey, error) {
	if len(text) > keyTextMaxSize {
		return nil, fmt.Errorf("%w: root key text is %d bytes, too long for a key", ErrMalformed, len(text))
	}
	var line []byte
	for l := range bytes.Lines(text) {
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		if line != nil {
			return nil, fmt.Errorf("%w: root key text has more than one key line", ErrMalformed)
		}
		line = l
	}
	if line == nil {
		return nil, fmt.Errorf("%w: root key text is empty", ErrMalformed)
	}
	up := bytes.ToUpper(line)
	defer clear(up)
	if !bytes.HasPrefix(up, []byte(keyTextPrefix)) {
		return nil, fmt.Errorf("%w: not an scv root key (want a line starting %s)", ErrMalformed, keyTextPrefix)
	}
	rest := up[len(keyTextPrefix):]
	dash := bytes.IndexByte(rest, '-')
	if dash < 0 {
		return nil, fmt.Errorf("%w: root key text has no version", ErrMalformed)
	}
	if v := string(rest[:dash]); v != strconv.Itoa(keyTextVersion) {
		if len(v) > 8 {
			v = v[:8] + "..."
		}
		return nil, fmt.Errorf("%w: unsupported root key version %q (this library reads version %d)", ErrMalformed, v, keyTextVersion)
	}
	body := rest[dash+1:]
	if len(body) != keyTextLen {
		return nil, fmt.Errorf("%w: root key has %d characters after the prefix, want %d (truncated or extended)", ErrMalformed, len(body), keyTextLen)
	}
	for i, c := range body {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return nil, fmt.Errorf("%w: root key has an invalid character at position %d of %d", ErrMalformed, i+1, len(body))
		}
	}
	var raw [RootKeySize + keyChecksumSize + 1]byte // +1: DecodedLen rounds up
	n, err := keyTextEncoding.Decode(raw[:], body)
	defer clear(raw[:])
	if err != nil || n != RootKeySize+keyChecksumSize {
		return nil, fmt.Errorf("%w: root key does not decode", ErrMalformed)
	}
	var k [RootKeySize]byte
	copy(k[:], raw[:RootKeySize])
	if !bytes.Equal(keyChecksum(&k), raw[RootKeySize:n]) {
		clear(k[:])
		return nil, fmt.Errorf("%w: root key checksum mismatch: the key was mistyped or corrupted", ErrMalformed)
	}
	// The last character carries 3 unused bits; accept only the canonical
	// encoding, so that each key has exactly one text.
	var enc [64]byte
	keyTextEncoding.Encode(enc[:keyTextLen], raw[:n])
	canonical := bytes.Equal(enc[:keyTextLen], body)
	clear(enc[:])
	if !canonical {
		clear(k[:])
		return nil, fmt.Errorf("%w: root key has non-zero padding bits in its last character", ErrMalformed)
	}
	return newRootKey(&k), nil
}

// formatHandle writes text for any fmt verb; %q quotes it.
func formatHandle(f fmt.State, verb rune, text string) {
	if verb == 'q' {
		text = strconv.Quote(text)
	}
	f.Write([]byte(text))
}
