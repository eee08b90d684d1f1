package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/merge"
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
			if sum.Quarantined[ReasonErased] != readRecords(p) {
				t.Errorf("re-import refused %d records as erased, want the profile's %d", sum.Quarantined[ReasonErased], readRecords(p))
			}
			if _, err := s.ByIdentifier(ctx, phone); !errors.Is(err, ErrNotFound) {
				t.Errorf("ByIdentifier after re-import: %v, want ErrNotFound", err)
			}
			mustVerify(t, s)
		})
	}
}

// TestRepair damages the stage and identifier indexes and one profile:
// Repair rebuilds the indexes from the profiles that open, lists the one
// that does not, and once it is erased the store verifies.
func TestRepair(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	broken, err := s.ByIdentifier(ctx, phoneID(t, "13812345602"))
	if err != nil {
		t.Fatal(err)
	}
	bpid, _ := ParseProfileID(broken.ID)
	stray := NewProfileID()
	err = s.kv.Update(ctx, func(tx Txn) error {
		n := 0
		// The first entry of each index that is not the damaged
		// profile's: Repair cannot rebuild an entry of a profile it cannot
		// open, and profile ids are random, so taking the very first
		// entry failed once in a few dozen runs.
		for _, ns := range []byte{nsStage, nsIdentifier} {
			for e, err := range tx.Scan([]byte{ns}, nil, false) {
				if err != nil {
					return err
				}
				if ns == nsStage && bytes.HasSuffix(e.Key, bpid[:]) {
					continue
				}
				if ns == nsIdentifier {
					_, ids, err := decodeIndexValue(e.Value)
					if err != nil {
						return err
					}
					if slices.Contains(ids, bpid) {
						continue
					}
				}
				if err := tx.Delete(bytes.Clone(e.Key)); err != nil {
					return err
				}
				n++
				break
			}
		}
		if n != 2 {
			return fmt.Errorf("deleted %d entries, want 2", n)
		}
		if err := tx.Set(stageKey(stageCode(merge.StageLoyal), stray), []byte{1}); err != nil {
			return err
		}
		v, err := tx.Get(profileKey(bpid))
		if err != nil {
			return err
		}
		v[len(v)-1] ^= 1
		return tx.Set(profileKey(bpid), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Verify(ctx); err != nil || r.OK() {
		t.Fatalf("Verify of the damaged store: %v, %v; want problems", r.Problems, err)
	}
	rep, err := s.Repair(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{broken.ID}, rep.Damaged); diff != "" {
		t.Errorf("damaged profiles (-want +got):\n%s", diff)
	}
	if rep.Stages < 2 || rep.Identifiers+rep.Stages < 3 {
		t.Errorf("repair fixed %d stage and %d identifier entries, want the lost stage entry, the stray one and the lost identifier entry", rep.Stages, rep.Identifiers)
	}
	if err := s.Erase(ctx, broken.ID); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, s)
	again, err := s.Repair(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Stages != 0 || again.Identifiers != 0 || len(again.Damaged) != 0 {
		t.Errorf("a second repair changed something: %+v", again)
	}
}
