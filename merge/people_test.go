package merge_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// described returns r with a name, gender and birthday.
func described(r identity.Record, name string, g identity.Gender, birthday identity.Date) identity.Record {
	r.Attributes.Name, r.Attributes.Gender, r.Attributes.Birthday = name, g, birthday
	return r
}

// shipped returns a Taobao order of buyer b shipped to the receiver named
// name at phone recv.
func shipped(id string, at time.Time, b identity.Identifier, name string, recv identity.Identifier) identity.Record {
	r := identity.Record{
		Channel: identity.ChannelEcommerce, Source: "taobao", ID: id, Observed: at,
		Identifiers: []identity.Identifier{b, recv}, Receivers: []identity.Identifier{recv},
	}
	r.Attributes.Name = name
	return paid(r, id, 19900, at)
}

func TestSpellingsOfOnePersonAreNoHub(t *testing.T) {
	// One woman, written every way a counter, a shop and a form write her,
	// on her one phone: one person, one profile, no hub.
	for _, names := range [][]string{
		{"王芳", "王 芳", "Wang Fang", "王女士", "王方"},
		{"陈静", "陳靜", "chen jing", "陈小姐"},
	} {
		s := newTestStore(t, newResolver(t, merge.Options{}))
		for i, n := range names {
			s.add(named(rec(n, day(2026, 1, 1+i), phone(1)), n), asOf)
		}
		if got := len(s.profiles); got != 1 {
			t.Errorf("%v: %d profiles, want 1", names, got)
		}
		for _, p := range s.all() {
			if st := status(p, phone(1)); st != merge.StatusLinking {
				t.Errorf("%v: the phone is %s, want linking", names, st)
			}
		}
	}
}

func TestFourPeopleOnOnePhoneAreAHub(t *testing.T) {
	// Spellings do not hide people: four people, one of them written three
	// ways, still make the placeholder a hub.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	for i, n := range []string{"张伟", "張偉", "zhang wei", "李娜", "刘洋", "陈静"} {
		s.add(named(rec(n, day(2026, 1, 1+i), phone(99)), n), asOf)
	}
	for _, p := range s.all() {
		if st := status(p, phone(99)); st != merge.StatusHub {
			t.Fatalf("profile %s lists the phone as %s, want hub", p.ID, st)
		}
	}
	if got := len(s.profiles); got != 6 {
		t.Errorf("%d profiles, want 6 (a hub links nothing)", got)
	}
}

func TestGiftReceiverIsNotTheBuyer(t *testing.T) {
	// A buyer ships three orders home and one to her mother, who has a
	// member card of her own at the store.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	b := buyer("fang")
	s.add(described(rec("mum-card", day(2025, 5, 1), phone(2), member("pos", "M1")), "李秀英", identity.GenderFemale, identity.Date{}), asOf)
	for i, id := range []string{"t1", "t2", "t3"} {
		s.add(shipped(id, day(2025, 6, 1+i), b, "王芳", phone(1)), asOf)
	}
	s.add(shipped("gift", day(2025, 6, 10), b, "李秀英", phone(2)), asOf)

	want := [][]string{{"gift", "t1", "t2", "t3"}, {"mum-card"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Fatalf("partition (-want +got):\n%s", diff)
	}
	buyerP, mum := s.of("t1"), s.of("mum-card")
	if st := status(buyerP, phone(2)); st != merge.StatusReceiver {
		t.Errorf("the mother's phone is %s on the buyer's profile, want receiver", st)
	}
	if st := status(buyerP, phone(1)); st != merge.StatusLinking {
		t.Errorf("the buyer's phone is %s, want linking", st)
	}
	if got := len(buyerP.Orders); got != 4 {
		t.Errorf("the buyer has %d orders, want 4 (the gift is hers)", got)
	}
	if f, _ := buyerP.Field(merge.FieldPersonName); f.Value != "王芳" || len(f.Alternatives) != 0 {
		t.Errorf("the buyer's name is %q with alternatives %v: the receiver's name must not count", f.Value, f.Alternatives)
	}
	gift := s.key("gift")
	if diff := cmp.Diff([]merge.Gift{{Record: gift, Profile: mum.ID, Time: day(2025, 6, 10).UTC()}}, buyerP.Gifts); diff != "" {
		t.Errorf("buyer's gifts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]merge.Gift{{Record: gift, Received: true, Profile: buyerP.ID, Time: day(2025, 6, 10).UTC()}}, mum.Gifts); diff != "" {
		t.Errorf("mother's gifts (-want +got):\n%s", diff)
	}
	e, err := s.r.ExplainPair(s, gift, s.key("mum-card"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Same || e.Rule != merge.RuleReceiver {
		t.Errorf("ExplainPair = %s, want apart by the receiver rule", e)
	}
	// Arrival order does not matter: the gift first, the mother last.
	r := newTestStore(t, newResolver(t, merge.Options{}))
	r.add(shipped("gift", day(2025, 6, 10), b, "李秀英", phone(2)), asOf)
	for i, id := range []string{"t3", "t1", "t2"} {
		r.add(shipped(id, day(2025, 6, []int{3, 1, 2}[i]), b, "王芳", phone(1)), asOf)
	}
	r.add(described(rec("mum-card", day(2025, 5, 1), phone(2), member("pos", "M1")), "李秀英", identity.GenderFemale, identity.Date{}), asOf)
	if diff := cmp.Diff(s.partition(), r.partition(), sortedIDs); diff != "" {
		t.Errorf("arrival order changed the partition (-in order +shuffled):\n%s", diff)
	}
}

func TestReceiverConsistentWithBuyerJoins(t *testing.T) {
	// Orders shipped home under two spellings and to a second phone of
	// her own are all the buyer's: one profile, no gift.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	b := buyer("fang")
	s.add(shipped("t1", day(2025, 6, 1), b, "王芳", phone(1)), asOf)
	s.add(shipped("t2", day(2025, 6, 2), b, "王 芳", phone(1)), asOf)
	s.add(shipped("t3", day(2025, 6, 3), b, "Wang Fang", phone(3)), asOf)
	s.add(named(rec("card", day(2025, 7, 1), phone(3)), "王芳"), asOf)
	if got := len(s.profiles); got != 1 {
		t.Fatalf("%d profiles, want 1", got)
	}
	p := s.of("t1")
	if len(p.Gifts) != 0 {
		t.Errorf("gifts %v, want none", p.Gifts)
	}
	for _, ph := range []identity.Identifier{phone(1), phone(3)} {
		if st := status(p, ph); st != merge.StatusLinking {
			t.Errorf("phone %s, want linking", st)
		}
	}
}

func TestRecycledNumberStartsANewPerson(t *testing.T) {
	// Receipts of 2019 under 张伟, male; the number is reassigned, and from
	// 2025 李娜, female, uses it.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(described(rec("old1", day(2019, 3, 1), phone(5)), "张伟", identity.GenderMale, identity.Date{}), asOf)
	s.add(described(rec("old2", day(2019, 6, 1), phone(5)), "张伟", identity.GenderMale, identity.Date{}), asOf)
	s.add(described(rec("new1", day(2025, 2, 1), phone(5)), "李娜", identity.GenderFemale, identity.Date{}), asOf)
	s.add(described(rec("new2", day(2025, 4, 1), phone(5)), "李娜", "", identity.Date{}), asOf)
	want := [][]string{{"new1", "new2"}, {"old1", "old2"}}
	if diff := cmp.Diff(want, s.partition(), sortedIDs); diff != "" {
		t.Fatalf("partition (-want +got):\n%s", diff)
	}
	if st := status(s.of("old1"), phone(5)); st != merge.StatusRecycled {
		t.Errorf("the old profile lists the phone as %s, want recycled", st)
	}
	if st := status(s.of("new1"), phone(5)); st != merge.StatusLinking {
		t.Errorf("the new profile lists the phone as %s, want linking", st)
	}
	e, err := s.r.ExplainPair(s, s.key("old2"), s.key("new1"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Same || e.Rule != merge.RuleRecycled {
		t.Errorf("ExplainPair = %s, want apart by the recycled rule", e)
	}
	// The rule off: one profile.
	off := newTestStore(t, newResolver(t, merge.Options{RecycleAfter: -1}))
	for _, id := range []string{"old1", "old2", "new1", "new2"} {
		r := s.records[s.key(id)]
		off.add(r, asOf)
	}
	if got := len(off.profiles); got != 1 {
		t.Errorf("RecycleAfter off: %d profiles, want 1", got)
	}
}

func TestReturningCustomerIsNotSplit(t *testing.T) {
	// The same woman, after a year and a half away, under another spelling
	// of her name: one person.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(described(rec("a", day(2023, 3, 1), phone(5)), "王芳", identity.GenderFemale, identity.Date{Year: 1990, Month: 5, Day: 2}), asOf)
	s.add(described(rec("b", day(2024, 9, 1), phone(5)), "王女士", "", identity.Date{}), asOf)
	s.add(rec("c", day(2025, 8, 1), phone(5)), asOf) // a year later, says nothing of who
	if got := len(s.profiles); got != 1 {
		t.Errorf("%d profiles, want 1", got)
	}
	// After more than three times RecycleAfter, a record that names
	// nobody is no evidence that the number kept its owner.
	s.add(rec("d", day(2027, 6, 1), phone(5)), asOf)
	if diff := cmp.Diff([][]string{{"a", "b", "c"}, {"d"}}, s.partition(), sortedIDs); diff != "" {
		t.Errorf("after a silence of two years (-want +got):\n%s", diff)
	}
}

func TestPartialVersionAddsPhone(t *testing.T) {
	// A Weibo fan with a repost, then the same uid in a lead-form export
	// with a mobile and no timestamp of its own (observed at the account's
	// creation, so earlier): the phone is bound and the repost kept.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	fan := identity.Record{Channel: identity.ChannelWeibo, Source: "weibo", ID: "u1", Observed: day(2026, 3, 1),
		Identifiers: []identity.Identifier{weibo("u1")}}
	fan.Attributes.Nickname = "芳芳"
	fan = interact(fan, identity.InteractionRepost, day(2026, 3, 1))
	lead := identity.Record{Channel: identity.ChannelWeibo, Source: "weibo", ID: "u1", Observed: day(2020, 1, 1),
		Identifiers: []identity.Identifier{weibo("u1"), phone(1)}}
	lead.Attributes.Nickname = "fang2020"
	lead = interact(lead, identity.InteractionLeadForm, time.Time{})
	s.add(named(rec("card", day(2026, 1, 1), phone(1)), "王芳"), asOf)
	s.add(fan, asOf)
	ch := s.add(lead, asOf)
	if ch.NoOp {
		t.Fatal("the lead form was judged stale: its phone is lost")
	}
	if got := len(s.profiles); got != 1 {
		t.Fatalf("%d profiles, want 1: the fan is bound to the phone", got)
	}
	p := s.of("u1")
	var types []identity.InteractionType
	for _, e := range p.Events {
		types = append(types, e.Type)
	}
	slices.Sort(types)
	if diff := cmp.Diff([]identity.InteractionType{identity.InteractionLeadForm, identity.InteractionRepost}, types); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if f, _ := p.Field(merge.FieldNickname); f.Value != "芳芳" {
		t.Errorf("nickname %q, want the newer version's 芳芳", f.Value)
	}
	// Either arrival order gives the same profile.
	r := newTestStore(t, newResolver(t, merge.Options{}))
	r.add(named(rec("card", day(2026, 1, 1), phone(1)), "王芳"), asOf)
	r.add(lead, asOf)
	r.add(fan, asOf)
	if diff := cmp.Diff(s.anonymous(), r.anonymous(), cmp.Comparer(func(a, b identity.Phone) bool { return a == b })); diff != "" {
		t.Errorf("versions depend on arrival order (-fan first +lead first):\n%s", diff)
	}
	// A version again adds nothing: it differs from the combination held,
	// so it is stale, never unchanged.
	if again := s.add(fan, asOf); !again.NoOp || !again.Stale {
		t.Errorf("the same version again: %+v, want a stale NoOp", again)
	}
	older := fan
	older.Observed = day(2025, 1, 1)
	if again := s.add(older, asOf); !again.NoOp || !again.Stale {
		t.Errorf("an older version adding nothing: %+v, want a stale NoOp", again)
	}
}

func TestReExportAtEqualTimeUpdates(t *testing.T) {
	// A WeChat re-export with the same subscribe_time and a new phone: the
	// later import wins for what it states, and the old file re-imported
	// after it reverts nothing it does not state differently.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	at := day(2026, 2, 1)
	v1 := on(rec("o1", at, openid("app", "1")), identity.ChannelWeChat, "wx")
	v2 := on(rec("o1", at, openid("app", "1"), phone(7)), identity.ChannelWeChat, "wx")
	s.add(v1, asOf)
	if ch := s.add(v2, asOf); ch.NoOp {
		t.Fatal("a re-export with a new phone was dropped")
	}
	if st := status(s.of("o1"), phone(7)); st != merge.StatusLinking {
		t.Fatalf("the new phone is %s, want linking", st)
	}
	if ch := s.add(v1, asOf); !ch.NoOp {
		t.Error("re-importing the old file changed the record: it states no phone, so the phone stays")
	}
	if st := status(s.of("o1"), phone(7)); st != merge.StatusLinking {
		t.Errorf("after the old file again the phone is %s, want linking", st)
	}
}

func TestReferralCreditGoesToThePhonesUser(t *testing.T) {
	// A friend names the mother's phone as her referrer. The buyer, who
	// shipped a gift to that phone, holds it only as a gift's receiver:
	// she does not use it, and the credit is the mother's, whatever the
	// profiles' ids or first-seen times. It went to the buyer, whose first
	// order is older, and on a tie to the smaller (random) id.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	b := buyer("fang")
	s.add(shipped("t1", day(2025, 6, 1), b, "王芳", phone(1)), asOf)
	gift := shipped("gift", day(2025, 6, 10), b, "李秀英", phone(2))
	s.add(gift, asOf)
	for _, r := range merge.ReceiverRecords(&gift) {
		s.add(r, asOf)
	}
	s.add(paid(withReferral(t, rec("friend", day(2025, 7, 1), phone(3)), 2, day(2025, 7, 1)), "f1", 9900, day(2025, 7, 1)), asOf)
	mum := s.of("gift" + merge.ReceiverSuffix)
	if mum.ID == s.of("t1").ID {
		t.Fatal("the receiver record joined the buyer")
	}
	if got := len(mum.Credits); got != 1 {
		t.Errorf("the mother's profile holds %d credits, want 1", got)
	}
	if got := len(s.of("t1").Credits); got != 0 {
		t.Errorf("the buyer's profile holds %d credits of a phone she only shipped to, want 0", got)
	}
}
