package crypto_test

import (
	"bytes"
	"errors"
	"fmt"
	"log"

	"github.com/scv-go/scv/crypto"
)

// Example generates a root key, creates and reopens a keyring, seals a
// profile under its own data key and blind-indexes a phone number.
func Example() {
	// scv keygen: generate a key and print its key file.
	keyFile := crypto.GenerateRootKey().KeyFile()

	// At open, a KeyProvider reads the key back.
	root, err := crypto.ParseRootKey(keyFile)
	if err != nil {
		log.Fatal(err)
	}

	// A new store creates its keyring once and persists its state; later
	// opens read the state back. The wrong root is refused at once.
	state := crypto.NewKeyring(root).State()
	kr, err := crypto.OpenKeyring(root, state)
	if err != nil {
		log.Fatal(err)
	}
	_, err = crypto.OpenKeyring(crypto.GenerateRootKey(), state)
	fmt.Println("other root:", errors.Is(err, crypto.ErrWrongKey))

	// A profile gets its own data key; the store keeps the wrapped key.
	profileID := []byte("7f3a9c0e5b21d846")
	dk, wrapped := kr.NewDataKey(profileID)
	profile := []byte(`{"stage":"loyal","orders":12}`)
	sealed := dk.Seal(profileID, "profile", profile)
	fmt.Println("overhead:", len(sealed)-len(profile), "bytes")

	// Reading it back: unwrap the data key, open the value.
	dk, err = kr.UnwrapDataKey(profileID, wrapped)
	if err != nil {
		log.Fatal(err)
	}
	opened, err := dk.Open(profileID, "profile", sealed)
	fmt.Println("opened:", string(opened), err)

	// Moved onto another profile, it does not open.
	_, err = dk.Open([]byte("0000000000000000"), "profile", sealed)
	fmt.Println("other profile:", errors.Is(err, crypto.ErrWrongContext))

	// The index key of a phone number: equal numbers, equal tags.
	tag, _ := kr.BlindIndex("phone", []byte("+8613912345678"))
	again, _ := kr.BlindIndex("phone", []byte("+8613912345678"))
	fmt.Println("tag:", len(tag), "bytes, stable:", bytes.Equal(tag, again))

	// Output:
	// other root: true
	// overhead: 54 bytes
	// opened: {"stage":"loyal","orders":12} <nil>
	// other profile: true
	// tag: 18 bytes, stable: true
}

// ExampleParseRootKey shows that a mistyped key is reported as such, not
// as a wrong key.
func ExampleParseRootKey() {
	line := bytes.TrimSpace(bytes.Split(crypto.GenerateRootKey().KeyFile(), []byte("\n"))[2])
	line = line[:len(line)-1] // one character lost in a copy and paste
	_, err := crypto.ParseRootKey(line)
	fmt.Println(errors.Is(err, crypto.ErrMalformed), errors.Is(err, crypto.ErrWrongKey))
	fmt.Println(err)
	// Output:
	// true false
	// crypto: malformed input: root key has 57 characters after the prefix, want 58 (truncated or extended)
}

// ExampleKeyring_RotateKEK rotates the key-encryption key: data keys are
// rewrapped, sealed profiles are not touched, and the old epoch is retired.
func ExampleKeyring_RotateKEK() {
	kr := crypto.NewKeyring(crypto.GenerateRootKey())
	profileID := []byte("7f3a9c0e5b21d846")
	dk, wrapped := kr.NewDataKey(profileID)
	sealed := dk.Seal(profileID, "profile", []byte("unchanged"))

	epoch, _ := kr.RotateKEK()
	rewrapped, _ := kr.Rewrap(profileID, wrapped) // the store writes it back
	_ = kr.RetireKEK(epoch - 1)                   // once every key is rewrapped

	_, err := kr.UnwrapDataKey(profileID, wrapped)
	fmt.Println("old wrapped key:", errors.Is(err, crypto.ErrRetiredKey))
	dk, _ = kr.UnwrapDataKey(profileID, rewrapped)
	opened, _ := dk.Open(profileID, "profile", sealed)
	fmt.Println("profile:", string(opened))
	fmt.Println(kr.Status().KEKEpochs)
	// Output:
	// old wrapped key: true
	// profile: unchanged
	// [2]
}
