package merge_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

func consent(r identity.Record, p identity.Purpose, granted bool, at time.Time) identity.Record {
	r.Consent = append(r.Consent, identity.Consent{Purpose: p, Granted: granted, Time: at})
	return r
}

func TestConsent(t *testing.T) {
	mkt := identity.PurposeMarketing
	jan, mar := day(2026, 1, 1), day(2026, 3, 1)
	tests := []struct {
		name string
		recs []identity.Record
		want bool
	}{
		{"no statement: no consent", []identity.Record{rec("a", jan, phone(1))}, false},
		{"an explicit yes", []identity.Record{consent(rec("a", jan, phone(1)), mkt, true, jan)}, true},
		{"a record's latest statement stands: yes then no", []identity.Record{
			consent(consent(rec("a", jan, phone(1)), mkt, true, jan), mkt, false, mar)}, false},
		{"a record's latest statement stands: no then yes", []identity.Record{
			consent(consent(rec("a", jan, phone(1)), mkt, false, jan), mkt, true, mar)}, true},
		{"a tie within a record goes to no", []identity.Record{
			consent(consent(rec("a", jan, phone(1)), mkt, true, jan), mkt, false, jan)}, false},
		{"merged: an older no elsewhere still wins over a newer yes", []identity.Record{
			consent(rec("a", mar, phone(1)), mkt, true, mar), consent(rec("b", jan, phone(1)), mkt, false, jan)}, false},
		{"merged: a newer no wins", []identity.Record{
			consent(rec("a", jan, phone(1)), mkt, true, jan), consent(rec("b", mar, phone(1)), mkt, false, mar)}, false},
		{"merged: yes and silence is yes", []identity.Record{
			consent(rec("a", jan, phone(1)), mkt, true, jan), rec("b", mar, phone(1))}, true},
		{"another purpose's no does not matter", []identity.Record{
			consent(rec("a", jan, phone(1)), mkt, true, jan), consent(rec("b", mar, phone(1)), identity.PurposeThirdParty, false, mar)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := profileOf(t, merge.Options{}, asOf, tc.recs...)
			if got := p.Consented(mkt); got != tc.want {
				t.Errorf("marketing consent %t, want %t (%+v)", got, tc.want, p.Consent)
			}
		})
	}
}

// TestConsentNeverTurnsNoIntoYes merges a profile whose records say no
// with one whose records say yes, later: the merged profile says no, and
// detaching the no-saying record gives its yes back to the other side only.
func TestConsentNeverTurnsNoIntoYes(t *testing.T) {
	mkt := identity.PurposeMarketing
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(consent(rec("no", day(2026, 1, 1), phone(1)), mkt, false, day(2026, 1, 1)), asOf)
	s.add(consent(rec("yes", day(2026, 5, 1), phone(2)), mkt, true, day(2026, 5, 1)), asOf)
	if s.of("no").Consented(mkt) || !s.of("yes").Consented(mkt) {
		t.Fatal("before the merge: want no and yes")
	}
	s.add(rec("bridge", day(2026, 6, 1), phone(1), phone(2)), asOf)
	p := s.of("yes")
	if p.Consented(mkt) {
		t.Fatal("the merge turned a no into a yes")
	}
	c := p.Consent[0]
	if c.Yes != 1 || c.No != 1 || c.LastNo == nil || c.LastNo.From.Record.ID != "no" {
		t.Errorf("consent state %+v, want one yes, one no from record no", c)
	}
	s.do(s.r.Detach(s, s.key("no"), s.newID, asOf))
	if s.of("no").Consented(mkt) {
		t.Error("the detached no-saying record gained consent")
	}
	if !s.of("yes").Consented(mkt) {
		t.Error("the other side lost the consent its own records give")
	}
}

func TestSurvivorship(t *testing.T) {
	jan, mar := day(2026, 1, 1), day(2026, 3, 1)
	person := func(r identity.Record, name, nick, city string) identity.Record {
		r.Attributes.Name, r.Attributes.Nickname, r.Attributes.City = name, nick, city
		return r
	}
	wx := on(person(rec("wx", mar, phone(1)), "", "梅子", "广州"), identity.ChannelWeChat, "wx")
	pos := person(rec("pos", jan, phone(1)), "李梅", "", "深圳")
	shop := on(person(rec("shop", mar, phone(1)), "李美", "meimei", "深圳"), identity.ChannelEcommerce, "tmall")
	crm := on(person(rec("crm", jan, phone(1)), "N/A", "", ""), identity.ChannelCSV, "crm")

	p := profileOf(t, merge.Options{}, asOf, pos, wx, shop, crm)
	name, _ := p.Field(merge.FieldPersonName)
	wantName := merge.Field{
		Name: merge.FieldPersonName, Value: "李梅", Records: 1,
		From: merge.Provenance{Record: pos.Key(), Observed: jan.UTC()},
		Alternatives: []merge.Alternative{
			{Value: "李美", From: merge.Provenance{Record: shop.Key(), Observed: mar.UTC()}, Records: 1},
			// A placeholder loses even to a lower-priority source.
			{Value: "N/A", From: merge.Provenance{Record: crm.Key(), Observed: jan.UTC()}, Records: 1},
		},
	}
	if diff := cmp.Diff(wantName, name); diff != "" {
		t.Errorf("name (-want +got):\n%s", diff)
	}
	nick, _ := p.Field(merge.FieldNickname)
	if nick.Value != "梅子" {
		t.Errorf("nickname %q, want WeChat's", nick.Value)
	}
	city, _ := p.Field(merge.FieldCity)
	if city.Value != "深圳" || city.Records != 2 || city.From.Record != pos.Key() {
		t.Errorf("city %+v, want 深圳 from the POS record, stated by 2 records", city)
	}

	// Priority configured: the shop first for names; recency breaks ties
	// among unlisted sources.
	p = profileOf(t, merge.Options{Priority: map[merge.FieldName][]string{merge.FieldPersonName: {"tmall"}}}, asOf, pos, wx, shop, crm)
	if name, _ := p.Field(merge.FieldPersonName); name.Value != "李美" {
		t.Errorf("name %q with tmall first, want 李美", name.Value)
	}
	later := wx
	later.Observed = mar.Add(merge.Day)
	p = profileOf(t, merge.Options{Priority: map[merge.FieldName][]string{merge.FieldCity: {}}}, asOf, pos, later, shop, crm)
	if city, _ := p.Field(merge.FieldCity); city.Value != "广州" || city.From.Record != wx.Key() {
		t.Errorf("city %+v without priority, want the most recent", city)
	}
	if _, ok := p.Field(merge.FieldBirthday); ok {
		t.Error("a field no record states is present")
	}
	phoneField, _ := p.Field(merge.FieldPhone)
	if phoneField.Value != phone(1).Value || phoneField.Records != 4 {
		t.Errorf("phone field %+v", phoneField)
	}
}

func TestProfileJSONRoundTrip(t *testing.T) {
	// A profile with every part filled: records, identifier states,
	// fields with alternatives, orders, events, feedback, consent,
	// credits, constraints, separations, metrics.
	s := newTestStore(t, newResolver(t, merge.Options{}))
	at := day(2026, 2, 1)
	r := paid(named(rec("a", at, phone(1), unionid("a"), member("pos", "M1")), "李梅"), "o1", 12345, at)
	r = interact(withNPS(consent(r, identity.PurposeMarketing, true, at), 9, at), identity.InteractionRepost, at)
	r.Attributes.Birthday = identity.Date{Year: 1990, Month: 4, Day: 5}
	s.add(r, asOf)
	s.add(rec("a2", at, phone(1), unionid("a")), asOf)
	s.add(paid(named(rec("b", at.Add(merge.Day), phone(1), email("m")), "李美"), "o2", 100, at), asOf)
	s.add(paid(withReferral(t, rec("friend", at, phone(2)), 1, at), "f", 1, at), asOf)
	s.add(rec("other", at, phone(1), unionid("z")), asOf)
	s.do(s.r.Separate(s, s.key("a"), s.key("b"), s.newID, asOf))
	p := s.of("a")
	if len(p.Credits) == 0 || len(p.DoNotLink) == 0 || len(p.Separations) == 0 || len(p.Fields) == 0 ||
		p.Metrics.NPS == nil || len(p.Consent) == 0 || len(p.Events) == 0 {
		t.Fatalf("profile not filled enough for the test: %+v", p)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back merge.Profile
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, &back); diff != "" {
		t.Errorf("round trip (-before +after):\n%s", diff)
	}
	again, _ := json.Marshal(&back)
	if string(again) != string(b) {
		t.Errorf("re-encoding differs:\n%s\n%s", b, again)
	}
	if c := p.Clone(); !cmp.Equal(p, c) {
		t.Errorf("Clone differs: %s", cmp.Diff(p, c))
	}
}
