package crypto

import (
	"bytes"
	"testing"
)

// hierarchyKeys returns every 32-byte key reachable from the root key and
// a keyring state: the root and its derived keys, the keyring secret and
// context key, each KEK secret and its derived keys, each blind-index
// secret and its kind keys. Erasure tests try them all.
func hierarchyKeys(root *RootKey, st *keyringState) [][]byte {
	r := root.m.key[:]
	keys := [][]byte{r, derive(r, labelKeyCheck), derive(r, labelKEKWrap), derive(r, labelRootID),
		st.secret[:], derive(st.secret[:], labelContext)}
	for _, k := range st.keks {
		keys = append(keys, k.secret[:], derive(k.secret[:], labelDataKeyKEK), derive(k.secret[:], labelKeyringKey))
	}
	for _, b := range st.bis {
		keys = append(keys, b.secret[:])
		for _, kind := range []string{"phone", "record"} {
			keys = append(keys, derive(b.secret[:], blindIndexLabel(kind, b.version)))
		}
	}
	return keys
}

// opensWithAny reports whether any of keys authenticates ct (a value of
// this package's format) for the given profile id and purpose.
func opensWithAny(keys [][]byte, st *keyringState, ct, profileID []byte, purpose string) bool {
	s, err := checkContext(st.ctx, ct, profileID, purpose)
	if err != nil {
		panic(err)
	}
	defer st.ctx.put(s)
	for _, k := range keys {
		if _, err := newAEAD(k).Open(nil, ct[offNonce:headerSize], ct[headerSize:], s.buf); err == nil {
			return true
		}
	}
	return false
}

// TestShreddedDataKey: once a profile's wrapped data key is deleted, its
// sealed values open under no key the root and the keyring hold, and a new
// data key for the same profile does not open them.
func TestShreddedDataKey(t *testing.T) {
	root, kr := newKeyring(t)
	pid := []byte("p-erased")
	var profile, record []byte
	func() {
		dk, wrapped := kr.NewDataKey(pid)
		profile = dk.Seal(pid, "profile", []byte(`{"name":"李娜"}`))
		record = dk.Seal(pid, "record", []byte(`{"tid":"1001"}`))
		if !opensWithAny(hierarchyKeys(root, kr.load()), kr.load(), wrapped, pid, purposeDataKey) {
			t.Fatal("self-check: the hierarchy keys do not open the live wrapped key")
		}
		// Erase: the store deletes the wrapped key; the data key existed
		// nowhere else and goes out of scope here.
	}()
	kr = reopen(t, root, kr)
	keys := hierarchyKeys(root, kr.load())
	for name, ct := range map[string][]byte{"profile": profile, "record": record} {
		if opensWithAny(keys, kr.load(), ct, pid, name) {
			t.Errorf("the %s value opens with a key of the hierarchy", name)
		}
	}
	again, _ := kr.NewDataKey(pid)
	_, err := again.Open(pid, "profile", profile)
	checkErr(t, err, ErrUnknownKey)
}

// TestRetiredEpochShredsStaleCopies follows an erased profile's wrapped key
// through the periodic rotation: stale copies (older Badger versions of
// the key under epoch 1 and epoch 2) unwrap while their epochs live, and
// never again once the epochs are retired, even with the root key, after a
// restart, and trying every key of the hierarchy.
func TestRetiredEpochShredsStaleCopies(t *testing.T) {
	root, kr := newKeyring(t)
	pid := []byte("p-erased")
	dk, w1 := kr.NewDataKey(pid)
	ct := dk.Seal(pid, "profile", []byte("sealed"))
	backup := kr.State() // a backup taken now carries epoch 1
	q := kr.Seal("quarantine", []byte("raw row with a phone number"))

	kr.RotateKEK()
	w2, err := kr.Rewrap(pid, w1) // the live key; w1 lingers in an old version
	if err != nil {
		t.Fatal(err)
	}
	// The profile is erased now: w2 is deleted but lingers as well.
	if _, err := kr.UnwrapDataKey(pid, w2); err != nil {
		t.Fatalf("before retirement the stale copy still unwraps: %v", err)
	}

	// The periodic rotation: a new epoch, every live key rewrapped (the
	// erased profile has none), then the old epochs retired.
	kr.RotateKEK()
	for _, e := range []uint32{1, 2} {
		if err := kr.RetireKEK(e); err != nil {
			t.Fatal(err)
		}
	}
	kr = reopen(t, root, kr)
	keys := hierarchyKeys(root, kr.load())
	for name, w := range map[string][]byte{"epoch 1 copy": w1, "epoch 2 copy": w2} {
		_, err := kr.UnwrapDataKey(pid, w)
		checkErr(t, err, ErrRetiredKey)
		if opensWithAny(keys, kr.load(), w, pid, purposeDataKey) {
			t.Errorf("%s opens with a key of the hierarchy", name)
		}
	}
	if opensWithAny(keys, kr.load(), ct, pid, "profile") {
		t.Error("the profile value opens with a key of the hierarchy")
	}
	_, err = kr.Open("quarantine", q)
	checkErr(t, err, ErrRetiredKey)

	// What retiring epochs does not do: the backup's own state still holds
	// epoch 1, and opens with the root of its day. That is why the
	// rotation also replaces the root, and old roots are destroyed after
	// the retention window.
	old, err := OpenKeyring(root, backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.UnwrapDataKey(pid, w1); err != nil {
		t.Fatalf("backup state + its root: %v (the documented caveat no longer holds; update the package doc)", err)
	}
	newRoot := GenerateRootKey()
	kr.RotateRoot(newRoot)
	// The old root is destroyed: only newRoot exists from here on.
	_, err = OpenKeyring(newRoot, backup)
	checkErr(t, err, ErrWrongKey)
	if !bytes.Equal(reopen(t, newRoot, kr).State()[5:37], kr.State()[5:37]) {
		t.Error("the live state does not carry the new key check value")
	}
}
