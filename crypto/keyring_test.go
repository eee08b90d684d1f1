package crypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reopen persists kr's state and opens it again under root, as a store
// does at its next start.
func reopen(t testing.TB, root *RootKey, kr *Keyring) *Keyring {
	t.Helper()
	kr2, err := OpenKeyring(root, kr.State())
	if err != nil {
		t.Fatalf("OpenKeyring: %v", err)
	}
	return kr2
}

func TestOpenKeyringRoundTrip(t *testing.T) {
	root, kr := newKeyring(t)
	if _, err := kr.RotateKEK(); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.AddBlindIndexVersion(); err != nil {
		t.Fatal(err)
	}
	pid := []byte("p1")
	dk, wrapped := kr.NewDataKey(pid)
	ct := dk.Seal(pid, "profile", []byte("hello"))
	kv := kr.Seal("stats", []byte("42"))
	tag, _ := kr.BlindIndex("phone", []byte("+8613812345678"))

	kr2 := reopen(t, root, kr)
	if diff := cmp.Diff(kr.Status(), kr2.Status()); diff != "" {
		t.Errorf("Status after reopen (-want +got):\n%s", diff)
	}
	want := KeyringStatus{RootKeyID: root.ID(), KEKEpochs: []uint32{1, 2}, PrimaryKEK: 2, BlindIndexVersions: []uint16{1, 2}, PrimaryBlindIndex: 1}
	if diff := cmp.Diff(want, kr2.Status()); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
	dk2, err := kr2.UnwrapDataKey(pid, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := dk2.Open(pid, "profile", ct); err != nil || string(got) != "hello" {
		t.Errorf("Open after reopen = %q, %v", got, err)
	}
	if got, err := kr2.Open("stats", kv); err != nil || string(got) != "42" {
		t.Errorf("keyring Open after reopen = %q, %v", got, err)
	}
	if tag2, _ := kr2.BlindIndex("phone", []byte("+8613812345678")); !bytes.Equal(tag, tag2) {
		t.Error("blind index changed across reopen")
	}
	if s1, s2 := kr.State(), kr.State(); !bytes.Equal(s1, s2) || &s1[0] == &s2[0] {
		t.Error("State is not a stable copy")
	}
}

func TestOpenKeyringRefuses(t *testing.T) {
	root, kr := newKeyring(t)
	state := kr.State()
	with := func(i int, b byte) []byte { s := bytes.Clone(state); s[i] ^= b; return s }
	tests := []struct {
		name  string
		root  *RootKey
		state []byte
		want  error
	}{
		{"other root", GenerateRootKey(), state, ErrWrongKey},
		{"nil state", root, nil, ErrMalformed},
		{"empty state", root, []byte{}, ErrMalformed},
		{"truncated to the header", root, state[:stateHeaderSize], ErrMalformed},
		{"truncated body", root, state[:len(state)-1], ErrTampered},
		{"extended", root, append(bytes.Clone(state), 0), ErrTampered},
		{"bad magic", root, with(0, 1), ErrMalformed},
		{"future version", root, with(4, 3), ErrMalformed},
		{"key check changed", root, with(5, 1), ErrWrongKey},
		{"nonce changed", root, with(40, 1), ErrTampered},
		{"body changed", root, with(stateHeaderSize+3, 0x80), ErrTampered},
		{"a data value", root, kr.Seal("x", make([]byte, 200)), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OpenKeyring(tc.root, tc.state)
			if got != nil {
				t.Fatal("opened")
			}
			checkErr(t, err, tc.want)
		})
	}
	if _, err := OpenKeyring(nil, state); err == nil {
		t.Error("nil root: no error")
	}
}

// TestOpenKeyringEveryBitFlip: no single flipped bit of a state opens.
func TestOpenKeyringEveryBitFlip(t *testing.T) {
	root, kr := newKeyring(t)
	state := kr.State()
	for i := range state {
		for bit := range 8 {
			mut := bytes.Clone(state)
			mut[i] ^= 1 << bit
			want := ErrTampered
			switch {
			case i < 5:
				want = ErrMalformed
			case i < 37:
				want = ErrWrongKey
			}
			_, err := OpenKeyring(root, mut)
			if p := errProblem(err, want); p != "" {
				t.Fatalf("byte %d bit %d: %s", i, bit, p)
			}
		}
	}
}

// TestDecodeStateInvariants seals inconsistent bodies under the right root:
// authentic but wrong states are refused, never half-used.
func TestDecodeStateInvariants(t *testing.T) {
	root := GenerateRootKey()
	rk := deriveRootKeys(root)
	build := func(nextK, primK uint32, keks []uint32, nextB, primB uint16, bis []uint16, trailer []byte) []byte {
		b := make([]byte, secretSize)
		b = binary.BigEndian.AppendUint32(b, nextK)
		b = binary.BigEndian.AppendUint32(b, primK)
		b = binary.BigEndian.AppendUint32(b, uint32(len(keks)))
		for _, e := range keks {
			b = binary.BigEndian.AppendUint32(b, e)
			b = append(b, make([]byte, secretSize)...)
		}
		b = binary.BigEndian.AppendUint16(b, nextB)
		b = binary.BigEndian.AppendUint16(b, primB)
		b = binary.BigEndian.AppendUint16(b, uint16(len(bis)))
		for _, v := range bis {
			b = binary.BigEndian.AppendUint16(b, v)
			b = append(b, make([]byte, secretSize)...)
		}
		b = append(b, trailer...)
		out := make([]byte, stateHeaderSize)
		copy(out, stateMagic)
		out[4] = stateVersion
		copy(out[5:37], rk.keyCheck)
		return rk.aead.Seal(out, out[37:stateHeaderSize], b, out[:37])
	}
	if _, err := OpenKeyring(root, build(3, 2, []uint32{1, 2}, 2, 1, []uint16{1}, nil)); err != nil {
		t.Fatalf("a consistent state: %v", err)
	}
	tests := []struct {
		name  string
		state []byte
	}{
		{"no epochs", build(2, 1, nil, 2, 1, []uint16{1}, nil)},
		{"primary epoch missing", build(3, 2, []uint32{1}, 2, 1, []uint16{1}, nil)},
		{"epoch at next", build(2, 2, []uint32{1, 2}, 2, 1, []uint16{1}, nil)},
		{"epoch zero", build(2, 0, []uint32{0}, 2, 1, []uint16{1}, nil)},
		{"duplicate epoch", build(3, 1, []uint32{1, 1}, 2, 1, []uint16{1}, nil)},
		{"no blind-index version", build(2, 1, []uint32{1}, 2, 1, nil, nil)},
		{"primary version missing", build(2, 1, []uint32{1}, 3, 2, []uint16{1}, nil)},
		{"duplicate version", build(2, 1, []uint32{1}, 3, 1, []uint16{1, 1}, nil)},
		{"trailing bytes", build(2, 1, []uint32{1}, 2, 1, []uint16{1}, []byte{0})},
		{"epoch count too large", func() []byte {
			b := make([]byte, secretSize+8)
			b = binary.BigEndian.AppendUint32(b, 1<<30)
			out := make([]byte, stateHeaderSize)
			copy(out, stateMagic)
			out[4] = stateVersion
			copy(out[5:37], rk.keyCheck)
			return rk.aead.Seal(out, out[37:stateHeaderSize], b, out[:37])
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenKeyring(root, tc.state)
			checkErr(t, err, ErrMalformed)
		})
	}
}

func TestRotateKEK(t *testing.T) {
	root, kr := newKeyring(t)
	pid := []byte("p1")
	dk1, w1 := kr.NewDataKey(pid)
	ct := dk1.Seal(pid, "profile", []byte("sealed before the rotation"))
	kv := kr.Seal("journal", []byte("erased p9"))

	epoch, err := kr.RotateKEK()
	if err != nil || epoch != 2 {
		t.Fatalf("RotateKEK = %d, %v; want 2", epoch, err)
	}
	_, w2 := kr.NewDataKey([]byte("p2"))
	if got := binary.BigEndian.Uint32(w2[offKeyID:]); got != 2 {
		t.Errorf("new data key wrapped under epoch %d, want 2", got)
	}
	if got := binary.BigEndian.Uint32(w1[offKeyID:]); got != 1 {
		t.Errorf("old data key under epoch %d, want 1", got)
	}
	if _, err := kr.UnwrapDataKey(pid, w1); err != nil {
		t.Fatalf("old epoch not readable before retirement: %v", err)
	}

	// The rewrap pass.
	r1, err := kr.Rewrap(pid, w1)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(r1, w1) || binary.BigEndian.Uint32(r1[offKeyID:]) != 2 {
		t.Fatalf("Rewrap did not move the key to epoch 2")
	}
	if same, err := kr.Rewrap([]byte("p2"), w2); err != nil || &same[0] != &w2[0] {
		t.Errorf("Rewrap of a key under the primary epoch = new bytes, %v; want the same slice", err)
	}
	if _, err := kr.Rewrap([]byte("p2"), w1); !errors.Is(err, ErrWrongContext) {
		t.Errorf("Rewrap for another profile: %v, want ErrWrongContext", err)
	}
	kv2, err := kr.Reseal("journal", kv)
	if err != nil || bytes.Equal(kv, kv2) {
		t.Fatalf("Reseal = %v", err)
	}

	// Retire epoch 1: rewrapped keys and resealed values survive; what
	// stayed under epoch 1 is gone, also after a restart.
	if err := kr.RetireKEK(1); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*Keyring{kr, reopen(t, root, kr)} {
		dk, err := k.UnwrapDataKey(pid, r1)
		if err != nil {
			t.Fatal(err)
		}
		if dk.ID() != dk1.ID() {
			t.Error("Rewrap changed the data key")
		}
		if got, err := dk.Open(pid, "profile", ct); err != nil || string(got) != "sealed before the rotation" {
			t.Errorf("profile sealed before the rotation: %q, %v", got, err)
		}
		if got, err := k.Open("journal", kv2); err != nil || string(got) != "erased p9" {
			t.Errorf("resealed keyring value: %q, %v", got, err)
		}
		_, err = k.UnwrapDataKey(pid, w1)
		checkErr(t, err, ErrRetiredKey)
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Kind != kindKEK || ke.Version != 1 {
			t.Errorf("error %v, want a KeyError for epoch 1", err)
		}
		_, err = k.Open("journal", kv)
		checkErr(t, err, ErrRetiredKey)
		_, err = k.Rewrap(pid, w1)
		checkErr(t, err, ErrRetiredKey)
	}
	if diff := cmp.Diff(KeyringStatus{RootKeyID: root.ID(), KEKEpochs: []uint32{2}, PrimaryKEK: 2, RetiredKEKs: 1,
		BlindIndexVersions: []uint16{1}, PrimaryBlindIndex: 1}, kr.Status()); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
}

func TestRetireKEKErrors(t *testing.T) {
	_, kr := newKeyring(t)
	kr.RotateKEK()
	before := kr.State()
	if err := kr.RetireKEK(2); err == nil {
		t.Error("retired the primary epoch")
	}
	if err := kr.RetireKEK(9); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("RetireKEK(9) = %v, want ErrUnknownKey", err)
	}
	if !bytes.Equal(before, kr.State()) {
		t.Error("a failed RetireKEK changed the state")
	}
	if err := kr.RetireKEK(1); err != nil {
		t.Fatal(err)
	}
	if err := kr.RetireKEK(1); !errors.Is(err, ErrRetiredKey) {
		t.Errorf("RetireKEK(1) twice = %v, want ErrRetiredKey", err)
	}
}

func TestRotateRoot(t *testing.T) {
	oldRoot, kr := newKeyring(t)
	pid := []byte("p1")
	dk, wrapped := kr.NewDataKey(pid)
	ct := dk.Seal(pid, "profile", []byte("hello"))
	tag, _ := kr.BlindIndex("phone", []byte("+8613812345678"))
	oldState := kr.State()

	newRoot := GenerateRootKey()
	kr.RotateRoot(newRoot)
	newState := kr.State()
	if kr.Status().RootKeyID != newRoot.ID() {
		t.Errorf("RootKeyID = %s, want %s", kr.Status().RootKeyID, newRoot.ID())
	}
	if _, err := OpenKeyring(oldRoot, newState); !errors.Is(err, ErrWrongKey) {
		t.Errorf("new state under the old root: %v, want ErrWrongKey", err)
	}
	if _, err := OpenKeyring(newRoot, oldState); !errors.Is(err, ErrWrongKey) {
		t.Errorf("old state under the new root: %v, want ErrWrongKey", err)
	}
	// Nothing below the root changed: wrapped keys, sealed values and
	// blind indexes work unchanged.
	kr2 := reopen(t, newRoot, kr)
	dk2, err := kr2.UnwrapDataKey(pid, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := dk2.Open(pid, "profile", ct); err != nil || string(got) != "hello" {
		t.Errorf("Open = %q, %v", got, err)
	}
	if tag2, _ := kr2.BlindIndex("phone", []byte("+8613812345678")); !bytes.Equal(tag, tag2) {
		t.Error("blind index changed with the root")
	}
}

// TestKeyringConcurrent runs readers (new data keys, sealing, unwrapping,
// blind indexes, keyring values) against a writer that rotates epochs and
// adds blind-index versions; run it with -race. Every read must succeed and
// the primary blind-index tag must never change.
func TestKeyringConcurrent(t *testing.T) {
	root, kr := newKeyring(t)
	phone := []byte("+8613812345678")
	wantTag, _ := kr.BlindIndex("phone", phone)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				pid := fmt.Appendf(nil, "p%d-%d", g, i)
				dk, wrapped := kr.NewDataKey(pid)
				ct := dk.Seal(pid, "profile", pid)
				dk2, err := kr.UnwrapDataKey(pid, wrapped)
				if err != nil {
					errs <- err
					return
				}
				if pt, err := dk2.Open(pid, "profile", ct); err != nil || !bytes.Equal(pt, pid) {
					errs <- fmt.Errorf("open: %v", err)
					return
				}
				if tag, err := kr.BlindIndex("phone", phone); err != nil || !bytes.Equal(tag, wantTag) {
					errs <- fmt.Errorf("blind index changed: %v", err)
					return
				}
				if _, err := kr.BlindIndexAll(fmt.Sprintf("kind%d", i%5), phone); err != nil {
					errs <- err
					return
				}
				if _, err := kr.Open("stats", kr.Seal("stats", pid)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := kr.RotateKEK(); err != nil {
				errs <- err
				return
			}
			if _, err := kr.AddBlindIndexVersion(); err != nil {
				errs <- err
				return
			}
			_ = kr.State()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := reopen(t, root, kr).Status(); st.PrimaryKEK != 21 || len(st.BlindIndexVersions) != 21 {
		t.Errorf("Status after the run = %+v", st)
	}
}

// TestReload: a keyring adopts the state another copy of it rotated to,
// and refuses a state under another root without changing.
func TestReload(t *testing.T) {
	root := GenerateRootKey()
	a := NewKeyring(root)
	b, err := OpenKeyring(root, a.State())
	if err != nil {
		t.Fatal(err)
	}
	epoch, err := a.RotateKEK()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RetireKEK(1); err != nil {
		t.Fatal(err)
	}
	_, wrapped := a.NewDataKey([]byte("pid"))
	if _, err := b.UnwrapDataKey([]byte("pid"), wrapped); err == nil {
		t.Fatal("the stale keyring unwraps a key of an epoch it does not have: the test proves nothing")
	}
	if err := b.Reload(a.State()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.UnwrapDataKey([]byte("pid"), wrapped); err != nil {
		t.Fatalf("after Reload: %v", err)
	}
	if got := b.Status().PrimaryKEK; got != epoch {
		t.Fatalf("primary epoch after Reload %d, want %d", got, epoch)
	}
	before := b.State()
	other := NewKeyring(GenerateRootKey())
	if err := b.Reload(other.State()); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Reload of another root's state: %v, want ErrWrongKey", err)
	}
	if !bytes.Equal(b.State(), before) {
		t.Fatal("a refused Reload changed the keyring")
	}
}
