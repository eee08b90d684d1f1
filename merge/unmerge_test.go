package merge_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// family returns records of one profile: Mei's WeChat and POS records,
// and an order her husband placed with her phone that an operator will
// detach.
func family(t *testing.T) *testStore {
	t.Helper()
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(on(named(rec("mei-wx", day(2026, 1, 1), unionid("mei"), phone(1)), "李梅"), identity.ChannelWeChat, "wx"), asOf)
	s.add(paid(named(rec("mei-pos", day(2026, 2, 1), phone(1), member("pos", "M1")), "李梅"), "o1", 10000, day(2026, 2, 1)), asOf)
	s.add(paid(named(rec("hus", day(2026, 3, 1), phone(1), email("hus")), "王刚"), "o2", 50000, day(2026, 3, 1)), asOf)
	s.add(on(rec("hus-mail", day(2026, 3, 2), email("hus")), identity.ChannelCSV, "crm"), asOf)
	return s
}

func TestDetachThenReattachRestoresTheProfile(t *testing.T) {
	s := family(t)
	original := s.all()
	ch := s.do(s.r.Detach(s, s.key("hus"), s.newID, asOf))
	// hus-mail follows hus: it links to the rest only through him.
	want := [][]string{{"mei-pos", "mei-wx"}, {"hus", "hus-mail"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Fatalf("partition after Detach (-want +got):\n%s", diff)
	}
	if got := s.of("mei-wx").ID; got != "p1" {
		t.Errorf("Mei's part has id %s, want p1: the larger part keeps the id", got)
	}
	if len(ch.Created) != 1 || s.of("hus").ID != ch.Created[0] {
		t.Errorf("created %v; the husband's part should be new", ch.Created)
	}
	if got := s.of("mei-pos").Metrics.PaidOrders; got != 1 {
		t.Errorf("Mei's paid orders %d after Detach, want 1", got)
	}
	e, err := s.r.ExplainPair(s, s.key("mei-pos"), s.key("hus"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Same || e.Rule != merge.RuleDoNotLink {
		t.Errorf("ExplainPair = %s, want do_not_link", e)
	}

	ch = s.do(s.r.Reattach(s, s.key("hus"), s.newID, asOf))
	if len(ch.Forwards) != 1 || ch.Forwards[0].To != "p1" {
		t.Errorf("forwards %v, want the detached id forwarding to p1", ch.Forwards)
	}
	if diff := cmp.Diff(original, s.all()); diff != "" {
		t.Errorf("profile after Detach and Reattach differs from the original (-want +got):\n%s", diff)
	}
}

func TestSeparateThenRelinkRestoresTheProfile(t *testing.T) {
	s := family(t)
	original := s.all()
	s.do(s.r.Separate(s, s.key("mei-pos"), s.key("hus"), s.newID, asOf))
	if len(s.profiles) != 2 {
		t.Fatalf("%d profiles after Separate, want 2", len(s.profiles))
	}
	for _, p := range s.all() {
		if len(p.DoNotLink) != 1 {
			t.Errorf("profile %s has do-not-link pairs %v, want the pair on both sides", p.ID, p.DoNotLink)
		}
	}
	// Separating again changes nothing.
	if ch := s.do(s.r.Separate(s, s.key("mei-pos"), s.key("hus"), s.newID, asOf)); !ch.NoOp {
		t.Errorf("second Separate: %+v, want NoOp", ch)
	}
	s.do(s.r.Relink(s, s.key("hus"), s.key("mei-pos"), s.newID, asOf))
	if diff := cmp.Diff(original, s.all()); diff != "" {
		t.Errorf("profile after Separate and Relink differs from the original (-want +got):\n%s", diff)
	}
}

func TestDoNotLinkHoldsForLaterRecords(t *testing.T) {
	s := family(t)
	s.do(s.r.Detach(s, s.key("hus"), s.newID, asOf))
	// A later record with the shared phone joins one side only.
	s.add(rec("later", day(2026, 6, 1), phone(1)), asOf)
	if len(s.profiles) != 2 {
		t.Fatalf("%d profiles, want 2", len(s.profiles))
	}
	if s.of("later").ID != s.of("mei-wx").ID {
		t.Errorf("later record joined %s; the earliest holder of the phone is Mei", s.of("later").ID)
	}
}

func TestUnmergeErrors(t *testing.T) {
	s := family(t)
	missing := identity.RecordKey{Channel: identity.ChannelPOS, Source: "pos", ID: "missing"}
	if _, err := s.r.Detach(s, missing, s.newID, asOf); !errors.Is(err, merge.ErrNotFound) {
		t.Errorf("Detach(missing) err = %v, want ErrNotFound", err)
	}
	if _, err := s.r.Separate(s, s.key("hus"), s.key("hus"), s.newID, asOf); !errors.Is(err, merge.ErrInvalid) {
		t.Errorf("Separate(a, a) err = %v, want ErrInvalid", err)
	}
	if _, err := s.r.Relink(s, s.key("hus"), missing, s.newID, asOf); !errors.Is(err, merge.ErrNotFound) {
		t.Errorf("Relink(missing) err = %v, want ErrNotFound", err)
	}
	if ch, err := s.r.Reattach(s, s.key("hus"), s.newID, asOf); err != nil || !ch.NoOp {
		t.Errorf("Reattach without pairs = %+v, %v, want NoOp", ch, err)
	}
	if ch, err := s.r.Detach(s, s.key("hus"), nil, asOf); !errors.Is(err, merge.ErrInvalid) {
		t.Errorf("Detach with nil newID = %+v, %v, want ErrInvalid", ch, err)
	}
}

func TestResolveAppliesChangedOptions(t *testing.T) {
	s := family(t)
	// An operator decides that e-mail must not link.
	strict := newResolver(t, merge.Options{Blocked: []identity.Identifier{email("hus")}})
	ch := s.do(strict.Resolve(s, s.all(), s.newID, asOf))
	if !ch.Recomputed {
		t.Error("Resolve did not recompute")
	}
	want := [][]string{{"mei-pos", "mei-wx", "hus"}, {"hus-mail"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Errorf("partition (-want +got):\n%s", diff)
	}
	// With the original options nothing is left to do once undone.
	s.do(s.r.Resolve(s, s.all(), s.newID, asOf))
	if ch := s.do(s.r.Resolve(s, s.all(), s.newID, asOf)); !ch.NoOp {
		t.Errorf("second Resolve = %+v, want NoOp", ch)
	}
}

// TestDetachBridge detaches a record that is the only link between two
// equal halves of its profile: the half it still links to, with the
// record, is the larger part and keeps the profile id, and the other half
// is the one that gets a new id.
func TestDetachBridge(t *testing.T) {
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(rec("left", day(2026, 1, 1), email("left")), asOf)
	s.add(rec("bridge", day(2026, 2, 1), email("left"), email("right")), asOf)
	s.add(rec("right", day(2026, 3, 1), email("right")), asOf)
	id := s.of("bridge").ID
	ch := s.do(s.r.Detach(s, s.key("bridge"), s.newID, asOf))
	type ids struct{ Bridge, Alone string }
	// The half Detach keeps apart from the record.
	alone := "left"
	if s.of("left").ID == s.of("bridge").ID {
		alone = "right"
	}
	if len(ch.Created) != 1 {
		t.Fatalf("created %v, want one profile", ch.Created)
	}
	want := ids{Bridge: id, Alone: ch.Created[0]}
	if diff := cmp.Diff(want, ids{Bridge: s.of("bridge").ID, Alone: s.of(alone).ID}); diff != "" {
		t.Errorf("ids after detaching a bridge (-want +got):\n%s", diff)
	}
}
