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
// it, with who linked.
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
	ch, err = s.Link(ctx, before.ID, apart, "ops@brand")
	if err != nil || ch.NoOp {
		t.Fatalf("Link: %v, %+v", err, ch)
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
	if ch, err := s.Link(ctx, before.ID, apart, "ops@brand"); err != nil || !ch.NoOp {
		t.Errorf("second Link: %v, NoOp %v; want a NoOp", err, ch != nil && ch.NoOp)
	}
	if n := len(collect(t, s, mark[len(mark)-1].Cursor, 1<<20)); n != 0 {
		t.Errorf("a NoOp link added %d events", n)
	}
	if _, err := s.Link(ctx, before.ID, NewProfileID().String(), "ops"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Link of an unknown id: %v, want ErrNotFound", err)
	}
}

// TestLinkWithoutSharedIdentifier accepts a suggestion: two profiles that
// share no identifier become one, stay one through later imports, and
// come apart again by an unmerge or a separation, which drop the link.
func TestLinkWithoutSharedIdentifier(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	phone := func(v string) identity.Identifier { return identity.Identifier{Kind: identity.KindPhone, Value: v} }
	email := identity.Identifier{Kind: identity.KindEmail, Value: "fang@example.com"}
	till := identity.Record{Channel: identity.ChannelPOS, Source: "pos", ID: "T1", Observed: asOf.AddDate(0, -2, 0),
		Identifiers: []identity.Identifier{phone("+8613912345601")}, Attributes: identity.Attributes{Name: "王芳"}}
	crm := identity.Record{Channel: identity.ChannelCSV, Source: "crm", ID: "C1", Observed: asOf.AddDate(0, -1, 0),
		Identifiers: []identity.Identifier{email}, Attributes: identity.Attributes{Name: "王芳"}}
	for _, r := range []identity.Record{till, crm} {
		if _, err := s.Ingest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	holder := func(r identity.Record) string {
		t.Helper()
		p, err := s.Holder(ctx, r.Key())
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	a, b := holder(till), holder(crm)
	if a == b {
		t.Fatal("the two records are one profile before the link")
	}
	if ch, err := s.Link(ctx, a, b, "ops"); err != nil || ch.NoOp {
		t.Fatalf("Link: %v, %+v", err, ch)
	}
	if holder(till) != holder(crm) {
		t.Fatal("after Link the two records are apart")
	}
	// A later record joining one side, and a new version of the other,
	// keep them together.
	later := identity.Record{Channel: identity.ChannelCSV, Source: "crm", ID: "C2", Observed: asOf,
		Identifiers: []identity.Identifier{email, phone("+8613812345602")}}
	crm2 := crm
	crm2.Observed, crm2.Attributes.Gender = asOf, identity.GenderFemale
	for _, r := range []identity.Record{later, crm2} {
		if _, err := s.Ingest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if h := holder(till); h != holder(crm) || h != holder(later) {
		t.Fatalf("after more imports: %s, %s, %s; want one profile", holder(till), holder(crm), holder(later))
	}
	if p, _ := s.Holder(ctx, till.Key()); len(p.Links) != 1 || len(p.Records) != 3 {
		t.Fatalf("linked profile: %d links, %d records; want 1 and 3", len(p.Links), len(p.Records))
	}
	// An unmerge overrides the link, and drops it.
	if _, err := s.Detach(ctx, crm.Key()); err != nil {
		t.Fatal(err)
	}
	if holder(till) == holder(crm) {
		t.Fatal("after Detach the records are still one profile")
	}
	if p, _ := s.Holder(ctx, till.Key()); len(p.Links) != 0 {
		t.Errorf("after Detach the profile keeps links %v", p.Links)
	}
	// Linked again, then separated: the do-not-link wins.
	if _, err := s.Link(ctx, holder(till), holder(crm), "ops"); err != nil {
		t.Fatal(err)
	}
	if holder(till) != holder(crm) {
		t.Fatal("the second Link did not join them")
	}
	if _, err := s.Separate(ctx, till.Key(), crm.Key()); err != nil {
		t.Fatal(err)
	}
	if holder(till) == holder(crm) {
		t.Fatal("after Separate the records are still one profile")
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Errorf("Verify: %v, %+v", err, rep)
	}
}
