package crypto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBlindIndexKnownAnswer recomputes a tag from the documented
// construction with crypto/hmac directly: version, then the first 16 bytes
// of HMAC-SHA256 under HKDF(version secret, "scv/v1/blind-index/<kind>/<version>").
func TestBlindIndexKnownAnswer(t *testing.T) {
	_, kr := newKeyring(t)
	secret := kr.load().bis[1].secret
	for _, kind := range []string{"phone", "unionid", "record"} {
		value := []byte("+8613812345678")
		m := hmac.New(sha256.New, hkdfSHA256(secret[:], nil, []byte("scv/v1/blind-index/"+kind+"/1"), 32))
		m.Write(value)
		want := append([]byte{0, 1}, m.Sum(nil)[:16]...)
		got, err := kr.BlindIndex(kind, value)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("BlindIndex(%s) = %x, %v; want %x", kind, got, err, want)
		}
	}
}

func TestBlindIndexProperties(t *testing.T) {
	_, kr := newKeyring(t)
	phone := []byte("+8613812345678")
	tag, err := kr.BlindIndex("phone", phone)
	if err != nil {
		t.Fatal(err)
	}
	if len(tag) != BlindIndexSize || binary.BigEndian.Uint16(tag) != 1 {
		t.Errorf("tag %x: want %d bytes starting with version 1", tag, BlindIndexSize)
	}
	if bytes.Contains(tag, phone[3:7]) || strings.Contains(hex.EncodeToString(tag), "13812345678") {
		t.Errorf("tag %x shows the value", tag)
	}
	again, _ := kr.BlindIndex("phone", bytes.Clone(phone))
	other, _ := kr.BlindIndex("phone", []byte("+8613812345679"))
	otherKind, _ := kr.BlindIndex("member", phone)
	_, otherKeyring := newKeyring(t)
	otherKR, _ := otherKeyring.BlindIndex("phone", phone)
	switch {
	case !bytes.Equal(tag, again):
		t.Error("equal values give different tags")
	case bytes.Equal(tag, other):
		t.Error("different values give equal tags")
	case bytes.Equal(tag, otherKind):
		t.Error("kinds share a key")
	case bytes.Equal(tag, otherKR):
		t.Error("two keyrings share a key")
	}
	appended, err := kr.AppendBlindIndex([]byte("idx/phone/"), "phone", phone)
	if err != nil || string(appended) != "idx/phone/"+string(tag) {
		t.Errorf("AppendBlindIndex = %q, %v", appended, err)
	}
	// Stable across restarts and every rotation but its own.
	kr.RotateKEK()
	newRoot := GenerateRootKey()
	kr.RotateRoot(newRoot)
	if got, _ := reopen(t, newRoot, kr).BlindIndex("phone", phone); !bytes.Equal(got, tag) {
		t.Error("tag changed across KEK rotation, root rotation and reopen")
	}
}

func TestBlindIndexKinds(t *testing.T) {
	_, kr := newKeyring(t)
	for _, kind := range []string{"phone", "weibo_uid", "record", "a", "x9", strings.Repeat("k", 32)} {
		if _, err := kr.BlindIndex(kind, []byte("v")); err != nil {
			t.Errorf("BlindIndex(%q): %v", kind, err)
		}
	}
	for _, kind := range []string{"", "Phone", "phone/1", "1phone", "_x", "ph one", "phone\n", "电话", strings.Repeat("k", 33)} {
		if _, err := kr.BlindIndex(kind, []byte("v")); err == nil || !strings.Contains(err.Error(), "invalid blind-index kind") {
			t.Errorf("BlindIndex(%q) error = %v, want invalid kind", kind, err)
		}
		if _, err := kr.BlindIndexAll(kind, []byte("v")); err == nil {
			t.Errorf("BlindIndexAll(%q) succeeded", kind)
		}
	}
}

// memIndex is a test fixture standing in for the store's index: tag ->
// profile id, with the write-all, read-any discipline of a rotation.
type memIndex map[string]string

func (ix memIndex) put(t *testing.T, kr *Keyring, value, profile string) {
	t.Helper()
	tags, err := kr.BlindIndexAll("phone", []byte(value))
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		ix[string(tag)] = profile
	}
}

func (ix memIndex) get(t *testing.T, kr *Keyring, value string) string {
	t.Helper()
	tags, err := kr.BlindIndexAll("phone", []byte(value))
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		if p, ok := ix[string(tag)]; ok {
			return p
		}
	}
	return ""
}

// versions returns how many entries the index holds per version prefix.
func (ix memIndex) versions() map[uint16]int {
	n := map[uint16]int{}
	for tag := range ix {
		n[binary.BigEndian.Uint16([]byte(tag))]++
	}
	return n
}

// TestBlindIndexRotation walks the documented procedure: add, write both
// and read both, backfill, set primary, delete the old prefix and retire.
// Every lookup succeeds at every step, including for a record ingested
// mid-rotation, and no tag of the old version survives.
func TestBlindIndexRotation(t *testing.T) {
	root, kr := newKeyring(t)
	ix := memIndex{}
	people := map[string]string{"+8613800000001": "p1", "+8613800000002": "p2", "+8613800000003": "p3"}
	for v, p := range people {
		ix.put(t, kr, v, p)
	}
	checkAll := func(step string) {
		t.Helper()
		for v, p := range people {
			if got := ix.get(t, kr, v); got != p {
				t.Fatalf("%s: lookup of %s's phone = %q", step, p, got)
			}
		}
	}
	checkAll("before")
	oldTag, _ := kr.BlindIndex("phone", []byte("+8613800000001"))

	// 1. Add version 2; persist the state (a restart must see it).
	v2, err := kr.AddBlindIndexVersion()
	if err != nil || v2 != 2 {
		t.Fatalf("AddBlindIndexVersion = %d, %v", v2, err)
	}
	kr = reopen(t, root, kr)
	if tag, _ := kr.BlindIndex("phone", []byte("+8613800000001")); !bytes.Equal(tag, oldTag) {
		t.Fatal("adding a version changed the primary tag")
	}
	checkAll("after adding v2") // read both: found by the v1 tag

	// 2. Write both: a record ingested now gets both tags.
	people["+8613800000004"] = "p4"
	ix.put(t, kr, "+8613800000004", "p4")
	checkAll("write both")

	// 3. Backfill v2 tags for every stored identifier.
	for v, p := range people {
		ix.put(t, kr, v, p)
	}
	if diff := cmp.Diff(map[uint16]int{1: 4, 2: 4}, ix.versions()); diff != "" {
		t.Fatalf("after backfill, entries per version (-want +got):\n%s", diff)
	}

	// 4. Make v2 primary.
	if err := kr.SetPrimaryBlindIndex(v2); err != nil {
		t.Fatal(err)
	}
	if tag, _ := kr.BlindIndex("phone", []byte("+8613800000001")); binary.BigEndian.Uint16(tag) != 2 {
		t.Fatal("BlindIndex does not use the new primary")
	}
	if tags, _ := kr.BlindIndexAll("phone", []byte("x")); binary.BigEndian.Uint16(tags[0]) != 2 || len(tags) != 2 {
		t.Fatal("BlindIndexAll does not list the primary first")
	}
	checkAll("v2 primary")

	// 5. Delete the v1 prefix, retire v1, persist.
	for tag := range maps.Clone(ix) {
		if binary.BigEndian.Uint16([]byte(tag)) == 1 {
			delete(ix, tag)
		}
	}
	if err := kr.RetireBlindIndex(1); err != nil {
		t.Fatal(err)
	}
	kr = reopen(t, root, kr)
	checkAll("after retiring v1")
	if diff := cmp.Diff(map[uint16]int{2: 4}, ix.versions()); diff != "" {
		t.Errorf("entries per version (-want +got):\n%s", diff)
	}
	if tags, _ := kr.BlindIndexAll("phone", []byte("+8613800000001")); len(tags) != 1 || slices.ContainsFunc(tags, func(b []byte) bool { return bytes.Equal(b, oldTag) }) {
		t.Error("the retired version's tag can still be computed")
	}
	if st := kr.Status(); !slices.Equal(st.BlindIndexVersions, []uint16{2}) || st.PrimaryBlindIndex != 2 {
		t.Errorf("Status = %+v", st)
	}
}

func TestBlindIndexVersionErrors(t *testing.T) {
	_, kr := newKeyring(t)
	if err := kr.RetireBlindIndex(1); err == nil {
		t.Error("retired the primary version")
	}
	if err := kr.SetPrimaryBlindIndex(7); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("SetPrimaryBlindIndex(7) = %v, want ErrUnknownKey", err)
	}
	v, _ := kr.AddBlindIndexVersion()
	kr.SetPrimaryBlindIndex(v)
	if err := kr.RetireBlindIndex(1); err != nil {
		t.Fatal(err)
	}
	if err := kr.SetPrimaryBlindIndex(1); !errors.Is(err, ErrRetiredKey) {
		t.Errorf("SetPrimaryBlindIndex(retired) = %v, want ErrRetiredKey", err)
	}
	if err := kr.RetireBlindIndex(1); !errors.Is(err, ErrRetiredKey) {
		t.Errorf("RetireBlindIndex twice = %v, want ErrRetiredKey", err)
	}
}
