package crypto

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
)

// The keyring state, version 1, as returned by [Keyring.State]:
//
//	offset  size  field
//	0       4     magic "SCVK"
//	4       1     state format version (1)
//	5       32    key check value: HKDF(root, "scv/v1/key-check")
//	37      24    XChaCha20 nonce, random
//	61      n+16  body sealed with XChaCha20-Poly1305 under
//	              HKDF(root, "scv/v1/kek-wrap"); associated data bytes 0 to 37
//
// The body, all integers big-endian:
//
//	32      keyring secret (the context-commitment key is derived from it)
//	4+4+4   next KEK epoch, primary KEK epoch, number of epochs k
//	k*36    per epoch: epoch (4) and its random secret (32)
//	2+2+2   next blind-index version, primary version, number of versions b
//	b*34    per version: version (2) and its random secret (32)
const (
	stateMagic      = "SCVK"
	stateVersion    = 1
	stateHeaderSize = 4 + 1 + 32 + 24
	stateOverhead   = stateHeaderSize + 16
	secretSize      = 32
)

// rootKeys are the keys derived from the root key.
type rootKeys struct {
	root     *RootKey
	keyCheck []byte
	aead     cipher.AEAD
}

func deriveRootKeys(root *RootKey) rootKeys {
	return rootKeys{
		root:     root,
		keyCheck: derive(root.m.key[:], labelKeyCheck),
		aead:     newAEAD(derive(root.m.key[:], labelKEKWrap)),
	}
}

// sealState encodes and seals the body of st under rk.
func sealState(rk rootKeys, st *keyringState) []byte {
	body := make([]byte, 0, secretSize+12+len(st.keks)*36+6+len(st.bis)*34)
	body = append(body, st.secret[:]...)
	body = binary.BigEndian.AppendUint32(body, st.nextKEK)
	body = binary.BigEndian.AppendUint32(body, st.primaryKEK)
	body = binary.BigEndian.AppendUint32(body, uint32(len(st.keks)))
	for _, e := range slices.Sorted(maps.Keys(st.keks)) {
		body = binary.BigEndian.AppendUint32(body, e)
		body = append(body, st.keks[e].secret[:]...)
	}
	body = binary.BigEndian.AppendUint16(body, st.nextBI)
	body = binary.BigEndian.AppendUint16(body, st.primaryBI)
	body = binary.BigEndian.AppendUint16(body, uint16(len(st.bis)))
	for _, v := range slices.Sorted(maps.Keys(st.bis)) {
		body = binary.BigEndian.AppendUint16(body, v)
		body = append(body, st.bis[v].secret[:]...)
	}
	out := make([]byte, stateHeaderSize, stateOverhead+len(body))
	copy(out, stateMagic)
	out[4] = stateVersion
	copy(out[5:37], rk.keyCheck)
	rand.Read(out[37:stateHeaderSize])
	out = rk.aead.Seal(out, out[37:stateHeaderSize], body, out[:37])
	clear(body)
	return out
}

// openState checks and decrypts a keyring state and rebuilds its keys.
func openState(rk rootKeys, state []byte) (*keyringState, error) {
	if len(state) < stateOverhead || string(state[:4]) != stateMagic {
		return nil, fmt.Errorf("%w: not an scv keyring state (%d bytes)", ErrMalformed, len(state))
	}
	if state[4] != stateVersion {
		return nil, fmt.Errorf("%w: unsupported keyring state version %d (this library reads version %d)", ErrMalformed, state[4], stateVersion)
	}
	if subtle.ConstantTimeCompare(state[5:37], rk.keyCheck) != 1 {
		return nil, fmt.Errorf("%w: the keyring state is sealed under another root key than %s", ErrWrongKey, rk.root.ID())
	}
	body, err := rk.aead.Open(nil, state[37:stateHeaderSize], state[stateHeaderSize:], state[:37])
	if err != nil {
		return nil, fmt.Errorf("%w: keyring state", ErrTampered)
	}
	defer clear(body)
	st, ok := decodeState(body)
	if !ok {
		// Authenticated but inconsistent: written by a buggy or newer writer.
		return nil, fmt.Errorf("%w: keyring state body is inconsistent", ErrMalformed)
	}
	st.root = rk
	st.sealed = append([]byte(nil), state...)
	return st, nil
}

// decodeState parses an authenticated state body and checks its invariants:
// every epoch and version is below its next counter and unique, the
// primaries exist, and nothing trails.
func decodeState(b []byte) (*keyringState, bool) {
	r := reader{b: b}
	st := &keyringState{keks: map[uint32]*kek{}, bis: map[uint16]*biVersion{}}
	copy(st.secret[:], r.next(secretSize))
	st.nextKEK, st.primaryKEK = r.u32(), r.u32()
	nk := r.u32()
	if !r.ok() || nk == 0 || uint64(nk)*36 > uint64(len(r.b)) {
		return nil, false
	}
	for range nk {
		e := r.u32()
		s := r.next(secretSize)
		if !r.ok() || e == 0 || e >= st.nextKEK || st.keks[e] != nil {
			return nil, false
		}
		st.keks[e] = newKEK(e, s)
	}
	st.nextBI, st.primaryBI = r.u16(), r.u16()
	nb := r.u16()
	if !r.ok() || nb == 0 || int(nb)*34 > len(r.b) {
		return nil, false
	}
	for range nb {
		v := r.u16()
		s := r.next(secretSize)
		if !r.ok() || v == 0 || v >= st.nextBI || st.bis[v] != nil {
			return nil, false
		}
		st.bis[v] = newBIVersion(v, s)
	}
	if !r.ok() || len(r.b) != 0 || st.keks[st.primaryKEK] == nil || st.bis[st.primaryBI] == nil {
		return nil, false
	}
	st.init()
	return st, true
}

// reader reads big-endian fields; after the first short read it returns
// zeros and ok reports false.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) next(n int) []byte {
	if r.bad || len(r.b) < n {
		r.bad, r.b = true, nil
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) ok() bool    { return !r.bad }
func (r *reader) u32() uint32 { return binary.BigEndian.Uint32(r.next(4)) }
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.next(2)) }
