package merge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// strangers returns two profiles no identifier joins: Mei's WeChat record
// and an anonymous store receipt (no identifier at all) that a suggestion
// says is hers, plus an unrelated record that shares Mei's phone later.
func strangers(t *testing.T) *testStore {
	t.Helper()
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(on(named(rec("mei-wx", day(2026, 1, 1), unionid("mei"), phone(1)), "李梅"), identity.ChannelWeChat, "wx"), asOf)
	s.add(paid(named(rec("receipt", day(2026, 2, 1)), "李梅"), "o1", 10000, day(2026, 2, 1)), asOf)
	return s
}

func TestLinkJoinsRecordsNoIdentifierJoins(t *testing.T) {
	s := strangers(t)
	original := s.all()
	if len(original) != 2 {
		t.Fatalf("%d profiles before Link, want 2", len(original))
	}
	s.do(s.r.Link(s, s.key("receipt"), s.key("mei-wx"), "auto", 0.97, s.newID, asOf))
	want := [][]string{{"mei-wx", "receipt"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Fatalf("partition after Link (-want +got):\n%s", diff)
	}
	p := s.of("receipt")
	if p.Metrics.PaidOrders != 1 {
		t.Errorf("linked profile has %d paid orders, want the receipt's 1", p.Metrics.PaidOrders)
	}
	if len(p.Links) != 1 || p.Links[0].By != "auto" || p.Links[0].Probability != 0.97 {
		t.Errorf("profile links %+v, want one auto link at 0.97", p.Links)
	}

	// Explain names the link, with who made it and its probability.
	e, err := s.r.ExplainPair(s, s.key("mei-wx"), s.key("receipt"))
	if err != nil {
		t.Fatal(err)
	}
	if !e.Same || len(e.Path) != 1 || e.Path[0].Link == nil {
		t.Fatalf("ExplainPair = %s, want one hop through the link", e)
	}
	if got := e.String(); !strings.Contains(got, "linked by auto (p=0.970)") {
		t.Errorf("ExplainPair.String() = %q, want it to name the link", got)
	}
	var named bool
	for _, rl := range s.r.Explain(p) {
		if strings.Contains(rl.String(), "linked by auto") {
			named = true
		}
	}
	if !named {
		t.Errorf("Explain(profile) does not name the link: %v", s.r.Explain(p))
	}

	// A later record of the phone joins the linked profile, and the link
	// survives the recomputation.
	s.add(rec("later", day(2026, 6, 1), phone(1)), asOf)
	if got := s.partition(); len(got) != 1 {
		t.Fatalf("partition after a later record: %v, want one profile", got)
	}
	if got := s.of("later").Links; len(got) != 1 {
		t.Errorf("links after a later record %+v, want the link kept", got)
	}

	// Unlink undoes it.
	s.do(s.r.Unlink(s, s.key("mei-wx"), s.key("receipt"), s.newID, asOf))
	want = [][]string{{"later", "mei-wx"}, {"receipt"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Errorf("partition after Unlink (-want +got):\n%s", diff)
	}
}

func TestUnmergeWithdrawsALink(t *testing.T) {
	s := strangers(t)
	s.do(s.r.Link(s, s.key("receipt"), s.key("mei-wx"), "ops", 0, s.newID, asOf))
	s.do(s.r.Detach(s, s.key("receipt"), s.newID, asOf))
	want := [][]string{{"mei-wx"}, {"receipt"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Fatalf("partition after unmerging a linked record (-want +got):\n%s", diff)
	}
	for _, p := range s.all() {
		if len(p.Links) != 0 {
			t.Errorf("profile %s keeps links %+v after the unmerge", p.ID, p.Links)
		}
	}
	// Linking again is the operator's undo: it replaces the do-not-link.
	s.do(s.r.Link(s, s.key("receipt"), s.key("mei-wx"), "ops", 0, s.newID, asOf))
	if got := s.partition(); len(got) != 1 {
		t.Errorf("partition after linking again: %v, want one profile", got)
	}
	if p := s.of("receipt"); len(p.DoNotLink) != 0 {
		t.Errorf("do-not-link %v left after Link", p.DoNotLink)
	}
}

func TestLinkYieldsToDoNotLinkOfOtherRecords(t *testing.T) {
	s := strangers(t)
	s.add(paid(named(rec("receipt-2", day(2026, 3, 1), member("pos", "M9")), "李梅"), "o2", 5000, day(2026, 3, 1)), asOf)
	// receipt-2 is not mei-wx, an operator said; linking receipt-2 to
	// receipt and receipt to mei-wx would put them in one profile.
	s.do(s.r.Separate(s, s.key("receipt-2"), s.key("mei-wx"), s.newID, asOf))
	s.do(s.r.Link(s, s.key("receipt"), s.key("mei-wx"), "ops", 0, s.newID, asOf))
	s.do(s.r.Link(s, s.key("receipt-2"), s.key("receipt"), "ops", 0, s.newID, asOf.Add(time.Hour)))
	// The later link cannot stand beside the first and the do-not-link.
	want := [][]string{{"mei-wx", "receipt"}, {"receipt-2"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Fatalf("partition (-want +got):\n%s", diff)
	}
	e, err := s.r.ExplainPair(s, s.key("receipt-2"), s.key("receipt"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Same || e.Rule != merge.RuleDoNotLink {
		t.Errorf("ExplainPair = %s, want apart by do_not_link", e)
	}
}

func TestLinkErrors(t *testing.T) {
	s := strangers(t)
	if _, err := s.r.Link(s, s.key("receipt"), s.key("mei-wx"), "", 0, s.newID, asOf); err == nil {
		t.Error("Link without who: no error")
	}
	if _, err := s.r.Link(s, s.key("receipt"), s.key("mei-wx"), "auto", 1.5, s.newID, asOf); err == nil {
		t.Error("Link with probability 1.5: no error")
	}
	if _, err := s.r.Link(s, s.key("receipt"), s.key("receipt"), "ops", 0, s.newID, asOf); err == nil {
		t.Error("Link of a record with itself: no error")
	}
}
