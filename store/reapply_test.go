package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// receipt is a POS receipt of member card M777 with a phone, a name and
// one paid order.
func receipt(id, phone, name, order string) identity.Record {
	return identity.Record{
		Channel: identity.ChannelPOS, Source: "pos", ID: id, Observed: asOf.AddDate(0, -1, 0),
		Identifiers: []identity.Identifier{
			{Kind: identity.KindPhone, Value: phone},
			{Kind: identity.KindMember, Scope: "pos", Value: "M777"},
		},
		Attributes: identity.Attributes{Name: name},
		Orders: []identity.Order{{
			Platform: "pos", ID: order, Status: identity.OrderPaid, AmountFen: 12300, Currency: "CNY", Time: asOf.AddDate(0, -1, 0),
		}},
	}
}

// TestRestoreErasesOnlyTheErasedRecords is issue 15's M777 scenario: two
// receipts share a member card but carry two phones and two names, so
// they merge; the operator backs up, unmerges one person's receipts,
// erases that person and restores the backup. The other customer must
// come back with all their records, importable, and nothing of the
// erased person may be readable. Re-applying the erasure twice (as a
// resumed restore does) changes nothing more.
func TestRestoreErasesOnlyTheErasedRecords(t *testing.T) {
	const (
		keptPhone, erasedPhone = "+8613912340001", "+8613912340002"
		keptName, erasedName   = "王芳", "李娜"
	)
	tests := []struct {
		name string
		// The receipts of each person. The side with one receipt is the
		// one unmerged; the other is the larger part and keeps the
		// merged profile's id.
		keptReceipts, erasedReceipts int
	}{
		{name: "erased person got a new id", keptReceipts: 2, erasedReceipts: 1},
		{name: "erased person kept the merged id", keptReceipts: 1, erasedReceipts: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTestStore(t, "", crypto.GenerateRootKey())
			var kept, erased []identity.Record
			for i := range tc.keptReceipts {
				kept = append(kept, receipt("r-kept-"+itoa(i), keptPhone, keptName, "o-kept-"+itoa(i)))
			}
			for i := range tc.erasedReceipts {
				erased = append(erased, receipt("r-erased-"+itoa(i), erasedPhone, erasedName, "o-erased-"+itoa(i)))
			}
			if _, err := s.IngestBatch(ctx, append(slices.Clone(kept), erased...)); err != nil {
				t.Fatal(err)
			}
			merged, err := s.Holder(ctx, kept[0].Key())
			if err != nil {
				t.Fatal(err)
			}
			if len(merged.Records) != len(kept)+len(erased) {
				t.Fatalf("the receipts made a profile of %d records, want them merged", len(merged.Records))
			}
			var backup bytes.Buffer
			if err := s.Backup(ctx, &backup); err != nil {
				t.Fatal(err)
			}
			unmerged := kept[0]
			if len(erased) == 1 {
				unmerged = erased[0]
			}
			if _, err := s.Detach(ctx, unmerged.Key()); err != nil {
				t.Fatal(err)
			}
			gone, err := s.Holder(ctx, erased[0].Key())
			if err != nil {
				t.Fatal(err)
			}
			if (gone.ID == merged.ID) != (len(erased) > 1) {
				t.Fatalf("the erased person's profile id is the merged one: %v; the case wants %v", gone.ID == merged.ID, len(erased) > 1)
			}
			if err := s.Erase(ctx, gone.ID); err != nil {
				t.Fatal(err)
			}

			if err := s.Restore(ctx, bytes.NewReader(backup.Bytes())); err != nil {
				t.Fatal(err)
			}
			checkOnlyKept(t, s, kept, erased, gone.ID, []string{erasedPhone, erasedName, "o-erased", "r-erased"})
			want := profileDump(t, s)
			journal, err := s.readJournal(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.reapply(ctx, journal); err != nil {
				t.Fatalf("reapply again: %v", err)
			}
			if diff := cmp.Diff(want, profileDump(t, s)); diff != "" {
				t.Errorf("a second reapply changed the profiles (-want +got):\n%s", diff)
			}
			checkOnlyKept(t, s, kept, erased, gone.ID, []string{erasedPhone, erasedName, "o-erased", "r-erased"})
		})
	}
}

// checkOnlyKept checks a store that should hold the kept customer's
// receipt and nothing of the erased one's.
func checkOnlyKept(t *testing.T, s *Store, kept, erased []identity.Record, erasedID string, secrets []string) {
	t.Helper()
	ctx := context.Background()
	mustVerify(t, s)
	p, err := s.Holder(ctx, kept[0].Key())
	if err != nil {
		t.Fatalf("the kept customer's receipt after the restore: %v", err)
	}
	type view struct {
		Records []identity.RecordKey
		Orders  []string
		Phones  []string
	}
	got := view{}
	for _, r := range p.Records {
		got.Records = append(got.Records, r.Key)
	}
	for _, o := range p.Orders {
		got.Orders = append(got.Orders, o.ID)
	}
	for _, st := range p.Identifiers {
		if st.Identifier.Kind == identity.KindPhone {
			got.Phones = append(got.Phones, st.Identifier.Value)
		}
	}
	want := view{Phones: []string{kept[0].Identifiers[0].Value}}
	for i, r := range kept {
		want.Records = append(want.Records, r.Key())
		want.Orders = append(want.Orders, "o-kept-"+itoa(i))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the kept customer after the restore (-want +got):\n%s", diff)
	}
	if p.ID == erasedID {
		t.Errorf("the kept customer holds the erased profile id %s", erasedID)
	}
	if _, err := s.ByID(ctx, erasedID); !errors.Is(err, ErrErased) {
		t.Errorf("ByID(erased id) = %v, want ErrErased", err)
	}
	if q, err := s.ByIdentifier(ctx, kept[0].Identifiers[0]); err != nil || q.ID != p.ID {
		t.Errorf("the kept customer's phone: %v, want profile %s", err, p.ID)
	}
	if _, err := s.ByIdentifier(ctx, erased[0].Identifiers[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased customer's phone: %v, want ErrNotFound", err)
	}
	// Importable: the kept receipt is unchanged, the erased ones refused.
	res, err := s.IngestBatch(ctx, append(slices.Clone(kept), erased...))
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []Outcome
	for _, r := range res {
		outcomes = append(outcomes, r.Outcome)
	}
	var wantOut []Outcome
	for range kept {
		wantOut = append(wantOut, OutcomeUnchanged)
	}
	for range erased {
		wantOut = append(wantOut, OutcomeErased)
	}
	if diff := cmp.Diff(wantOut, outcomes); diff != "" {
		t.Errorf("re-importing the receipts (-want +got):\n%s", diff)
	}
	// Nothing of the erased person in any profile, nor in the blocking
	// index of suggestions (every entry names a live profile).
	err = s.Snapshot(ctx, func(p *merge.Profile) error {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		for _, x := range secrets {
			if strings.Contains(string(b), x) {
				t.Errorf("profile %s holds %q of the erased person", p.ID, x)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var live []ProfileID
	s.Snapshot(ctx, func(p *merge.Profile) error {
		id, _ := ParseProfileID(p.ID)
		live = append(live, id)
		return nil
	})
	err = s.kv.View(ctx, func(tx Txn) error {
		for e, err := range tx.Scan([]byte{nsBlock}, nil, true) {
			if err != nil {
				return err
			}
			_, pid, err := splitBlockKey(e.Key)
			if err != nil {
				return err
			}
			if !slices.Contains(live, pid) {
				t.Errorf("blocking index entry for profile %v, which is not live", pid)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// profileDump is every live profile as JSON, by id.
func profileDump(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.Snapshot(context.Background(), func(p *merge.Profile) error {
		b, err := json.Marshal(p)
		out[p.ID] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
