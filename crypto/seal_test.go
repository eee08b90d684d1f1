package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

var sentinels = []error{ErrWrongKey, ErrTampered, ErrWrongContext, ErrUnknownKey, ErrRetiredKey, ErrMalformed}

// checkErr fails unless err matches want and no other sentinel.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	if p := errProblem(err, want); p != "" {
		t.Fatal(p)
	}
}

// errProblem describes how err fails to match want and only want, or
// returns "".
func errProblem(err, want error) string {
	if err == nil {
		return fmt.Sprintf("no error, want %v", want)
	}
	for _, s := range sentinels {
		if got := errors.Is(err, s); got != (s == want) {
			return fmt.Sprintf("error %q: errors.Is(err, %v) = %v, want only %v", err, s, got, want)
		}
	}
	return ""
}

func newKeyring(t testing.TB) (*RootKey, *Keyring) {
	t.Helper()
	root := GenerateRootKey()
	return root, NewKeyring(root)
}

func TestSealOpenRoundTrip(t *testing.T) {
	_, kr := newKeyring(t)
	tests := []struct {
		name      string
		profileID []byte
		purpose   string
		size      int
	}{
		{"empty plaintext", []byte("p-0001"), "profile", 0},
		{"one byte", []byte("p-0001"), "profile", 1},
		{"1 KiB profile", []byte("p-0001"), "profile", 1 << 10},
		{"4 KiB profile", []byte{0, 1, 2, 0xff}, "profile", 4 << 10},
		{"record", []byte("p-0001"), "record", 300},
		{"empty profile id and purpose", nil, "", 10},
		{"large", []byte("p"), "record", 1 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dk, _ := kr.NewDataKey(tc.profileID)
			plaintext := bytes.Repeat([]byte("客户 profile "), tc.size/15+1)[:tc.size]
			ct := dk.Seal(tc.profileID, tc.purpose, plaintext)
			if len(ct) != len(plaintext)+Overhead {
				t.Errorf("len = %d, want %d + Overhead %d", len(ct), len(plaintext), Overhead)
			}
			if ct[0] != formatVersion || ct[1] != typeSealed || headerKeyID(ct) != dk.ID() {
				t.Errorf("header %x does not start with version 1, type 1 and key id %s", ct[:offCommit], dk.ID())
			}
			if tc.size >= 16 && bytes.Contains(ct, plaintext[:16]) {
				t.Error("ciphertext contains the plaintext")
			}
			got, err := dk.Open(tc.profileID, tc.purpose, ct)
			if err != nil || !bytes.Equal(got, plaintext) {
				t.Fatalf("Open = %d bytes, %v; want the plaintext", len(got), err)
			}
			prefix := []byte("kept")
			appended, err := dk.AppendOpen(append(make([]byte, 0, 8), prefix...), tc.profileID, tc.purpose, ct)
			if err != nil || !bytes.Equal(appended, append(prefix, plaintext...)) {
				t.Fatalf("AppendOpen = %d bytes, %v; want the prefix and the plaintext", len(appended), err)
			}
			if again := dk.Seal(tc.profileID, tc.purpose, plaintext); bytes.Equal(again, ct) {
				t.Error("two seals of one plaintext are equal: the nonce is not random")
			}
		})
	}
}

// flipWant returns the expected error of a flipped bit at offset i of a sealed
// value of type typ.
func flipWant(typ byte, i int) error {
	switch {
	case i < offKeyID:
		return ErrMalformed
	case i < offCommit && typ == typeSealed:
		return ErrUnknownKey
	case i < offCommit: // a KEK epoch or fingerprint
		return nil // ErrUnknownKey or ErrRetiredKey, checked below
	case i < offNonce:
		return ErrWrongContext
	default:
		return ErrTampered
	}
}

// TestEveryBitFlipDetected flips each bit of every byte of a profile value,
// a wrapped data key and a keyring value, and checks that opening fails
// with the error the flipped field calls for, and never returns plaintext.
func TestEveryBitFlipDetected(t *testing.T) {
	_, kr := newKeyring(t)
	pid := []byte("p-0042")
	dk, wrapped := kr.NewDataKey(pid)
	plaintext := []byte(`{"name":"张伟","phone":"+8613812345678","orders":3}`)
	cases := []struct {
		name string
		typ  byte
		ct   []byte
		open func([]byte) ([]byte, error)
	}{
		{"profile value", typeSealed, dk.Seal(pid, "profile", plaintext), func(c []byte) ([]byte, error) { return dk.Open(pid, "profile", c) }},
		{"wrapped data key", typeWrapped, wrapped, func(c []byte) ([]byte, error) {
			k, err := kr.UnwrapDataKey(pid, c)
			if err != nil {
				return nil, err
			}
			return []byte(k.ID()), nil
		}},
		{"keyring value", typeKeyring, kr.Seal("quarantine", plaintext), func(c []byte) ([]byte, error) { return kr.Open("quarantine", c) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.open(tc.ct); err != nil {
				t.Fatalf("unmodified: %v", err)
			}
			for i := range tc.ct {
				for bit := range 8 {
					mut := bytes.Clone(tc.ct)
					mut[i] ^= 1 << bit
					got, err := tc.open(mut)
					if got != nil {
						t.Fatalf("byte %d bit %d: opened", i, bit)
					}
					want := flipWant(tc.typ, i)
					if want == nil {
						if !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrRetiredKey) {
							t.Fatalf("byte %d bit %d: error %v, want unknown or retired key", i, bit, err)
						}
						continue
					}
					if p := errProblem(err, want); p != "" {
						t.Fatalf("byte %d bit %d: %s", i, bit, p)
					}
				}
			}
		})
	}
}

func TestOpenWrongContext(t *testing.T) {
	_, kr := newKeyring(t)
	pid := []byte("ab")
	dk, wrapped := kr.NewDataKey(pid)
	ct := dk.Seal(pid, "profile", []byte("secret"))
	tests := []struct {
		name      string
		profileID []byte
		purpose   string
	}{
		{"other profile", []byte("ac"), "profile"},
		{"no profile", nil, "profile"},
		{"other purpose", pid, "record"},
		{"empty purpose", pid, ""},
		{"id and purpose shifted", []byte("a"), "bprofile"},
		{"purpose prefix", pid, "profil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dk.Open(tc.profileID, tc.purpose, ct)
			if got != nil {
				t.Fatal("opened")
			}
			checkErr(t, err, ErrWrongContext)
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), string(pid)) {
				t.Errorf("error %q shows data", err)
			}
		})
	}
	t.Run("wrapped key for another profile", func(t *testing.T) {
		_, err := kr.UnwrapDataKey([]byte("ac"), wrapped)
		checkErr(t, err, ErrWrongContext)
	})
	t.Run("keyring value for another purpose", func(t *testing.T) {
		_, err := kr.Open("stats", kr.Seal("quarantine", []byte("x")))
		checkErr(t, err, ErrWrongContext)
	})
	t.Run("swapped between profiles", func(t *testing.T) {
		// The store's bug this guards against: profile B's slot holds
		// profile A's value. B's data key reports the wrong context, not
		// tampering and not garbage.
		dkB, _ := kr.NewDataKey([]byte("B"))
		_, err := dkB.Open([]byte("B"), "profile", ct)
		checkErr(t, err, ErrWrongContext)
	})
}

func TestOpenOtherDataKey(t *testing.T) {
	_, kr := newKeyring(t)
	pid := []byte("p1")
	dk1, _ := kr.NewDataKey(pid)
	dk2, _ := kr.NewDataKey(pid) // the same profile, keyed again
	ct := dk1.Seal(pid, "profile", []byte("x"))
	_, err := dk2.Open(pid, "profile", ct)
	checkErr(t, err, ErrUnknownKey)
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Kind != kindDataKey || ke.ID != dk1.ID() {
		t.Errorf("error %#v, want a KeyError naming data key %s", err, dk1.ID())
	}
}

func TestOpenMalformed(t *testing.T) {
	_, kr := newKeyring(t)
	pid := []byte("p1")
	dk, wrapped := kr.NewDataKey(pid)
	ct := dk.Seal(pid, "profile", []byte("hello"))
	with := func(i int, b byte) []byte { c := bytes.Clone(ct); c[i] = b; return c }
	tests := []struct {
		name    string
		in      []byte
		wantMsg string
	}{
		{"nil", nil, "0 bytes, want at least 54"},
		{"header only", ct[:headerSize], "38 bytes"},
		{"one byte short of a tag", ct[:Overhead-1], "53 bytes"},
		{"future version", with(0, 2), "unsupported format version 2"},
		{"version zero", with(0, 0), "unsupported format version 0"},
		{"wrapped key given as value", wrapped, "a wrapped data key where a profile value was expected"},
		{"keyring value given as value", kr.Seal("profile", []byte("hello")), "a keyring value where a profile value was expected"},
		{"unknown type", with(1, 9), "unknown value type 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dk.Open(pid, "profile", tc.in)
			if got != nil {
				t.Fatal("opened")
			}
			checkErr(t, err, ErrMalformed)
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
		})
	}
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(ct) {
			if got, err := dk.Open(pid, "profile", ct[:n]); got != nil || err == nil {
				t.Fatalf("truncated to %d bytes: opened", n)
			}
		}
	})
	t.Run("wrapped key of the wrong length", func(t *testing.T) {
		long := append(bytes.Clone(wrapped), 0)
		_, err := kr.UnwrapDataKey(pid, long)
		checkErr(t, err, ErrMalformed)
	})
	t.Run("value given as wrapped key", func(t *testing.T) {
		_, err := kr.UnwrapDataKey(pid, ct)
		checkErr(t, err, ErrMalformed)
	})
}

func TestKeyringSealOpen(t *testing.T) {
	_, kr := newKeyring(t)
	for _, size := range []int{0, 100, 10 << 10} {
		pt := bytes.Repeat([]byte{0x5a}, size)
		ct := kr.Seal("quarantine", pt)
		if len(ct) != size+Overhead || ct[1] != typeKeyring {
			t.Errorf("Seal(%d bytes) = %d bytes of type %d", size, len(ct), ct[1])
		}
		got, err := kr.Open("quarantine", ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %v, %v", len(got), err)
		}
	}
	dk, _ := kr.NewDataKey([]byte("p"))
	_, err := kr.Open("profile", dk.Seal(nil, "profile", []byte("x")))
	checkErr(t, err, ErrMalformed)
}

func TestZeroHandlesPanicWithMessage(t *testing.T) {
	for name, f := range map[string]func(){
		"nil DataKey Seal":  func() { (*DataKey)(nil).Seal(nil, "p", nil) },
		"zero DataKey Open": func() { (&DataKey{}).Open(nil, "p", nil) },
		"zero Keyring":      func() { (&Keyring{}).Seal("p", nil) },
		"NewKeyring(nil)":   func() { NewKeyring(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "crypto: ") {
					t.Errorf("recovered %v, want a panic prefixed crypto:", r)
				}
			}()
			f()
		})
	}
}

func TestAppendSeal(t *testing.T) {
	kr := NewKeyring(GenerateRootKey())
	pid := []byte("profile-1")
	dk, wrapped := kr.NewDataKey(pid)
	prefix := append([]byte(nil), wrapped...)
	out := dk.AppendSeal(prefix, pid, "profile", []byte("plaintext"))
	if !bytes.Equal(out[:len(wrapped)], wrapped) {
		t.Fatal("AppendSeal changed the prefix")
	}
	if len(out) != len(wrapped)+len("plaintext")+Overhead {
		t.Fatalf("AppendSeal appended %d bytes, want %d", len(out)-len(wrapped), len("plaintext")+Overhead)
	}
	got, err := dk.Open(pid, "profile", out[len(wrapped):])
	if err != nil || string(got) != "plaintext" {
		t.Fatalf("Open of the appended value: %q, %v", got, err)
	}
}
