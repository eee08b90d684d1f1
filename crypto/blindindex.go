package crypto

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// BlindIndexSize is the size in bytes of a blind-index tag: the version of
// the key that made it (2 bytes, big-endian) and 16 bytes of
// HMAC-SHA256. Tags of one version share their first two bytes, so an index
// keyed by tag can drop a retired version with one prefix scan.
const BlindIndexSize = 18

// blindIndexMACSize is how much of the HMAC a tag keeps: 128 bits. See
// "Blind indexes" in the package documentation for the collision budget.
const blindIndexMACSize = 16

// maxKindLen bounds the length of a blind-index kind.
const maxKindLen = 32

// biVersion is one blind-index version: a random secret, and the HMAC keys
// derived from it per kind, made on first use and kept in a copy-on-write
// map so that a lookup neither locks nor allocates.
type biVersion struct {
	version uint16
	secret  [secretSize]byte
	mu      sync.Mutex // serialises additions to kinds
	kinds   atomic.Pointer[map[string]*macKey]
}

func newBIVersion(v uint16, secret []byte) *biVersion {
	b := &biVersion{version: v}
	copy(b.secret[:], secret)
	b.kinds.Store(&map[string]*macKey{})
	return b
}

// key returns the HMAC key of kind, deriving it on first use.
func (b *biVersion) key(kind string) (*macKey, error) {
	if k := (*b.kinds.Load())[kind]; k != nil {
		return k, nil
	}
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old := *b.kinds.Load()
	if k := old[kind]; k != nil {
		return k, nil
	}
	k := newMACKey(derive(b.secret[:], blindIndexLabel(kind, b.version)))
	m := make(map[string]*macKey, len(old)+1)
	for n, v := range old {
		m[n] = v
	}
	m[kind] = k
	b.kinds.Store(&m)
	return k, nil
}

// checkKind accepts kinds of 1 to 32 characters: a lower-case letter, then
// lower-case letters, digits and '_'. The kind is part of a derivation
// label, so it must not contain the label separator '/'.
func checkKind(kind string) error {
	ok := len(kind) > 0 && len(kind) <= maxKindLen && kind[0] >= 'a' && kind[0] <= 'z'
	for i := 0; ok && i < len(kind); i++ {
		c := kind[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if !ok {
		return fmt.Errorf("crypto: invalid blind-index kind %q (want 1 to %d of a-z, 0-9, _, starting with a letter)", kind, maxKindLen)
	}
	return nil
}

func (b *biVersion) appendTag(dst []byte, k *macKey, value []byte) []byte {
	s := k.get()
	sum := s.mac(value)
	dst = append(dst, byte(b.version>>8), byte(b.version))
	dst = append(dst, sum[:blindIndexMACSize]...)
	k.put(s)
	return dst
}

// BlindIndex returns the blind-index tag of a normalised identifier value
// of the given kind (such as "phone", "unionid" or "record") under the
// primary blind-index version: [BlindIndexSize] bytes, the version then
// HMAC-SHA256 under the kind's key, truncated. Equal values of one kind give
// equal tags; the tag reveals nothing else about the value to whoever lacks
// the keys. Values of scoped kinds must carry their scope in an unambiguous
// encoding. The only error is an invalid kind (see [Keyring.AppendBlindIndex]).
// During a blind-index rotation, use [Keyring.BlindIndexAll] instead.
func (kr *Keyring) BlindIndex(kind string, value []byte) ([]byte, error) {
	return kr.AppendBlindIndex(make([]byte, 0, BlindIndexSize), kind, value)
}

// AppendBlindIndex appends the tag [Keyring.BlindIndex] returns to dst and
// returns the extended slice, so that an index key (prefix then tag) is
// built without allocating. A kind is 1 to 32 characters: a lower-case
// letter, then lower-case letters, digits and '_'.
func (kr *Keyring) AppendBlindIndex(dst []byte, kind string, value []byte) ([]byte, error) {
	st := kr.load()
	b := st.bis[st.primaryBI]
	k, err := b.key(kind)
	if err != nil {
		return dst, err
	}
	return b.appendTag(dst, k, value), nil
}

// BlindIndexAll returns the tags of value under every live blind-index
// version, the primary's first. Outside a rotation there is one. During a
// rotation a store writes an index entry for each and looks up by each
// (see "Rotation" in the package documentation).
func (kr *Keyring) BlindIndexAll(kind string, value []byte) ([][]byte, error) {
	st := kr.load()
	tags := make([][]byte, len(st.biOrder))
	buf := make([]byte, 0, len(st.biOrder)*BlindIndexSize)
	for i, v := range st.biOrder {
		b := st.bis[v]
		k, err := b.key(kind)
		if err != nil {
			return nil, err
		}
		start := len(buf)
		buf = b.appendTag(buf, k, value)
		tags[i] = buf[start:len(buf):len(buf)]
	}
	return tags, nil
}

// AddBlindIndexVersion adds a new random blind-index version, not primary:
// [Keyring.BlindIndexAll] returns its tags beside the primary's from now on,
// while [Keyring.BlindIndex] still uses the primary. Persist
// [Keyring.State] afterwards. It returns the new version.
func (kr *Keyring) AddBlindIndexVersion() (uint16, error) {
	var v uint16
	err := kr.update(func(st *keyringState) error {
		if st.nextBI == ^uint16(0) {
			return errors.New("crypto: no blind-index versions left")
		}
		v = st.nextBI
		st.nextBI++
		st.bis[v] = newBIVersion(v, randomSecret())
		return nil
	})
	return v, err
}

// SetPrimaryBlindIndex makes version v primary: [Keyring.BlindIndex] uses
// it from now on, and [Keyring.BlindIndexAll] lists it first. Do it once
// every stored identifier has a tag under v. Persist [Keyring.State]
// afterwards. Errors: a [*KeyError] if v is not live.
func (kr *Keyring) SetPrimaryBlindIndex(v uint16) error {
	return kr.update(func(st *keyringState) error {
		if st.bis[v] == nil {
			return st.biError(v)
		}
		st.primaryBI = v
		return nil
	})
}

// RetireBlindIndex deletes blind-index version v: its tags can never be
// computed again, so delete them from the index first (they share the
// 2-byte prefix v). The primary version cannot be retired. Persist
// [Keyring.State] afterwards. Errors: a [*KeyError] if v is not live.
func (kr *Keyring) RetireBlindIndex(v uint16) error {
	return kr.update(func(st *keyringState) error {
		if st.bis[v] == nil {
			return st.biError(v)
		}
		if v == st.primaryBI {
			return fmt.Errorf("crypto: blind-index version %d is primary; make another primary before retiring it", v)
		}
		delete(st.bis, v)
		return nil
	})
}

func (st *keyringState) biError(v uint16) error {
	e := &KeyError{Kind: kindBlindIndex, Version: uint32(v), Err: ErrUnknownKey}
	if v != 0 && v < st.nextBI {
		e.Err = ErrRetiredKey
	}
	return e
}
