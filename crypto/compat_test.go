package crypto

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The golden values of format version 1: a keyring state under the golden
// root key, a wrapped data key, a sealed profile value, a keyring value and
// blind-index tags, all in testdata/v1. They were written once by this
// package and every later version must still read them, so -update creates
// them only when testdata/v1 has none, and never rewrites them.
var (
	goldenProfileID = []byte("golden-profile")
	goldenPlaintext = []byte(`{"phone":"+8613912345678","stage":"loyal"}`)
	goldenStats     = []byte(`{"profiles":1}`)
	goldenTagInputs = []struct{ kind, value string }{
		{"phone", "+8613912345678"},
		{"unionid", "o6_bmasdasdsad6_2sgVt7hMZOPfL"},
		{"record", "ecommerce/tid/1001"},
	}
)

type golden struct {
	root                   *RootKey
	state, wrapped, sealed []byte
	keyringValue           []byte
	tags                   string
}

func goldenPath(name string) string { return filepath.Join("testdata", "v1", name) }

func goldenTags(t testing.TB, kr *Keyring) string {
	t.Helper()
	var b strings.Builder
	for _, in := range goldenTagInputs {
		tag, err := kr.BlindIndex(in.kind, []byte(in.value))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %x\n", in.kind, in.value, tag)
	}
	return b.String()
}

// loadGolden reads testdata/v1, after creating it if it is missing and
// -update is set.
func loadGolden(t testing.TB) golden {
	t.Helper()
	root := goldenKey(t)
	if _, err := os.Stat(goldenPath("state.bin")); *update && os.IsNotExist(err) {
		kr := NewKeyring(root)
		dk, wrapped := kr.NewDataKey(goldenProfileID)
		files := map[string][]byte{
			"state.bin":   kr.State(),
			"wrapped.bin": wrapped,
			"sealed.bin":  dk.Seal(goldenProfileID, "profile", goldenPlaintext),
			"keyring.bin": kr.Seal("stats", goldenStats),
			"tags.txt":    []byte(goldenTags(t, kr)),
		}
		for name, data := range files {
			if err := os.WriteFile(goldenPath(name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(goldenPath(name))
		if err != nil {
			t.Fatalf("%v (go test -update creates it)", err)
		}
		return b
	}
	return golden{root, read("state.bin"), read("wrapped.bin"), read("sealed.bin"), read("keyring.bin"), string(read("tags.txt"))}
}

func TestFormatV1Golden(t *testing.T) {
	g := loadGolden(t)
	kr, err := OpenKeyring(g.root, g.state)
	if err != nil {
		t.Fatal(err)
	}
	dk, err := kr.UnwrapDataKey(goldenProfileID, g.wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := dk.Open(goldenProfileID, "profile", g.sealed); err != nil || !bytes.Equal(got, goldenPlaintext) {
		t.Errorf("sealed.bin opens to %q, %v", got, err)
	}
	if got, err := kr.Open("stats", g.keyringValue); err != nil || !bytes.Equal(got, goldenStats) {
		t.Errorf("keyring.bin opens to %q, %v", got, err)
	}
	if got := goldenTags(t, kr); got != g.tags {
		t.Errorf("tags changed:\n got %s\nwant %s", got, g.tags)
	}
	if g.sealed[0] != 1 || len(g.sealed) != len(goldenPlaintext)+Overhead || hex.EncodeToString(g.sealed[offKeyID:offCommit]) != dk.ID() {
		t.Errorf("sealed.bin header %x does not match the documented layout", g.sealed[:headerSize])
	}
}
