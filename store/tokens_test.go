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
