package crypto

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// Keyring holds the keys below the root: the key-encryption-key epochs that
// wrap data keys and seal keyring values, the blind-index versions, and the
// context-commitment key. Get one with [NewKeyring] for a new store or
// [OpenKeyring] for an existing one, and persist [Keyring.State] after every
// change.
//
// A Keyring is safe for concurrent use by multiple goroutines. Reads (data
// keys, sealing, blind indexes) take no lock: they use an immutable
// snapshot that each change replaces atomically. Changes are serialised.
type Keyring struct {
	mu  sync.Mutex // serialises changes
	cur atomic.Pointer[keyringState]
}

// keyringState is one immutable snapshot of a keyring.
type keyringState struct {
	root   rootKeys
	secret [secretSize]byte
	ctx    *macKey // context commitments, from secret

	keks       map[uint32]*kek
	primaryKEK uint32
	nextKEK    uint32 // every epoch below it was created; absent ones are retired

	bis       map[uint16]*biVersion
	biOrder   []uint16 // primary first, then the others ascending
	primaryBI uint16
	nextBI    uint16

	sealed []byte // the state, sealed under the root
}

// kek is one key-encryption-key epoch and the keys derived from it.
type kek struct {
	epoch  uint32
	secret [secretSize]byte
	id     [keyIDSize]byte // epoch || fingerprint, as written in headers
	wrap   cipher.AEAD     // wraps data keys
	seal   cipher.AEAD     // seals keyring values
}

func newKEK(epoch uint32, secret []byte) *kek {
	k := &kek{epoch: epoch}
	copy(k.secret[:], secret)
	k.id = kekID(epoch, hkdfSHA256(secret, nil, []byte(labelKEKID), 4))
	k.wrap = newAEAD(derive(secret, labelDataKeyKEK))
	k.seal = newAEAD(derive(secret, labelKeyringKey))
	return k
}

func randomSecret() []byte {
	s := make([]byte, secretSize)
	rand.Read(s)
	return s
}

// init derives what follows from the fields of st.
func (st *keyringState) init() {
	if st.ctx == nil {
		st.ctx = newMACKey(derive(st.secret[:], labelContext))
	}
	st.biOrder = st.biOrder[:0:0]
	st.biOrder = append(st.biOrder, st.primaryBI)
	for _, v := range slices.Sorted(maps.Keys(st.bis)) {
		if v != st.primaryBI {
			st.biOrder = append(st.biOrder, v)
		}
	}
}

func (st *keyringState) clone() *keyringState {
	c := *st
	c.keks = maps.Clone(st.keks)
	c.bis = maps.Clone(st.bis)
	c.biOrder = nil
	c.sealed = nil
	return &c
}

// NewKeyring returns a new keyring under root, with one key-encryption-key
// epoch (1) and one blind-index version (1), both primary and both random.
// Call it once, when a store is created, and persist [Keyring.State]; every
// later open goes through [OpenKeyring]. It panics if root is nil.
func NewKeyring(root *RootKey) *Keyring {
	if root == nil {
		panic("crypto: NewKeyring with a nil root key")
	}
	st := &keyringState{
		root:       deriveRootKeys(root),
		keks:       map[uint32]*kek{1: newKEK(1, randomSecret())},
		primaryKEK: 1,
		nextKEK:    2,
		bis:        map[uint16]*biVersion{1: newBIVersion(1, randomSecret())},
		primaryBI:  1,
		nextBI:     2,
	}
	copy(st.secret[:], randomSecret())
	st.init()
	st.sealed = sealState(st.root, st)
	kr := &Keyring{}
	kr.cur.Store(st)
	return kr
}

// OpenKeyring opens a keyring state written by [Keyring.State] under root.
// It fails at once, before any value is read, with [ErrWrongKey] if the
// state was sealed under another root key, [ErrTampered] if it was
// modified, and [ErrMalformed] if it is empty, truncated or of an unknown
// version. An empty state is an error, never a new keyring: a store whose
// state went missing must not silently start over with fresh keys.
func OpenKeyring(root *RootKey, state []byte) (*Keyring, error) {
	if root == nil {
		return nil, errors.New("crypto: OpenKeyring with a nil root key")
	}
	st, err := openState(deriveRootKeys(root), state)
	if err != nil {
		return nil, err
	}
	kr := &Keyring{}
	kr.cur.Store(st)
	return kr, nil
}

func (kr *Keyring) load() *keyringState {
	st := kr.cur.Load()
	if st == nil {
		panic("crypto: Keyring used without NewKeyring or OpenKeyring")
	}
	return st
}

// update applies f to a copy of the current snapshot, reseals it and makes
// it current; if f fails nothing changes.
func (kr *Keyring) update(f func(st *keyringState) error) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	st := kr.load().clone()
	if err := f(st); err != nil {
		return err
	}
	st.init()
	st.sealed = sealState(st.root, st)
	kr.cur.Store(st)
	return nil
}

// State returns the keyring state sealed under the root key: the key check
// value, the key-encryption-key epochs, the blind-index versions and the
// keyring secret, as described in the package documentation. It contains
// no plaintext key material and is safe to store beside the data. Persist
// it after every change; [OpenKeyring] reads it back. The caller owns the
// returned slice.
func (kr *Keyring) State() []byte {
	return append([]byte(nil), kr.load().sealed...)
}

// Reload makes state, written by [Keyring.State] of a keyring under the
// same root key (another process sharing the database rotated it), this
// keyring's state. It does nothing if the state is the current one, and
// changes nothing on an error ([ErrWrongKey], [ErrTampered],
// [ErrMalformed]).
func (kr *Keyring) Reload(state []byte) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	cur := kr.load()
	if bytes.Equal(cur.sealed, state) {
		return nil
	}
	st, err := openState(cur.root, state)
	if err != nil {
		return err
	}
	kr.cur.Store(st)
	return nil
}

// KeyringStatus describes a keyring without its key material.
type KeyringStatus struct {
	RootKeyID          string   // the id of the root key the state is sealed under
	KEKEpochs          []uint32 // the live key-encryption-key epochs, ascending
	PrimaryKEK         uint32   // the epoch new data keys are wrapped under
	RetiredKEKs        uint32   // how many epochs were retired
	BlindIndexVersions []uint16 // the live blind-index versions, ascending
	PrimaryBlindIndex  uint16   // the version [Keyring.BlindIndex] uses
}

// Status returns the keyring's epochs and versions.
func (kr *Keyring) Status() KeyringStatus {
	st := kr.load()
	return KeyringStatus{
		RootKeyID:          st.root.root.ID(),
		KEKEpochs:          slices.Sorted(maps.Keys(st.keks)),
		PrimaryKEK:         st.primaryKEK,
		RetiredKEKs:        st.nextKEK - 1 - uint32(len(st.keks)),
		BlindIndexVersions: slices.Sorted(maps.Keys(st.bis)),
		PrimaryBlindIndex:  st.primaryBI,
	}
}

// RotateKEK adds a new random key-encryption-key epoch and makes it
// primary: data keys created from now on are wrapped under it, and
// [Keyring.Rewrap] moves existing ones to it. Older epochs stay readable
// until [Keyring.RetireKEK]. Persist [Keyring.State] afterwards. It returns
// the new epoch.
func (kr *Keyring) RotateKEK() (uint32, error) {
	var epoch uint32
	err := kr.update(func(st *keyringState) error {
		if st.nextKEK == ^uint32(0) {
			return errors.New("crypto: no key-encryption-key epochs left")
		}
		epoch = st.nextKEK
		st.nextKEK++
		st.keks[epoch] = newKEK(epoch, randomSecret())
		st.primaryKEK = epoch
		return nil
	})
	return epoch, err
}

// RetireKEK deletes a key-encryption-key epoch from the keyring. Every data
// key and keyring value still under it becomes unreadable for good, with
// [ErrRetiredKey]; rewrap and reseal them first (see "Rotation" in the
// package documentation). The primary epoch cannot be retired. Persist
// [Keyring.State] afterwards: until the new state replaces the old one
// everywhere, the epoch lives on in the old copies.
func (kr *Keyring) RetireKEK(epoch uint32) error {
	return kr.update(func(st *keyringState) error {
		if st.keks[epoch] == nil {
			return st.kekError(epoch, nil)
		}
		if epoch == st.primaryKEK {
			return fmt.Errorf("crypto: key-encryption-key epoch %d is primary; rotate before retiring it", epoch)
		}
		delete(st.keks, epoch)
		return nil
	})
}

// RotateRoot reseals the keyring state under newRoot. The key-encryption
// keys, blind-index secrets and keyring secret are random, not derived from
// the root, so nothing sealed, wrapped or indexed changes: only
// [Keyring.State] does. Store the new root key safely first, then persist
// the new state, then switch the key provider; states sealed under the old
// root (in backups) still open with the old root until that key is
// destroyed. It panics if newRoot is nil.
func (kr *Keyring) RotateRoot(newRoot *RootKey) {
	if newRoot == nil {
		panic("crypto: RotateRoot with a nil root key")
	}
	rk := deriveRootKeys(newRoot)
	kr.update(func(st *keyringState) error {
		st.root = rk
		return nil
	})
}

// kekFor returns the epoch that sealed ct, whose header was checked.
func (st *keyringState) kekFor(ct []byte) (*kek, error) {
	var id [keyIDSize]byte
	copy(id[:], ct[offKeyID:offCommit])
	epoch := uint32(id[0])<<24 | uint32(id[1])<<16 | uint32(id[2])<<8 | uint32(id[3])
	k := st.keks[epoch]
	if k == nil || k.id != id {
		return nil, st.kekError(epoch, id[:])
	}
	return k, nil
}

// kekError explains why epoch is not in the keyring. id is the key id read
// from a header, or nil.
func (st *keyringState) kekError(epoch uint32, id []byte) error {
	e := &KeyError{Kind: kindKEK, Version: epoch, Err: ErrUnknownKey}
	if id != nil {
		e.ID = fmt.Sprintf("%x", id)
	}
	if st.keks[epoch] == nil && epoch != 0 && epoch < st.nextKEK {
		e.Err = ErrRetiredKey
	}
	return e
}

// String describes the keyring by its root key id and primaries; it never
// shows key material.
func (kr *Keyring) String() string {
	st := kr.cur.Load()
	if st == nil {
		return "scv keyring (not opened)"
	}
	return fmt.Sprintf("scv keyring under root key %s, KEK epoch %d, blind-index version %d",
		st.root.root.ID(), st.primaryKEK, st.primaryBI)
}

// Format writes the same text as String for every fmt verb.
func (kr *Keyring) Format(f fmt.State, verb rune) { formatHandle(f, verb, kr.String()) }

// LogValue returns the String text, for log/slog.
func (kr *Keyring) LogValue() slog.Value { return slog.StringValue(kr.String()) }
