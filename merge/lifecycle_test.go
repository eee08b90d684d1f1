package merge_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// profileOf ingests recs as of at and returns the profile holding the
// first record.
func profileOf(t *testing.T, o merge.Options, at time.Time, recs ...identity.Record) *merge.Profile {
	t.Helper()
	s := newTestStore(t, newResolver(t, o))
	for _, r := range recs {
		s.add(r, at)
	}
	return s.of(recs[0].ID)
}

func withReferral(t *testing.T, r identity.Record, referrer int, at time.Time) identity.Record {
	r.Referrals = append(r.Referrals, identity.Referral{Referrer: mustPhone(t, referrer), Time: at})
	return r
}

func withNPS(r identity.Record, score int, at time.Time) identity.Record {
	r.Feedback = append(r.Feedback, identity.Feedback{Kind: identity.FeedbackNPS, Score: score, Time: at})
	return r
}

func TestStage(t *testing.T) {
	me := func(id string, at time.Time) identity.Record { return rec(id, at, phone(1)) }
	buys := func(n int, from time.Time, every time.Duration) []identity.Record {
		var out []identity.Record
		for i := range n {
			at := from.Add(time.Duration(i) * every)
			out = append(out, paid(me("b"+string(rune('a'+i)), at), "o"+string(rune('a'+i)), 10000, at))
		}
		return out
	}
	recent := day(2026, 6, 1)
	tests := []struct {
		name string
		recs []identity.Record
		at   time.Time
		want merge.Stage
	}{
		{"a phone and nothing else is potential", []identity.Record{me("a", recent)}, asOf, merge.StagePotential},
		{"a follow is social contact: potential", []identity.Record{interact(me("a", recent), identity.InteractionFollow, recent)}, asOf, merge.StagePotential},
		{"a mention is social contact: potential", []identity.Record{interact(me("a", recent), identity.InteractionMention, recent)}, asOf, merge.StagePotential},
		{"a registration shows intent: target", []identity.Record{interact(me("a", recent), identity.InteractionRegistration, recent)}, asOf, merge.StageTarget},
		{"a lead form shows intent: target", []identity.Record{interact(me("a", recent), identity.InteractionLeadForm, recent)}, asOf, merge.StageTarget},
		{"a member number means a registration: target", []identity.Record{rec("a", recent, phone(1), member("pos", "M1"))}, asOf, merge.StageTarget},
		{"an unpaid order: target", []identity.Record{order(me("a", recent), "o1", identity.OrderUnpaid, 100, recent)}, asOf, merge.StageTarget},
		{"a cancelled order: target", []identity.Record{order(me("a", recent), "o1", identity.OrderCancelled, 100, recent)}, asOf, merge.StageTarget},
		{"a refunded order is no purchase: target", []identity.Record{order(me("a", recent), "o1", identity.OrderRefunded, 100, recent)}, asOf, merge.StageTarget},
		{"one paid order: first purchase", buys(1, recent, 0), asOf, merge.StageFirstPurchase},
		{"a paid order refunded later: target", append(buys(1, recent, 0),
			order(me("refund", recent.Add(merge.Day)), "oa", identity.OrderRefunded, 10000, recent)), asOf, merge.StageTarget},
		{"one order seen in two records counts once", append(buys(1, recent, 0),
			paid(me("copy", recent.Add(merge.Day)), "oa", 10000, recent)), asOf, merge.StageFirstPurchase},
		{"two paid orders: repeat", buys(2, recent, 30*merge.Day), asOf, merge.StageRepeat},
		{"five paid orders in the trailing year: loyal", buys(5, recent, 20*merge.Day), asOf, merge.StageLoyal},
		{"five paid orders, one outside the window: repeat", buys(5, day(2025, 11, 1), 60*merge.Day), asOf, merge.StageRepeat},
		{"the loyal customer a year later: repeat", buys(5, recent, 20*merge.Day), asOf.AddDate(1, 0, 0), merge.StageRepeat},
		{"an order after the as-of time does not count yet", buys(2, recent, 30*merge.Day), recent.Add(merge.Day), merge.StageFirstPurchase},
		{"repeat who referred a paying customer: advocate",
			append(buys(2, recent, 30*merge.Day), paid(withReferral(t, rec("friend", recent, phone(2)), 1, recent), "f1", 100, recent)), asOf, merge.StageAdvocate},
		{"repeat who referred a customer who has not paid: repeat",
			append(buys(2, recent, 30*merge.Day), withReferral(t, rec("friend", recent, phone(2)), 1, recent)), asOf, merge.StageRepeat},
		{"referring oneself is no referral: repeat",
			append(buys(2, recent, 30*merge.Day), paid(withReferral(t, rec("self", recent, phone(1)), 1, recent), "s1", 100, recent)), asOf, merge.StageRepeat},
		{"repeat promoter who reposted: advocate",
			append(buys(2, recent, 30*merge.Day), interact(withNPS(me("nps", recent), 9, recent), identity.InteractionRepost, recent)), asOf, merge.StageAdvocate},
		{"repeat promoter without a repost or mention: repeat",
			append(buys(2, recent, 30*merge.Day), withNPS(me("nps", recent), 10, recent)), asOf, merge.StageRepeat},
		{"the latest NPS counts: a promoter turned detractor is no advocate",
			append(buys(2, recent, 30*merge.Day), interact(withNPS(withNPS(me("nps", recent), 10, recent), 6, recent.Add(merge.Day)), identity.InteractionMention, recent)), asOf, merge.StageRepeat},
		{"a first-time buyer cannot be an advocate",
			append(buys(1, recent, 0), interact(withNPS(me("nps", recent), 10, recent), identity.InteractionRepost, recent)), asOf, merge.StageFirstPurchase},
		{"loyal who referred a paying customer: advocate",
			append(buys(5, recent, 20*merge.Day), paid(withReferral(t, rec("friend", recent, phone(2)), 1, recent), "f1", 100, recent)), asOf, merge.StageAdvocate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := profileOf(t, merge.Options{}, tc.at, tc.recs...).Stage; got != tc.want {
				t.Errorf("stage %s, want %s", got, tc.want)
			}
		})
	}
}

func TestStageThresholdsAreConfigurable(t *testing.T) {
	at := day(2026, 6, 1)
	recs := []identity.Record{
		paid(rec("a", at, phone(1)), "o1", 100, at),
		paid(rec("b", at, phone(1)), "o2", 100, at.Add(merge.Day)),
		paid(rec("c", at, phone(1)), "o3", 100, at.Add(2*merge.Day)),
	}
	tests := []struct {
		name  string
		rules merge.StageRules
		want  merge.Stage
	}{
		{"defaults", merge.StageRules{}, merge.StageRepeat},
		{"repeat from three orders", merge.StageRules{RepeatOrders: 4}, merge.StageFirstPurchase},
		{"loyal from three orders", merge.StageRules{LoyalOrders: 3}, merge.StageLoyal},
		{"loyal turned off", merge.StageRules{LoyalOrders: -1}, merge.StageRepeat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := profileOf(t, merge.Options{Stage: tc.rules}, asOf, recs...).Stage; got != tc.want {
				t.Errorf("stage %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRisk(t *testing.T) {
	last := day(2026, 6, 1)
	orders := func(times ...time.Time) []identity.Record {
		var out []identity.Record
		for i, at := range times {
			id := string(rune('a' + i))
			out = append(out, paid(rec(id, at, phone(1)), "o"+id, 100, at))
		}
		return out
	}
	every30 := orders(last.Add(-60*merge.Day), last.Add(-30*merge.Day), last)
	tests := []struct {
		name string
		recs []identity.Record
		at   time.Time
		want merge.Risk
	}{
		{"never bought: none", []identity.Record{rec("a", last, phone(1))}, asOf, merge.RiskNone},
		{"one-time buyer, 100 days: active", orders(last), last.Add(100 * merge.Day), merge.RiskActive},
		{"one-time buyer, 180 days: at risk", orders(last), last.Add(180 * merge.Day), merge.RiskAtRisk},
		{"one-time buyer, 365 days: lapsed", orders(last), last.Add(365 * merge.Day), merge.RiskLapsed},
		{"monthly buyer, 44 days: active", every30, last.Add(44 * merge.Day), merge.RiskActive},
		{"monthly buyer, 45 days (1.5 x 30): at risk", every30, last.Add(45 * merge.Day), merge.RiskAtRisk},
		{"monthly buyer, 90 days (3 x 30): lapsed", every30, last.Add(90 * merge.Day), merge.RiskLapsed},
		{"two orders on one day use the 30-day floor: active at 44 days", orders(last, last.Add(time.Hour)), last.Add(44 * merge.Day), merge.RiskActive},
		{"refunded orders are no purchases", []identity.Record{order(rec("a", last, phone(1)), "o", identity.OrderRefunded, 1, last)}, asOf, merge.RiskNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := profileOf(t, merge.Options{}, tc.at, tc.recs...).Risk; got != tc.want {
				t.Errorf("risk %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	at := day(2026, 6, 1)
	on := func(ch identity.Channel, id string, fen int64, when time.Time, currency string) identity.Record {
		r := paid(rec(id, when, phone(1)), "o-"+id, fen, when)
		r.Channel, r.Source = ch, string(ch)
		r.Orders[0].Currency = currency
		return r
	}
	score := func(id string, k identity.FeedbackKind, v int, when time.Time) identity.Record {
		r := rec(id, when, phone(1))
		r.Feedback = []identity.Feedback{{Kind: k, Score: v, Time: when}}
		return r
	}
	tests := []struct {
		name  string
		recs  []identity.Record
		check func(t *testing.T, m merge.Metrics)
	}{
		{"AOV rounds half up, per currency", []identity.Record{
			on("pos", "a", 1, at, "CNY"), on("pos", "b", 2, at.Add(merge.Day), "CNY"), on("pos", "c", 500, at, "HKD"),
		}, func(t *testing.T, m merge.Metrics) {
			want := []merge.CurrencySpend{
				{Currency: "CNY", Orders: 2, TotalFen: 3, AOVFen: 2, CLVFen: 9},
				{Currency: "HKD", Orders: 1, TotalFen: 500, AOVFen: 500, CLVFen: 1500},
			}
			if diff := cmp.Diff(want, m.Spend); diff != "" {
				t.Errorf("spend (-want +got):\n%s", diff)
			}
		}},
		{"CLV: a short history counts as one year", []identity.Record{
			on("pos", "a", 10000, at.Add(-100*merge.Day), "CNY"), on("pos", "b", 20000, at, "CNY"),
		}, func(t *testing.T, m merge.Metrics) {
			// AOV 15000 x 2 orders a year x 3 years.
			if got := m.Spend[0].CLVFen; got != 90000 {
				t.Errorf("CLV %d, want 90000", got)
			}
		}},
		{"CLV: frequency over the purchase span", []identity.Record{
			on("pos", "a", 10000, at.Add(-730*merge.Day), "CNY"), on("pos", "b", 10000, at.Add(-365*merge.Day), "CNY"), on("pos", "c", 10000, at, "CNY"),
		}, func(t *testing.T, m merge.Metrics) {
			// AOV 10000 x 1.5 orders a year (3 in 2 years) x 3 years.
			if got := m.Spend[0].CLVFen; got != 45000 {
				t.Errorf("CLV %d, want 45000", got)
			}
		}},
		{"first and last purchase, orders in the window", []identity.Record{
			on("pos", "a", 1, at.Add(-400*merge.Day), "CNY"), on("pos", "b", 1, at.Add(-10*merge.Day), "CNY"), on("pos", "c", 1, at, "CNY"),
		}, func(t *testing.T, m merge.Metrics) {
			if !m.FirstPurchase.Equal(at.Add(-400*merge.Day)) || !m.LastPurchase.Equal(at) || m.OrdersInWindow != 2 || m.PaidOrders != 3 {
				t.Errorf("first %v last %v window %d paid %d", m.FirstPurchase, m.LastPurchase, m.OrdersInWindow, m.PaidOrders)
			}
		}},
		{"preferred channel: where most purchases are", []identity.Record{
			on("ecommerce", "a", 1, at, "CNY"), on("pos", "b", 1, at.Add(-merge.Day), "CNY"), on("pos", "c", 1, at.Add(-2*merge.Day), "CNY"),
		}, func(t *testing.T, m merge.Metrics) {
			if m.PreferredChannel != identity.ChannelPOS {
				t.Errorf("preferred %s, want pos", m.PreferredChannel)
			}
		}},
		{"preferred channel: a tie goes to the latest", []identity.Record{
			on("ecommerce", "a", 1, at, "CNY"), on("pos", "b", 1, at.Add(-merge.Day), "CNY"),
		}, func(t *testing.T, m merge.Metrics) {
			if m.PreferredChannel != identity.ChannelEcommerce {
				t.Errorf("preferred %s, want ecommerce", m.PreferredChannel)
			}
		}},
		{"preferred channel without purchases: where most interactions are", []identity.Record{
			interact(interact(named(rec("a", at, phone(1), weibo("x")), ""), identity.InteractionLike, at), identity.InteractionComment, at),
			on2(interact(rec("b", at, phone(1)), identity.InteractionFollow, at), identity.ChannelWeChat),
		}, func(t *testing.T, m merge.Metrics) {
			if m.PreferredChannel != identity.ChannelPOS {
				t.Errorf("preferred %s, want pos (two interactions)", m.PreferredChannel)
			}
		}},
		{"NPS categories and the latest score", []identity.Record{
			score("a", identity.FeedbackNPS, 9, at), score("b", identity.FeedbackNPS, 7, at.Add(merge.Day)), score("c", identity.FeedbackCSAT, 2, at),
		}, func(t *testing.T, m merge.Metrics) {
			if m.NPS == nil || m.NPS.Score != 7 || m.NPS.Category != merge.CategoryPassive {
				t.Errorf("NPS %+v, want 7 passive", m.NPS)
			}
			if m.CSAT == nil || m.CSAT.Category != merge.CategoryDissatisfied {
				t.Errorf("CSAT %+v, want dissatisfied", m.CSAT)
			}
		}},
		{"NPS detractor", []identity.Record{score("a", identity.FeedbackNPS, 6, at)}, func(t *testing.T, m merge.Metrics) {
			if m.NPS.Category != merge.CategoryDetractor {
				t.Errorf("NPS %+v, want detractor", m.NPS)
			}
		}},
		{"NPS promoter, CSAT satisfied and neutral", []identity.Record{
			score("a", identity.FeedbackNPS, 10, at), score("b", identity.FeedbackCSAT, 4, at), score("c", identity.FeedbackCSAT, 3, at.Add(merge.Day)),
		}, func(t *testing.T, m merge.Metrics) {
			if m.NPS.Category != merge.CategoryPromoter || m.CSAT.Category != merge.CategoryNeutral {
				t.Errorf("NPS %+v CSAT %+v", m.NPS, m.CSAT)
			}
		}},
		{"referrals made, paid and not", []identity.Record{
			rec("me", at, phone(1)),
			paid(withReferral(t, rec("f1", at, phone(2)), 1, at), "f1", 100, at),
			withReferral(t, rec("f2", at, phone(3)), 1, at),
		}, func(t *testing.T, m merge.Metrics) {
			if m.Referrals != 2 || m.PaidReferrals != 1 {
				t.Errorf("referrals %d paid %d, want 2 and 1", m.Referrals, m.PaidReferrals)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, profileOf(t, merge.Options{}, asOf, tc.recs...).Metrics)
		})
	}
}

func on2(r identity.Record, ch identity.Channel) identity.Record { return on(r, ch, string(ch)) }

func TestRefresh(t *testing.T) {
	r := newResolver(t, merge.Options{})
	start := day(2026, 1, 10)
	var recs []identity.Record
	for i := range 5 {
		at := start.Add(time.Duration(i) * 30 * merge.Day)
		id := string(rune('a' + i))
		recs = append(recs, paid(rec(id, at, phone(1)), "o"+id, 100, at))
	}
	at := start.Add(130 * merge.Day)
	p := profileOf(t, merge.Options{}, at, recs...)
	if p.Stage != merge.StageLoyal || p.Risk != merge.RiskActive {
		t.Fatalf("stage %s risk %s, want loyal and active", p.Stage, p.Risk)
	}
	// The last order plus 1.5 x the 30-day mean is the next change.
	last := start.Add(120 * merge.Day)
	if want := last.Add(45 * merge.Day).UTC(); !p.NextRefresh.Equal(want) {
		t.Errorf("next refresh %v, want %v", p.NextRefresh, want)
	}
	q, changed, err := r.Refresh(p, p.NextRefresh.Add(-time.Nanosecond))
	if err != nil || changed || q.Risk != merge.RiskActive {
		t.Errorf("just before the next refresh: risk %s, changed %t, %v", q.Risk, changed, err)
	}
	q, changed, _ = r.Refresh(p, p.NextRefresh)
	if !changed || q.Risk != merge.RiskAtRisk {
		t.Errorf("at the next refresh: risk %s, changed %t, want at risk", q.Risk, changed)
	}
	// A year after the first order it leaves the window: loyal no more.
	q, changed, _ = r.Refresh(p, start.Add(365*merge.Day))
	if !changed || q.Stage != merge.StageRepeat || q.Metrics.OrdersInWindow != 4 {
		t.Errorf("a year on: stage %s, window %d, changed %t", q.Stage, q.Metrics.OrdersInWindow, changed)
	}
	if p.Stage != merge.StageLoyal {
		t.Error("Refresh modified its argument")
	}
	if _, _, err := r.Refresh(p, time.Time{}); err == nil {
		t.Error("Refresh with a zero time: no error")
	}
	// Refresh at the profile's own time is the identity.
	if q, changed, _ := r.Refresh(p, p.AsOf); changed || !cmp.Equal(p, q) {
		t.Errorf("Refresh at AsOf changed the profile: %s", cmp.Diff(p, q))
	}
}
