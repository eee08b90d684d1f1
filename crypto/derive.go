package crypto

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"io"
	"strconv"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// The HKDF-SHA256 labels (the "info" input) of every key this package
// derives. The secret each one is derived from is named on its line; the
// salt is always empty, because every secret is already uniformly random.
// A label never changes meaning: a new derivation gets a new label, and
// "v1" moves to "v2" only with a new ciphertext format version.
const (
	labelRootID     = "scv/v1/key-id"             // root key -> 8-byte public key id
	labelKeyCheck   = "scv/v1/key-check"          // root key -> 32-byte key check value stored in the state
	labelKEKWrap    = "scv/v1/kek-wrap"           // root key -> XChaCha20-Poly1305 key sealing the keyring state
	labelKEKID      = "scv/v1/kek-id"             // KEK epoch secret -> 4-byte fingerprint in headers
	labelDataKeyKEK = "scv/v1/data-key-wrap"      // KEK epoch secret -> key wrapping data keys
	labelKeyringKey = "scv/v1/keyring-seal"       // KEK epoch secret -> key of Keyring.Seal
	labelContext    = "scv/v1/context-commitment" // keyring secret -> HMAC key of header context commitments
	labelBlindIndex = "scv/v1/blind-index/"       // blind-index version secret -> HMAC key, + kind "/" version
	labelAtRest     = "scv/v1/at-rest"            // root key -> 32-byte key of the storage engine's own encryption at rest
	labelBackupMAC  = "scv/v1/backup-mac"         // root key -> HMAC-SHA256 key authenticating a backup stream
)

// hkdfSHA256 returns n bytes of HKDF-SHA256 (RFC 5869) output keyed by
// secret, with the given salt and info. It panics only if n exceeds the
// HKDF limit of 255*32 bytes, which no caller in this package does.
func hkdfSHA256(secret, salt, info []byte, n int) []byte {
	out := make([]byte, n)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, salt, info), out); err != nil {
		panic("crypto: hkdf: " + err.Error())
	}
	return out
}

// derive returns a 32-byte key derived from secret under label.
func derive(secret []byte, label string) []byte {
	return hkdfSHA256(secret, nil, []byte(label), 32)
}

// blindIndexLabel returns the label of the blind-index key of one kind and
// version, such as "scv/v1/blind-index/phone/1".
func blindIndexLabel(kind string, version uint16) string {
	return labelBlindIndex + kind + "/" + strconv.FormatUint(uint64(version), 10)
}

// newAEAD returns XChaCha20-Poly1305 keyed with key, which must be 32 bytes.
func newAEAD(key []byte) cipher.AEAD {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		panic("crypto: " + err.Error()) // only for a key of the wrong size
	}
	return a
}

// macKey computes HMAC-SHA256 under one key without allocating: it keeps a
// pool of HMAC states whose Reset restores the precomputed inner and outer
// pads, and a scratch buffer per state. A macKey is safe for concurrent use.
type macKey struct {
	pool sync.Pool // of *macState
}

type macState struct {
	h   hash.Hash
	sum [sha256.Size]byte
	buf []byte // scratch for building the MAC input or associated data
}

func newMACKey(key []byte) *macKey {
	k := append([]byte(nil), key...)
	m := &macKey{}
	m.pool.New = func() any {
		h := hmac.New(sha256.New, k)
		// The first Reset makes HMAC remember its padded key states, so
		// every later Reset is a cheap restore instead of two compressions.
		h.Reset()
		return &macState{h: h, buf: make([]byte, 0, 256)}
	}
	return m
}

func (m *macKey) get() *macState { return m.pool.Get().(*macState) }

func (m *macKey) put(s *macState) {
	if cap(s.buf) > 64<<10 {
		s.buf = make([]byte, 0, 256) // do not keep a huge buffer alive
	}
	s.buf = s.buf[:0]
	m.pool.Put(s)
}

// mac computes HMAC(key, msg) into s.sum and returns it.
func (s *macState) mac(msg []byte) []byte {
	s.h.Reset()
	s.h.Write(msg)
	return s.h.Sum(s.sum[:0])
}
