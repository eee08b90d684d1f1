package crypto

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seq returns the bytes from, from+1, ..., to.
func seq(from, to byte) []byte {
	var b []byte
	for c := int(from); c <= int(to); c++ {
		b = append(b, byte(c))
	}
	return b
}

// TestXChaCha20Poly1305Vector runs the AEAD test vector of
// draft-irtf-cfrg-xchacha-03, appendix A.3, through newAEAD, the
// constructor every sealing path of this package uses.
func TestXChaCha20Poly1305Vector(t *testing.T) {
	key := seq(0x80, 0x9f)
	nonce := seq(0x40, 0x57)
	aad := unhex(t, "50515253c0c1c2c3c4c5c6c7")
	plaintext := []byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
	want := unhex(t, "bd6d179d3e83d43b9576579493c0e939 572a1700252bfaccbed2902c21396cbb"+
		"731c7f1b0b4aa6440bf3a82f4eda7e39 ae64c6708c54c216cb96b72e1213b452"+
		"2f8c9ba40db5d945b11b69b982c1bb9e 3f3fac2bc369488f76b2383565d3fff9"+
		"21f9664c97637da9768812f615c68b13 b52e"+
		"c0875924c1c7987947deafd8780acf49") // tag

	aead := newAEAD(key)
	got := aead.Seal(nil, nonce, plaintext, aad)
	if !bytes.Equal(got, want) {
		t.Fatalf("Seal:\n got %x\nwant %x", got, want)
	}
	opened, err := aead.Open(nil, nonce, want, aad)
	if err != nil || !bytes.Equal(opened, plaintext) {
		t.Fatalf("Open = %q, %v; want the plaintext", opened, err)
	}
	if _, err := aead.Open(nil, nonce, want, aad[1:]); err == nil {
		t.Fatal("Open with other associated data succeeded")
	}
}

// TestHKDFVectors runs the SHA-256 test cases 1 to 3 of RFC 5869, appendix
// A, through hkdfSHA256, the helper every derivation of this package uses.
func TestHKDFVectors(t *testing.T) {
	tests := []struct {
		name            string
		ikm, salt, info []byte
		length          int
		wantOKM         string
	}{
		{
			name:   "A.1 basic",
			ikm:    bytes.Repeat([]byte{0x0b}, 22),
			salt:   seq(0x00, 0x0c),
			info:   seq(0xf0, 0xf9),
			length: 42,
			wantOKM: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf" +
				"34007208d5b887185865",
		},
		{
			name:   "A.2 longer inputs and outputs",
			ikm:    seq(0x00, 0x4f),
			salt:   seq(0x60, 0xaf),
			info:   seq(0xb0, 0xff),
			length: 82,
			wantOKM: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
				"59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
				"cc30c58179ec3e87c14c01d5c1f3434f1d87",
		},
		{
			name:   "A.3 empty salt and info",
			ikm:    bytes.Repeat([]byte{0x0b}, 22),
			length: 42,
			wantOKM: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d" +
				"9d201395faa4b61a96c8",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := hkdfSHA256(tc.ikm, tc.salt, tc.info, tc.length)
			if want := unhex(t, tc.wantOKM); !bytes.Equal(got, want) {
				t.Errorf("OKM:\n got %x\nwant %x", got, want)
			}
		})
	}
}

// TestDeriveSeparatesLabels checks that derive uses the label: the keys of
// the hierarchy differ from each other and from the secret.
func TestDeriveSeparatesLabels(t *testing.T) {
	secret := seq(1, 32)
	seen := map[string]string{string(secret): "the secret"}
	for _, label := range []string{labelRootID, labelKeyCheck, labelKEKWrap, labelKEKID, labelDataKeyKEK,
		labelKeyringKey, labelContext, blindIndexLabel("phone", 1), blindIndexLabel("phone", 2), blindIndexLabel("unionid", 1)} {
		k := string(derive(secret, label))
		if prev, dup := seen[k]; dup {
			t.Errorf("derive(%q) equals the key of %s", label, prev)
		}
		seen[k] = label
	}
	if got, want := blindIndexLabel("phone", 1), "scv/v1/blind-index/phone/1"; got != want {
		t.Errorf("blindIndexLabel = %q, want %q", got, want)
	}
}

// TestSizes checks the documented sizes against the layout they sum.
func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"Overhead", Overhead, headerSize + chacha20poly1305.Overhead},
		{"header", headerSize, 1 + 1 + keyIDSize + commitSize + chacha20poly1305.NonceSizeX},
		{"WrappedKeySize", WrappedKeySize, Overhead + DataKeySize + keyIDSize},
		{"BlindIndexSize", BlindIndexSize, 2 + blindIndexMACSize},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}
