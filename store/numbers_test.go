package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/codec"
	"github.com/scv-go/scv/merge"
)

// TestStoredValuesNumbered checks that the values the store seals with
// internal/codec, a profile's envelope and a record, are numbered all the
// way down: renaming a Go field of any struct in them keeps its stored
// values.
func TestStoredValuesNumbered(t *testing.T) {
	for _, v := range []any{&profileEnvelope{}, &identity.Record{}} {
		if err := codec.CheckNumbered(v); err != nil {
			t.Errorf("%T: %v", v, err)
		}
	}
}

// TestEnvelopeBeforeNumbers decodes a profile envelope as the build before
// field numbers wrote it (keys hashed from the field names) and checks
// that this build reads it and writes the same bytes.
func TestEnvelopeBeforeNumbers(t *testing.T) {
	old, err := hex.DecodeString("010401027031c9f91f04c3d81700b9b3121201100102030405060708090a0b0c0d0e0f10")
	if err != nil {
		t.Fatal(err)
	}
	p, absorbed, err := decodeProfile(old)
	if err != nil {
		t.Fatal(err)
	}
	want := ProfileID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	if diff := cmp.Diff(&merge.Profile{ID: "p1"}, p); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ProfileID{want}, absorbed); diff != "" {
		t.Errorf("absorbed ids (-want +got):\n%s", diff)
	}
	again, err := appendProfile(nil, p, absorbed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, old) {
		t.Errorf("encodes again to % x, want % x", again, old)
	}
}

// TestOpenBeforeNumbers restores a backup that the build before field
// numbers made (testdata/before-numbers.backup: the first two fixture
// records of each channel, under the root key of 32 bytes 0x5c) and
// checks that every profile reads as that build read it
// (testdata/before-numbers.json, its view of the same database) and that
// the database verifies. (The content tags, MACs of each record's literal
// encoding, still match: internal/codec's TestNumbersKeepFormat.)
func TestOpenBeforeNumbers(t *testing.T) {
	ctx := context.Background()
	root, err := crypto.NewRootKey(bytes.Repeat([]byte{0x5c}, crypto.RootKeySize))
	if err != nil {
		t.Fatal(err)
	}
	backup, err := os.ReadFile("testdata/before-numbers.backup")
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile("testdata/before-numbers.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]*merge.Profile
	if err := json.Unmarshal(j, &want); err != nil {
		t.Fatal(err)
	}
	s := openTestStore(t, "", root)
	// That build read no receiver records; the restore would derive them
	// (TestReceiversBackfilled), which this test is not about.
	s.noReceivers = true
	if _, err := s.RestoreWith(ctx, bytes.NewReader(backup), RestoreOptions{Force: true}); err != nil {
		t.Fatalf("Restore of a backup made before field numbers: %v", err)
	}
	if diff := cmp.Diff(want, view(t, s)); diff != "" {
		t.Fatalf("profiles of a database made before field numbers (-want +got):\n%s", diff)
	}
	mustVerify(t, s)
}
