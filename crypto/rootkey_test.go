package crypto

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenKey is the fixed root key of the golden files; it protects nothing.
func goldenKey(t testing.TB) *RootKey {
	t.Helper()
	k, err := NewRootKey(seq(0xa0, 0xbf))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyLine returns the key line of a key file.
func keyLine(t testing.TB, file []byte) string {
	t.Helper()
	for l := range strings.Lines(string(file)) {
		if strings.HasPrefix(l, keyTextPrefix) {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("no key line in %q", file)
	return ""
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed (run go test -update if intended):\n got %q\nwant %q", path, got, want)
	}
}

func TestRootKeyFileGolden(t *testing.T) {
	// The key file of a fixed key must never change: operators keep these
	// files for years.
	checkGolden(t, "rootkey.golden", goldenKey(t).KeyFile())
}

func TestRootKeyRoundTrip(t *testing.T) {
	for range 20 {
		k := GenerateRootKey()
		got, err := ParseRootKey(k.KeyFile())
		if err != nil {
			t.Fatal(err)
		}
		if *got.m.key != *k.m.key || got.ID() != k.ID() {
			t.Fatalf("ParseRootKey(KeyFile()) = %v, want %v", got, k)
		}
	}
	if a, b := GenerateRootKey(), GenerateRootKey(); *a.m.key == *b.m.key || a.ID() == b.ID() {
		t.Fatal("two generated keys are equal")
	}
}

func TestParseRootKeyAccepts(t *testing.T) {
	k := goldenKey(t)
	line := keyLine(t, k.KeyFile())
	tests := []struct {
		name string
		text string
	}{
		{"key file", string(k.KeyFile())},
		{"key line alone", line},
		{"lower case", strings.ToLower(line)},
		{"CRLF and blank lines", "\r\n# comment\r\n\r\n  " + line + "  \r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRootKey([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if *got.m.key != *k.m.key {
				t.Fatal("parsed another key")
			}
		})
	}
}

func TestParseRootKeyRejects(t *testing.T) {
	k := goldenKey(t)
	line := keyLine(t, k.KeyFile())
	body := line[len("SCV-ROOT-KEY-1-"):]
	flip := func(i int, c byte) string { b := []byte(line); b[i] = c; return string(b) }
	lastBody := len(line) - 1
	tests := []struct {
		name    string
		text    string
		wantMsg string
	}{
		{"empty", "", "empty"},
		{"comments only", "# scv root key\n\n", "empty"},
		{"not a key", "hello world", "not an scv root key"},
		{"age key", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", "not an scv root key"},
		{"two key lines", line + "\n" + line, "more than one key line"},
		{"no version", "SCV-ROOT-KEY-" + body, "no version"},
		{"future version", "SCV-ROOT-KEY-2-" + body, "unsupported root key version \"2\""},
		{"truncated by one", line[:len(line)-1], "57 characters after the prefix, want 58"},
		{"truncated by half", line[:len(line)-29], "truncated"},
		{"extended", line + "A", "59 characters after the prefix, want 58"},
		{"invalid character", flip(20, '1'), "invalid character at position 6 of 58"},
		{"mistyped character", flip(20, map[bool]byte{true: 'B', false: 'C'}[line[20] != 'B']), "checksum mismatch"},
		{"non-zero padding bits", flip(lastBody, line[lastBody]+1), "non-zero padding bits"},
		{"too long", strings.Repeat("#", keyTextMaxSize+1), "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRootKey([]byte(tc.text))
			if err == nil {
				t.Fatalf("ParseRootKey succeeded with %v", got)
			}
			if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrWrongKey) {
				t.Errorf("error %v is not ErrMalformed alone", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
			if strings.Contains(strings.ToUpper(err.Error()), body[:8]) {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

// TestParseRootKeyEveryTypo substitutes every other base32 character at
// every position of a key line: each must fail as malformed, never parse
// as another key.
func TestParseRootKeyEveryTypo(t *testing.T) {
	line := keyLine(t, goldenKey(t).KeyFile())
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	for i := len("SCV-ROOT-KEY-1-"); i < len(line); i++ {
		for _, c := range []byte(alphabet) {
			if c == line[i] {
				continue
			}
			b := []byte(line)
			b[i] = c
			if k, err := ParseRootKey(b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("typo %q at %d: ParseRootKey = %v, %v; want ErrMalformed", c, i, k, err)
			}
		}
	}
}

func TestNewRootKey(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewRootKey(make([]byte, n)); !errors.Is(err, ErrMalformed) {
			t.Errorf("NewRootKey(%d bytes) error = %v, want ErrMalformed", n, err)
		}
	}
	raw := seq(1, 32)
	k, err := NewRootKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	raw[0] ^= 0xff
	if k.m.key[0] != 1 {
		t.Error("NewRootKey kept the caller's slice instead of a copy")
	}
}

// leaks reports whether s shows any 4 consecutive bytes of key in any of
// fmt's integer renderings (decimal, octal, binary, hex, Go syntax), or the
// end of the key's base32 line.
func leaks(s string, key []byte, line string) bool {
	for i := 0; i+4 <= len(key); i++ {
		w := key[i : i+4]
		for _, verb := range []string{"%d", "%o", "%b", "%x", "%X", "%#v", "%q"} {
			r := fmt.Sprintf(verb, w)
			r = strings.TrimPrefix(r, "[]byte{")
			r = strings.Trim(r, "[]{}\"")
			if strings.Contains(s, r) {
				return true
			}
		}
	}
	return line != "" && strings.Contains(strings.ToUpper(s), line[len(line)-20:])
}

func TestHandlesHideKeyMaterial(t *testing.T) {
	root := goldenKey(t)
	key := root.m.key[:]
	line := keyLine(t, root.KeyFile())
	kr := NewKeyring(root)
	dk, _ := kr.NewDataKey([]byte("p1"))

	type holder struct {
		Root    *RootKey
		root    *RootKey
		Keyring *Keyring
		DK      *DataKey
		dk      *DataKey
	}
	values := map[string]any{
		"*RootKey":       root,
		"RootKey value":  *root,
		"[]*RootKey":     []*RootKey{root},
		"*Keyring":       kr,
		"*DataKey":       dk,
		"DataKey value":  *dk,
		"struct of keys": holder{root, root, kr, dk, dk},
		"*struct":        &holder{root, root, kr, dk, dk},
		"unexported values": struct {
			r RootKey
			d DataKey
		}{*root, *dk},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%T"}
	for name, v := range values {
		for _, verb := range verbs {
			if s := fmt.Sprintf(verb, v); leaks(s, key, line) {
				t.Errorf("Sprintf(%s, %s) = %q shows the root key", verb, name, s)
			}
		}
	}
	// A data key's material is inside its AEAD: build one from known bytes
	// and look for them.
	raw := hkdfSHA256(seq(1, 32), nil, []byte("test data key"), DataKeySize+keyIDSize)
	known := newDataKey(kr.load(), raw)
	type inner struct{ dk DataKey }
	for _, verb := range verbs {
		for _, v := range []any{known, *known, inner{*known}, &inner{*known}, struct{ dk *DataKey }{known}} {
			if s := fmt.Sprintf(verb, v); leaks(s, raw[:DataKeySize], "") {
				t.Errorf("Sprintf(%s, %T) = %q shows the data key", verb, v, s)
			}
		}
	}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"RootKey.String", root.String(), "scv root key " + root.ID()},
		{"RootKey %v", fmt.Sprintf("%v", root), "scv root key " + root.ID()},
		{"RootKey %#v", fmt.Sprintf("%#v", root), "scv root key " + root.ID()},
		{"RootKey %+v", fmt.Sprintf("%+v", root), "scv root key " + root.ID()},
		{"RootKey %q", fmt.Sprintf("%q", root), `"scv root key ` + root.ID() + `"`},
		{"DataKey.String", dk.String(), "scv data key " + dk.ID()},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if len(root.ID()) != 16 || strings.Contains(hex.EncodeToString(key), root.ID()) {
		t.Errorf("root key id %q is not a 16-digit fingerprint", root.ID())
	}

	j, err := json.Marshal(holder{Root: root, Keyring: kr, DK: dk})
	if err != nil || leaks(string(j), key, line) {
		t.Errorf("json.Marshal = %s, %v", j, err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("open", "root", root, "keyring", kr, "dk", dk)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("open", "root", root, "keyring", kr, "dk", dk)
	if leaks(logs.String(), key, line) || !strings.Contains(logs.String(), root.ID()) {
		t.Errorf("slog output %q", logs.String())
	}
}

func TestFileKeyProvider(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := GenerateRootKey()
	good := filepath.Join(dir, "scv.key")
	if err := os.WriteFile(good, root.KeyFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := FileKeyProvider{Path: good}.RootKey(ctx)
	if err != nil || got.ID() != root.ID() {
		t.Fatalf("RootKey = %v, %v; want %v", got, err, root)
	}

	cut := filepath.Join(dir, "cut.key")
	file := root.KeyFile()
	if err := os.WriteFile(cut, file[:len(file)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = FileKeyProvider{Path: cut}.RootKey(ctx)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), cut) {
		t.Errorf("truncated file: error %v, want ErrMalformed naming the path", err)
	}
	if leaks(fmt.Sprint(err), root.m.key[:], keyLine(t, file)) {
		t.Errorf("error %v shows the key", err)
	}

	if _, err := (FileKeyProvider{Path: filepath.Join(dir, "missing")}).RootKey(ctx); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want ErrNotExist", err)
	}
	if _, err := (FileKeyProvider{}).RootKey(ctx); err == nil {
		t.Error("empty Path: no error")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (FileKeyProvider{Path: good}).RootKey(canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: error %v", err)
	}
}

func TestEnvKeyProvider(t *testing.T) {
	ctx := context.Background()
	root := GenerateRootKey()
	t.Setenv(DefaultKeyEnv, keyLine(t, root.KeyFile()))
	got, err := EnvKeyProvider{}.RootKey(ctx)
	if err != nil || got.ID() != root.ID() {
		t.Fatalf("default variable: RootKey = %v, %v; want %v", got, err, root)
	}

	t.Setenv("SCV_TEST_KEY", string(root.KeyFile()))
	if got, err := (EnvKeyProvider{Name: "SCV_TEST_KEY"}).RootKey(ctx); err != nil || got.ID() != root.ID() {
		t.Fatalf("named variable holding a key file: RootKey = %v, %v", got, err)
	}

	t.Setenv("SCV_TEST_KEY", "SCV-ROOT-KEY-1-AAAA")
	_, err = EnvKeyProvider{Name: "SCV_TEST_KEY"}.RootKey(ctx)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "SCV_TEST_KEY") {
		t.Errorf("bad value: error %v, want ErrMalformed naming the variable", err)
	}

	t.Setenv("SCV_TEST_KEY", "")
	if _, err := (EnvKeyProvider{Name: "SCV_TEST_KEY"}).RootKey(ctx); err == nil || !strings.Contains(err.Error(), "not set") {
		t.Errorf("empty variable: error %v", err)
	}
	if _, err := (EnvKeyProvider{Name: "SCV_TEST_UNSET_VARIABLE"}).RootKey(ctx); err == nil {
		t.Error("unset variable: no error")
	}
}

func TestKeyProviderFunc(t *testing.T) {
	root := GenerateRootKey()
	var p KeyProvider = KeyProviderFunc(func(ctx context.Context) (*RootKey, error) {
		// A KMS adapter would decrypt a data key here.
		return NewRootKey(root.m.key[:])
	})
	got, err := p.RootKey(context.Background())
	if err != nil || got.ID() != root.ID() {
		t.Fatalf("RootKey = %v, %v", got, err)
	}
}

func TestAtRestKey(t *testing.T) {
	a, b := GenerateRootKey(), GenerateRootKey()
	ka := a.AtRestKey()
	if len(ka) != 32 {
		t.Fatalf("AtRestKey is %d bytes, want 32", len(ka))
	}
	if !bytes.Equal(ka, a.AtRestKey()) {
		t.Fatal("AtRestKey is not deterministic")
	}
	if bytes.Equal(ka, b.AtRestKey()) {
		t.Fatal("two root keys give the same at-rest key")
	}
	raw, _ := NewRootKey(bytes.Repeat([]byte{7}, RootKeySize))
	want := hkdfSHA256(bytes.Repeat([]byte{7}, RootKeySize), nil, []byte("scv/v1/at-rest"), 32)
	if !bytes.Equal(raw.AtRestKey(), want) {
		t.Fatal("AtRestKey is not HKDF-SHA256 under scv/v1/at-rest")
	}
}
