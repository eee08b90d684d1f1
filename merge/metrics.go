package merge

import (
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// finalize computes everything in p that is derived, as of asOf: first and
// last seen, metrics, stage, risk and the next refresh time. It reads only
// p, so a stored profile can be refreshed without its records.
func (c *config) finalize(p *Profile, asOf time.Time) {
	asOf = asOf.UTC()
	p.AsOf = asOf
	var next time.Time
	// due notes a time at which the derived values change.
	due := func(t time.Time) {
		if t.After(asOf) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	p.FirstSeen, p.LastSeen = seen(p)

	var m Metrics
	var datedBuf [8]time.Time
	dated := datedBuf[:0] // dated paid orders
	intent, promotes := false, false
	// Per currency and per channel: a handful each, kept in slices on
	// the stack rather than in maps.
	var spendBuf [2]spendAgg
	var buysBuf, touchesBuf [4]channelAgg
	spend, buys, touches := spendBuf[:0], buysBuf[:0], touchesBuf[:0]

	for i := range p.Orders {
		o := &p.Orders[i]
		if o.Time.After(asOf) {
			due(o.Time)
			continue
		}
		if o.Status != identity.OrderPaid {
			intent = true
			continue
		}
		m.PaidOrders++
		buys = count(buys, o.From.Record.Channel, o.Time)
		j := slices.IndexFunc(spend, func(s spendAgg) bool { return s.currency == o.Currency })
		if j < 0 {
			j = len(spend)
			spend = append(spend, spendAgg{currency: o.Currency})
		}
		s := &spend[j]
		s.orders++
		s.total = addSat(s.total, o.AmountFen)
		if !o.Time.IsZero() {
			dated = append(dated, o.Time)
			if s.first.IsZero() || o.Time.Before(s.first) {
				s.first = o.Time
			}
			if o.Time.After(s.last) {
				s.last = o.Time
			}
		}
	}
	slices.SortFunc(dated, compareTime)
	if len(dated) > 0 {
		m.FirstPurchase, m.LastPurchase = dated[0], dated[len(dated)-1]
	}
	for _, t := range dated {
		if end := t.Add(c.window); end.After(asOf) {
			m.OrdersInWindow++
			due(end)
		}
	}
	slices.SortFunc(spend, func(a, b spendAgg) int { return compareStr(a.currency, b.currency) })
	if len(spend) > 0 {
		m.Spend = make([]CurrencySpend, len(spend))
	}
	for i, s := range spend {
		cs := CurrencySpend{Currency: s.currency, Orders: s.orders, TotalFen: s.total}
		cs.AOVFen = mulDivRound(s.total, 1, int64(s.orders))
		spanDays := int64(0)
		if !s.first.IsZero() {
			spanDays = int64(s.last.Sub(s.first) / Day)
		}
		cs.CLVFen = mulDivRound(s.total, c.lifespanDays, max(spanDays, 365))
		m.Spend[i] = cs
	}

	for i := range p.Events {
		e := &p.Events[i]
		if e.Time.After(asOf) {
			due(e.Time)
			continue
		}
		touches = count(touches, e.Record.Channel, e.Time)
		switch {
		case e.Type.Intent():
			intent = true
		case e.Type == identity.InteractionRepost || e.Type == identity.InteractionMention:
			promotes = true
		}
	}
	for _, s := range p.Identifiers {
		if s.Identifier.Kind == identity.KindMember && s.Status != StatusHub && s.Status != StatusBlocked {
			intent = true // a member number means a member registration
		}
	}
	var nps, csat Score
	hasNPS, hasCSAT := false, false
	for i := range p.Feedback {
		f := &p.Feedback[i]
		if f.Time.After(asOf) {
			due(f.Time)
			continue
		}
		score := Score{Score: f.Score, Category: category(f.Kind, f.Score), Time: f.Time, From: f.From}
		switch f.Kind {
		case identity.FeedbackNPS:
			if !hasNPS || laterScore(&score, &nps) {
				nps, hasNPS = score, true
			}
		case identity.FeedbackCSAT:
			if !hasCSAT || laterScore(&score, &csat) {
				csat, hasCSAT = score, true
			}
		}
	}
	if hasNPS {
		m.NPS = clonePtr(&nps)
	}
	if hasCSAT {
		m.CSAT = clonePtr(&csat)
	}
	for _, cr := range p.Credits {
		if cr.Time.After(asOf) {
			due(cr.Time)
			continue
		}
		if cr.Revoked || p.Holds(cr.Referred) {
			continue // a referral of one's own record is no referral
		}
		m.Referrals++
		if cr.Paid {
			m.PaidReferrals++
		}
	}
	m.PreferredChannel = preferred(buys)
	if m.PreferredChannel == "" {
		m.PreferredChannel = preferred(touches)
	}
	p.Metrics = m

	p.Stage = c.ladder(&m, intent, promotes)
	var riskDue [2]time.Time
	var n int
	p.Risk, riskDue, n = c.risk(dated, asOf)
	for _, t := range riskDue[:n] {
		due(t)
	}
	p.NextRefresh = next
}

// spendAgg sums the paid orders in one currency.
type spendAgg struct {
	currency    string
	orders      int
	total       int64
	first, last time.Time
}

// seen returns the earliest and latest times p's records state.
func seen(p *Profile) (first, last time.Time) {
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	for _, r := range p.Records {
		see(r.Observed)
	}
	for _, o := range p.Orders {
		see(o.Time)
	}
	for _, e := range p.Events {
		see(e.Time)
	}
	for _, f := range p.Feedback {
		see(f.Time)
	}
	return first, last
}

// stage applies the ladder's rules, top rung first.
func (c *config) ladder(m *Metrics, intent, promotes bool) Stage {
	r := c.rules
	switch {
	case m.PaidOrders == 0 && intent:
		return StageTarget
	case m.PaidOrders == 0:
		return StagePotential
	}
	st := StageFirstPurchase
	if m.PaidOrders >= r.RepeatOrders {
		st = StageRepeat
	}
	if r.LoyalOrders > 0 && m.OrdersInWindow >= r.LoyalOrders {
		st = StageLoyal
	}
	if st == StageFirstPurchase {
		return st
	}
	referrer := r.AdvocateReferrals > 0 && m.PaidReferrals >= r.AdvocateReferrals
	promoter := r.PromoterScore > 0 && m.NPS != nil && m.NPS.Score >= r.PromoterScore && promotes
	if referrer || promoter {
		return StageAdvocate
	}
	return st
}

// risk returns the churn risk from the dated paid orders (ascending), and
// the first n of due, the times at which it will change.
func (c *config) risk(dated []time.Time, asOf time.Time) (r Risk, due [2]time.Time, n int) {
	if len(dated) == 0 {
		return RiskNone, due, 0
	}
	ch := c.churn
	first, last := dated[0], dated[len(dated)-1]
	atRisk, lapsed := ch.OneTimeAtRisk, ch.OneTimeLapsed
	if len(dated) > 1 {
		mean := max(last.Sub(first)/time.Duration(len(dated)-1), ch.MinInterval)
		atRisk = scale(mean, ch.AtRiskFactor)
		lapsed = scale(mean, ch.LapsedFactor)
	}
	since := asOf.Sub(last)
	switch {
	case since >= lapsed:
		return RiskLapsed, due, 0
	case since >= atRisk:
		due[0] = last.Add(lapsed)
		return RiskAtRisk, due, 1
	}
	due[0], due[1] = last.Add(atRisk), last.Add(lapsed)
	return RiskActive, due, 2
}

// scale multiplies d by f, saturating instead of overflowing.
func scale(d time.Duration, f float64) time.Duration {
	v := float64(d) * f
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(v)
}

func category(k identity.FeedbackKind, score int) string {
	switch k {
	case identity.FeedbackNPS:
		switch {
		case score >= 9:
			return CategoryPromoter
		case score >= 7:
			return CategoryPassive
		}
		return CategoryDetractor
	case identity.FeedbackCSAT:
		switch {
		case score >= 4:
			return CategorySatisfied
		case score == 3:
			return CategoryNeutral
		}
		return CategoryDissatisfied
	}
	return ""
}

// laterScore reports whether a is more recent than b; at equal times
// the smaller record key, then the lower score wins.
func laterScore(a, b *Score) bool {
	c := compareLater(a.Time, b.Time)
	return c < 0 || c == 0 && (compareKey(a.From.Record, b.From.Record) < 0 ||
		a.From.Record == b.From.Record && a.Score < b.Score)
}

// channelAgg counts what a customer did on one channel.
type channelAgg struct {
	ch   identity.Channel
	n    int
	last time.Time
}

// count adds an activity at t on channel ch to aggs.
func count(aggs []channelAgg, ch identity.Channel, t time.Time) []channelAgg {
	i := slices.IndexFunc(aggs, func(a channelAgg) bool { return a.ch == ch })
	if i < 0 {
		i = len(aggs)
		aggs = append(aggs, channelAgg{ch: ch})
	}
	a := &aggs[i]
	a.n++
	if t.After(a.last) {
		a.last = t
	}
	return aggs
}

// preferred returns the channel with the most activity, the most recent
// activity breaking a tie, then the channel name. It sorts aggs.
func preferred(aggs []channelAgg) identity.Channel {
	slices.SortFunc(aggs, func(a, b channelAgg) int { return compareStr(string(a.ch), string(b.ch)) })
	var b *channelAgg
	for i := range aggs {
		if a := &aggs[i]; b == nil || a.n > b.n || a.n == b.n && a.last.After(b.last) {
			b = a
		}
	}
	if b == nil {
		return ""
	}
	return b.ch
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	if len(m) == 0 {
		return nil
	}
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// addSat adds non-negative amounts, saturating at the largest int64.
func addSat(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

// mulDivRound returns a*b/d rounded half up, for a, b >= 0 and d > 0,
// saturating at the largest int64.
func mulDivRound(a, b, d int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	lo2, carry := bits.Add64(lo, uint64(d)/2, 0)
	hi += carry
	if hi >= uint64(d) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo2, uint64(d))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
