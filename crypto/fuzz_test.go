package crypto

import (
	"bytes"
	"errors"
	"testing"
)

// isSentinel reports whether err matches one of the package's errors.
func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzOpen feeds arbitrary bytes to the three ciphertext parsers: a data
// key's Open, UnwrapDataKey and the keyring's Open. None may panic; each
// must fail with one of the package's errors and no plaintext, unless the
// input is exactly the valid value it was seeded with.
func FuzzOpen(f *testing.F) {
	g := loadGolden(f)
	kr, err := OpenKeyring(g.root, g.state)
	if err != nil {
		f.Fatal(err)
	}
	dk, err := kr.UnwrapDataKey(goldenProfileID, g.wrapped)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{g.sealed, g.wrapped, g.keyringValue, g.sealed[:headerSize], g.state, nil} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pt, err := dk.Open(goldenProfileID, "profile", data)
		switch {
		case err == nil && (!bytes.Equal(data, g.sealed) || !bytes.Equal(pt, goldenPlaintext)):
			t.Fatalf("Open accepted a mutated value: %x", data)
		case err != nil && (pt != nil || !isSentinel(err)):
			t.Fatalf("Open = %d bytes, %v", len(pt), err)
		}

		k, err := kr.UnwrapDataKey(goldenProfileID, data)
		switch {
		case err == nil && (!bytes.Equal(data, g.wrapped) || k.ID() != dk.ID()):
			t.Fatalf("UnwrapDataKey accepted a mutated key: %x", data)
		case err != nil && (k != nil || !isSentinel(err)):
			t.Fatalf("UnwrapDataKey = %v, %v", k, err)
		}

		pt, err = kr.Open("stats", data)
		switch {
		case err == nil && (!bytes.Equal(data, g.keyringValue) || !bytes.Equal(pt, goldenStats)):
			t.Fatalf("Keyring.Open accepted a mutated value: %x", data)
		case err != nil && (pt != nil || !isSentinel(err)):
			t.Fatalf("Keyring.Open = %d bytes, %v", len(pt), err)
		}
	})
}

// FuzzOpenKeyring: no state but the golden one opens under the golden
// root, and nothing panics.
func FuzzOpenKeyring(f *testing.F) {
	g := loadGolden(f)
	f.Add(g.state)
	f.Add(g.state[:stateHeaderSize])
	f.Add([]byte("SCVK\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kr, err := OpenKeyring(g.root, data)
		switch {
		case err == nil && !bytes.Equal(data, g.state):
			t.Fatalf("OpenKeyring accepted a mutated state: %x", data)
		case err != nil && (kr != nil || !isSentinel(err)):
			t.Fatalf("OpenKeyring = %v, %v", kr, err)
		}
	})
}

// FuzzParseRootKey: nothing panics, every error is ErrMalformed, and a text
// that parses holds the canonical key line of the key it parses to.
func FuzzParseRootKey(f *testing.F) {
	file := goldenKey(f).KeyFile()
	f.Add(file)
	f.Add(bytes.ToLower(file))
	f.Add([]byte("SCV-ROOT-KEY-1-"))
	f.Add([]byte("# only a comment\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		k, err := ParseRootKey(text)
		if err != nil {
			if k != nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseRootKey = %v, %v", k, err)
			}
			return
		}
		again, err := ParseRootKey(k.KeyFile())
		if err != nil || *again.m.key != *k.m.key {
			t.Fatalf("KeyFile does not parse back: %v", err)
		}
		line := []byte(keyLine(t, k.KeyFile()))
		if !bytes.Contains(bytes.ToUpper(text), line) {
			t.Fatalf("parsed %q to a key whose line is not in it", text)
		}
	})
}
