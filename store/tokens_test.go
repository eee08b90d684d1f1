package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	text, tok, err := s.CreateToken(ctx, "read", "marketing", "crm sync")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "scv_"+tok.ID+"_") {
		t.Fatalf("token text does not start with scv_ID_")
	}
	got, err := s.CheckToken(ctx, text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("CheckToken (-want +got):\n%s", diff)
	}
	// The secret is stored nowhere: no stored value holds it, nor its base64.
	secret := strings.TrimPrefix(text, "scv_"+tok.ID+"_") // base64url may hold '_' itself
	if err := s.kv.View(ctx, func(tx Txn) error {
		for e, err := range tx.Scan(nil, nil, false) {
			if err != nil {
				return err
			}
			if bytes.Contains(e.Value, []byte(secret)) || bytes.Contains(e.Value, []byte(tok.Label)) {
				t.Errorf("key %q holds the token's secret or label in plaintext", e.Key)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Another last character: one whose unused low bits alone differ
	// must be refused too (strict decoding), and never the same one.
	last := "A"
	if strings.HasSuffix(text, "A") {
		last = "B"
	}
	for _, bad := range []string{"", "scv_", text + "x", text[:len(text)-1] + last, "scv_0000000000000000_" + secret, strings.Replace(text, "scv_", "xyz_", 1)} {
		if _, err := s.CheckToken(ctx, bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("CheckToken of a bad token: got %v, want ErrBadToken", err)
		}
	}
	list, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Token{tok}, list); diff != "" {
		t.Errorf("Tokens (-want +got):\n%s", diff)
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckToken(ctx, text); !errors.Is(err, ErrBadToken) {
		t.Errorf("CheckToken after revoke: got %v, want ErrBadToken", err)
	}
	if err := s.RevokeToken(ctx, tok.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second revoke: got %v, want ErrNotFound", err)
	}
}

// TestTokensSurviveRotation checks that a key rotation that retires the
// old epoch reseals the tokens, which still check.
func TestTokensSurviveRotation(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	text, _, err := s.CreateToken(ctx, "admin", "internal", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(ctx, RotateOptions{Retire: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckToken(ctx, text); err != nil {
		t.Errorf("CheckToken after rotation: %v", err)
	}
}

// TestTokenByIDAndSessionTags checks Token by id before and after a
// revocation, and that a session tag checks for its message only, on
// this store and on another of another root key.
func TestTokenByIDAndSessionTags(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	_, tok, err := s.CreateToken(ctx, "read", "marketing", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Token(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("Token (-want +got):\n%s", diff)
	}
	for _, id := range []string{"", "zz", strings.Repeat("0", 16)} {
		if _, err := s.Token(ctx, id); !errors.Is(err, ErrBadToken) {
			t.Errorf("Token(%q): %v, want ErrBadToken", id, err)
		}
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, tok.ID); !errors.Is(err, ErrBadToken) {
		t.Errorf("Token of a revoked token: %v, want ErrBadToken", err)
	}

	msg := []byte("0123456789abcdef.1900000000")
	tag, err := s.SessionTag(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !s.CheckSessionTag(msg, tag) {
		t.Error("a session tag does not check for its own message")
	}
	if s.CheckSessionTag([]byte("0123456789abcdef.1900000001"), tag) {
		t.Error("a session tag checks for another message")
	}
	other := openTestStore(t, "", crypto.GenerateRootKey())
	if other.CheckSessionTag(msg, tag) {
		t.Error("a session tag checks on a store of another root key")
	}
}
