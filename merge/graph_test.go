package merge_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

func TestAddCreateFoldNoOp(t *testing.T) {
	s := newTestStore(t, newResolver(t, merge.Options{}))
	first := rec("r1", day(2026, 1, 1), phone(1), unionid("a"))
	ch := s.add(first, asOf)
	if len(ch.Created) != 1 || len(ch.Assign) != 1 || len(ch.Index) != 2 || ch.Recomputed {
		t.Fatalf("first record: %+v", ch)
	}
	loads := s.loads
	ch = s.add(rec("r2", day(2026, 2, 1), phone(1), email("a")), asOf)
	if ch.Recomputed || len(ch.Created) != 0 || len(ch.Profiles) != 1 || s.loads != loads {
		t.Fatalf("second record should fold without reading records: %+v, loads %d -> %d", ch, loads, s.loads)
	}
	if diff := cmp.Diff([]merge.IndexEdit{{Identifier: email("a"), Profile: "p1"}}, ch.Index); diff != "" {
		t.Errorf("index edits (-want +got):\n%s", diff)
	}
	again := first
	again.Line = 99 // where it was read is not content
	if ch := s.add(again, asOf); !ch.NoOp {
		t.Errorf("identical record again: %+v, want NoOp", ch)
	}
	changed := first
	changed.Attributes.City = "深圳"
	changed.Observed = day(2026, 3, 1)
	if ch := s.add(changed, asOf); ch.NoOp || !ch.Recomputed {
		t.Errorf("updated record: %+v, want a recomputation", ch)
	}
	if got := s.of("r1").Fields; len(got) == 0 {
		t.Error("updated record's city lost")
	}
	if diff := cmp.Diff([][]string{{"r1", "r2"}}, s.partition()); diff != "" {
		t.Errorf("partition (-want +got):\n%s", diff)
	}
}

func TestAnonymousProfileMergesWhenBound(t *testing.T) {
	s := newTestStore(t, newResolver(t, merge.Options{}))
	fan := on(rec("fan", day(2026, 1, 5), weibo("x")), identity.ChannelWeibo, "weibo")
	fan = interact(fan, identity.InteractionRepost, day(2026, 1, 5))
	s.add(fan, asOf)
	s.add(rec("till1", day(2026, 2, 1), phone(7)), asOf)
	s.add(rec("till2", day(2026, 3, 1), phone(7)), asOf)
	if got := len(s.profiles); got != 2 {
		t.Fatalf("%d profiles before the binding record, want 2", got)
	}
	lead := on(rec("lead", day(2026, 4, 1), weibo("x"), phone(7)), identity.ChannelWeibo, "weibo-leads")
	ch := s.add(lead, asOf)
	// The profile with more records survives and the fan's forwards to it.
	if diff := cmp.Diff([]merge.Forward{{From: "p1", To: "p2"}}, ch.Forwards); diff != "" {
		t.Errorf("forwards (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"till1", "till2", "fan", "lead"}}, s.partition(), sortedIDs); diff != "" {
		t.Errorf("partition (-want +got):\n%s", diff)
	}
	if p := s.of("fan"); p.ID != "p2" {
		t.Errorf("merged profile id %s, want p2", p.ID)
	}
}

var sortedIDs = cmp.Transformer("sort", func(in [][]string) map[string]bool {
	out := map[string]bool{}
	for _, part := range in {
		key := ""
		for _, k := range sortStrings(part) {
			key += k + ","
		}
		out[key] = true
	}
	return out
})

func sortStrings(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestSurvivorTieBreak(t *testing.T) {
	// Two one-record profiles merge: the earlier first seen survives,
	// whatever the ids.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(rec("late", day(2026, 5, 1), phone(1)), asOf)  // p1
	s.add(rec("early", day(2026, 1, 1), phone(2)), asOf) // p2
	ch := s.add(rec("bridge", day(2026, 6, 1), phone(1), phone(2)), asOf)
	if diff := cmp.Diff([]merge.Forward{{From: "p1", To: "p2"}}, ch.Forwards); diff != "" {
		t.Errorf("forwards (-want +got):\n%s", diff)
	}
}

func TestHubSplitsStrangersWhoArrivedFirst(t *testing.T) {
	// A cashier types one phone for every customer without one. The first
	// three strangers are joined through it; the fourth distinct name
	// flags it as a hub and the joins are undone. Ana's own WeChat record
	// stays with her.
	placeholder := phone(9999)
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(named(rec("ana", day(2026, 1, 1), placeholder, unionid("ana")), "安娜"), asOf)
	s.add(on(rec("ana-wx", day(2026, 1, 2), unionid("ana")), identity.ChannelWeChat, "wx"), asOf)
	s.add(named(rec("bo", day(2026, 1, 3), placeholder), "博文"), asOf)
	s.add(named(rec("chen", day(2026, 1, 4), placeholder), "陈晨"), asOf)
	if got := len(s.profiles); got != 1 {
		t.Fatalf("before the hub is found: %d profiles, want 1 (three names are allowed)", got)
	}
	ch := s.add(named(rec("dong", day(2026, 1, 5), placeholder), "董东"), asOf)
	if diff := cmp.Diff([]identity.Identifier{placeholder}, ch.Hubs); diff != "" {
		t.Fatalf("hubs (-want +got):\n%s", diff)
	}
	want := [][]string{{"ana", "ana-wx"}, {"bo"}, {"chen"}, {"dong"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Errorf("partition (-want +got):\n%s", diff)
	}
	if s.of("ana").ID != "p1" {
		t.Errorf("the largest part should keep the id: got %s", s.of("ana").ID)
	}
	for _, p := range s.all() {
		for _, st := range p.Identifiers {
			if st.Identifier == placeholder && st.Status != merge.StatusHub {
				t.Errorf("profile %s lists the placeholder as %s", p.ID, st.Status)
			}
		}
		if _, ok := p.Field(merge.FieldPhone); ok {
			t.Errorf("profile %s took the hub as its phone", p.ID)
		}
	}
	// Later records carrying the hub join no one.
	s.add(named(rec("eva", day(2026, 1, 6), placeholder), "伊娃"), asOf)
	if got := len(s.profiles); got != 5 {
		t.Errorf("%d profiles after a fifth stranger, want 5", got)
	}
	e, err := s.r.ExplainPair(s, s.key("bo"), s.key("eva"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Same || e.Rule != merge.RuleHub || e.Kind != identity.KindPhone {
		t.Errorf("ExplainPair = %s, want apart by the phone hub", e)
	}
}

func TestHubByMemberNumbers(t *testing.T) {
	placeholder := phone(8888)
	s := newTestStore(t, newResolver(t, merge.Options{}))
	for i, m := range []string{"M1", "M2", "M3", "M4"} {
		s.add(rec(m, day(2026, 2, 1+i), placeholder, member("pos", m)), asOf)
	}
	if !s.hubs[placeholder] {
		t.Fatal("a phone with four member numbers is not a hub")
	}
	if got := len(s.profiles); got != 4 {
		t.Errorf("%d profiles, want 4", got)
	}
	for _, p := range s.all() {
		if len(p.Separations) != 0 {
			t.Errorf("profile %s keeps separations %v: the hub no longer links anything", p.ID, p.Separations)
		}
	}
}

func TestLimitKeepsTwoUnionIDsApart(t *testing.T) {
	// A wife and husband share a home phone; each has a WeChat unionid.
	// At most one unionid per profile: the later binding is refused.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(rec("wife", day(2026, 1, 1), phone(1), unionid("w")), asOf)
	ch := s.add(rec("husband", day(2026, 2, 1), phone(1), unionid("h")), asOf)
	want := []merge.Separation{{A: s.key("husband"), B: s.key("wife"), Rule: merge.RuleLimit, Limit: identity.KindUnionID, Via: identity.KindPhone}}
	if diff := cmp.Diff(want, ch.Separations); diff != "" {
		t.Errorf("separations (-want +got):\n%s", diff)
	}
	if len(s.profiles) != 2 {
		t.Fatalf("%d profiles, want 2", len(s.profiles))
	}
	for _, p := range s.all() {
		st := findIdentifier(t, p, phone(1))
		if !st.Shared || st.Status != merge.StatusLinking {
			t.Errorf("profile %s: shared phone %+v, want linking and shared", p.ID, st)
		}
	}
	// A record reaching the wife only through her unionid, observed
	// before everything, is recomputed with the whole component.
	s.add(on(rec("wife-wx", day(2025, 12, 1), unionid("w"), email("w")), identity.ChannelWeChat, "wx"), asOf)
	if diff := cmp.Diff([][]string{{"wife", "wife-wx"}, {"husband"}}, s.partition(), sortedIDs); diff != "" {
		t.Errorf("partition (-want +got):\n%s", diff)
	}
	e, err := s.r.ExplainPair(s, s.key("wife-wx"), s.key("husband"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Same || e.Rule != merge.RuleLimit || e.Kind != identity.KindUnionID || len(e.Path) != 2 {
		t.Errorf("ExplainPair = %s, want apart by the unionid limit after two hops", e)
	}
	if got := e.String(); got != "wechat/wx/wife-wx and pos/pos/husband are apart: limit (unionid); wechat/wx/wife-wx -unionid-> pos/pos/wife; pos/pos/wife -phone-> pos/pos/husband" {
		t.Errorf("String() = %q", got)
	}
}

func findIdentifier(t *testing.T, p *merge.Profile, id identity.Identifier) merge.IdentifierState {
	t.Helper()
	for _, st := range p.Identifiers {
		if st.Identifier == id {
			return st
		}
	}
	t.Fatalf("profile %s does not list the %s identifier", p.ID, id.Kind)
	return merge.IdentifierState{}
}

func TestRecordBeyondItsOwnLimit(t *testing.T) {
	// A record with two unionids: the second is excluded and links
	// nothing.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(rec("odd", day(2026, 1, 1), unionid("a"), unionid("b")), asOf)
	s.add(rec("b", day(2026, 1, 2), unionid("b")), asOf)
	if len(s.profiles) != 2 {
		t.Fatalf("%d profiles, want 2", len(s.profiles))
	}
	if st := findIdentifier(t, s.of("odd"), unionid("b")); st.Status != merge.StatusExcluded {
		t.Errorf("second unionid status %s, want excluded", st.Status)
	}
	e, err := s.r.ExplainPair(s, s.key("odd"), s.key("b"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Rule != merge.RuleLimit || e.Kind != identity.KindUnionID {
		t.Errorf("ExplainPair = %s, want apart by the unionid limit", e)
	}
}

func TestBlockedValueNeverLinks(t *testing.T) {
	shared := email("noreply")
	r := newResolver(t, merge.Options{Blocked: []identity.Identifier{shared}})
	s := newTestStore(t, r, shared)
	s.add(rec("a", day(2026, 1, 1), phone(1), shared), asOf)
	s.add(rec("b", day(2026, 1, 2), phone(2), shared), asOf)
	if len(s.profiles) != 2 {
		t.Fatalf("%d profiles, want 2", len(s.profiles))
	}
	if st := findIdentifier(t, s.of("a"), shared); st.Status != merge.StatusBlocked {
		t.Errorf("status %s, want blocked", st.Status)
	}
	e, err := r.ExplainPair(s, s.key("a"), s.key("b"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Rule != merge.RuleBlocked || e.Kind != identity.KindEmail {
		t.Errorf("ExplainPair = %s, want apart by the blocked email", e)
	}
	s.add(rec("c", day(2026, 1, 3), phone(3)), asOf)
	if e, _ := r.ExplainPair(s, s.key("a"), s.key("c")); e.Rule != merge.RuleNoSharedIdentifier || len(e.Path) != 0 {
		t.Errorf("ExplainPair = %s, want no shared identifier", e)
	}
	if e, _ := r.ExplainPair(s, s.key("a"), s.key("a")); !e.Same || e.Profile != s.of("a").ID {
		t.Errorf("ExplainPair(a, a) = %s, want the same profile", e)
	}
}

func TestExplainPairNotFound(t *testing.T) {
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(rec("a", day(2026, 1, 1), phone(1)), asOf)
	_, err := s.r.ExplainPair(s, s.key("a"), identity.RecordKey{Channel: "pos", Source: "pos", ID: "nope"})
	if !errors.Is(err, merge.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}
