package store

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/crypto"
)

// TestDamagedProfile damages one profile's sealed value or wrapped data
// key: listings report it by id and go on with every other profile, a
// refresh goes past it, a lookup names it, and erase shreds it without
// opening it, leaving a store that verifies and a customer that a
// re-import does not bring back. Before, the listing ended at the damaged
// profile and erase failed with "message authentication failed".
func TestDamagedProfile(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(ProfileID) []byte
	}{
		{"sealed profile", profileKey},
		{"wrapped data key", dataKeyKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTestStore(t, "", crypto.GenerateRootKey())
			if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			phone := phoneID(t, "13812345602")
			p, err := s.ByIdentifier(ctx, phone)
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := ParseProfileID(p.ID)
			st, _ := s.Stats(ctx)
			err = s.kv.Update(ctx, func(tx Txn) error {
				v, err := tx.Get(tc.key(pid))
				if err != nil {
					return err
				}
				v[len(v)-1] ^= 1
				return tx.Set(tc.key(pid), v)
			})
			if err != nil {
				t.Fatal(err)
			}

			var listed int
			var damagedIDs []string
			for _, err := range s.All(ctx, Filter{}) {
				var de *DamagedError
				switch {
				case errors.As(err, &de):
					damagedIDs = append(damagedIDs, de.ID)
				case err != nil:
					t.Fatalf("All: %v", err)
				default:
					listed++
				}
			}
			if diff := cmp.Diff([]string{p.ID}, damagedIDs); diff != "" {
				t.Errorf("damaged profiles reported (-want +got):\n%s", diff)
			}
			if listed != st.Profiles-1 {
				t.Errorf("All listed %d profiles, want the %d others", listed, st.Profiles-1)
			}
			var inStage int
			for _, err := range s.ByStage(ctx, p.Stage, Filter{}) {
				if errors.Is(err, ErrDamaged) {
					inStage++
				} else if err != nil {
					t.Fatalf("ByStage: %v", err)
				}
			}
			if inStage != 1 {
				t.Errorf("ByStage reported %d damaged profiles, want 1", inStage)
			}
			if _, err := s.Refresh(ctx, asOf.AddDate(3, 0, 0)); err != nil {
				t.Errorf("Refresh past a damaged profile: %v", err)
			}
			if _, err := s.ByIdentifier(ctx, phone); !errors.Is(err, ErrDamaged) {
				t.Errorf("ByIdentifier of the damaged profile: %v, want ErrDamaged", err)
			}

			if err := s.Erase(ctx, p.ID); err != nil {
				t.Fatalf("Erase of the damaged profile: %v", err)
			}
			if _, err := s.ByID(ctx, p.ID); !errors.Is(err, ErrErased) {
				t.Errorf("ByID after erase: %v, want ErrErased", err)
			}
			if _, err := s.ByIdentifier(ctx, phone); !errors.Is(err, ErrNotFound) {
				t.Errorf("ByIdentifier after erase: %v, want ErrNotFound", err)
			}
			mustVerify(t, s)
			sum, err := s.IngestAll(ctx, fixtures(t), IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Quarantined[ReasonErased] != len(p.Records) {
				t.Errorf("re-import refused %d records as erased, want the profile's %d", sum.Quarantined[ReasonErased], len(p.Records))
			}
			if _, err := s.ByIdentifier(ctx, phone); !errors.Is(err, ErrNotFound) {
				t.Errorf("ByIdentifier after re-import: %v, want ErrNotFound", err)
			}
			mustVerify(t, s)
		})
	}
}
