package store

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// TestFeedMergesSplitsLinks checks that the change feed reports every
// merge of an import, the split of an unmerge, and the link that undoes
// it (Rejoin), with who linked.
func TestFeedMergesSplitsLinks(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := collect(t, s, "", 1<<20)
	merged := 0
	for _, ev := range all {
		if ev.Kind == EventMerged {
			merged++
			if ev.Other == "" || ev.Other == ev.Profile {
				t.Errorf("merged event without the absorbed profile: %+v", ev)
			}
		}
	}
	if merged == 0 || merged != st.Forwards {
		t.Errorf("%d merged events, want one per forward (%d)", merged, st.Forwards)
	}

	phone := identity.Identifier{Kind: identity.KindPhone, Value: "+8613912345601"}
	before, err := s.ByIdentifier(ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := identity.ParseRecordKey("pos/pos/SZ01/SZ01-26101801")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.Detach(ctx, rec)
	if err != nil || len(ch.Created) != 1 {
		t.Fatalf("Detach: %v, created %v", err, ch)
	}
	apart := ch.Created[0]
	ignore := cmpopts.IgnoreFields(Event{}, "Cursor")
	onlyKinds := func(evs []Event, kinds ...EventKind) []Event {
		var out []Event
		for _, ev := range evs {
			for _, k := range kinds {
				if ev.Kind == k {
					out = append(out, ev)
				}
			}
		}
		return out
	}
	got := onlyKinds(collect(t, s, all[len(all)-1].Cursor, 1<<20), EventSplit, EventMerged, EventLinked)
	want := []Event{{Time: asOf, Kind: EventSplit, Profile: before.ID, Other: apart}}
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("feed after unmerge (-want +got):\n%s", diff)
	}
	if _, err := s.ByIdentifier(ctx, phone); !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("after unmerge, the phone: %v, want ErrAmbiguous", err)
	}

	mark := collect(t, s, "", 1<<20)
	ch, err = s.Rejoin(ctx, before.ID, apart, "ops@brand")
	if err != nil || ch.NoOp {
		t.Fatalf("Rejoin: %v, %+v", err, ch)
	}
	got = onlyKinds(collect(t, s, mark[len(mark)-1].Cursor, 1<<20), EventSplit, EventMerged, EventLinked)
	want = []Event{
		{Time: asOf, Kind: EventLinked, Profile: before.ID, Other: apart, Actor: "ops@brand"},
		{Time: asOf, Kind: EventMerged, Profile: before.ID, Other: apart},
	}
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("feed after link (-want +got):\n%s", diff)
	}
	after, err := s.ByIdentifier(ctx, phone)
	if err != nil || after.ID != before.ID || len(after.Records) != len(before.Records) || len(after.DoNotLink) != 0 {
		t.Fatalf("after link: %v; profile %s with %d records and %d do-not-link pairs, want %s with %d and none",
			err, after.ID, len(after.Records), len(after.DoNotLink), before.ID, len(before.Records))
	}

	// Linking again does nothing and says so; an unknown id is not found.
	mark = collect(t, s, "", 1<<20)
	if ch, err := s.Rejoin(ctx, before.ID, apart, "ops@brand"); err != nil || !ch.NoOp {
		t.Errorf("second Rejoin: %v, NoOp %v; want a NoOp", err, ch != nil && ch.NoOp)
	}
	if n := len(collect(t, s, mark[len(mark)-1].Cursor, 1<<20)); n != 0 {
		t.Errorf("a NoOp link added %d events", n)
	}
	if _, err := s.Rejoin(ctx, before.ID, NewProfileID().String(), "ops"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rejoin of an unknown id: %v, want ErrNotFound", err)
	}
}
