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
	next := nextChange{asOf: asOf}
	p.FirstSeen, p.LastSeen = seen(p)

	var datedBuf [8]time.Time
	var sig signals
	var dated []time.Time // dated paid orders, ascending
	p.Metrics, dated = c.metrics(p, &next, &sig, datedBuf[:0])
	p.Stage = c.ladder(&p.Metrics, sig.intent, sig.promotes)
	var riskDue [2]time.Time
	var n int
	p.Risk, riskDue, n = c.risk(dated, asOf)
	for _, t := range riskDue[:n] {
		next.at(t)
	}
	p.NextRefresh = next.t
}

// nextChange finds the earliest time after asOf at which a derived value
// changes: the profile's next refresh.
type nextChange struct {
	asOf, t time.Time
}

// at notes a time at which a derived value changes.
func (n *nextChange) at(t time.Time) {
	if t.After(n.asOf) && (n.t.IsZero() || t.Before(n.t)) {
		n.t = t
	}
}

// signals are what the ladder needs besides the metrics.
type signals struct {
	intent   bool // purchase intent: an unpaid order, an intent event, a member number
	promotes bool // a repost or a mention of the brand
}

// metrics computes p's metrics as of next.asOf, noting in next when they
// change and in sig what the ladder needs; it returns them with the times
// of p's dated paid orders, ascending, appended to dated.
func (c *config) metrics(p *Profile, next *nextChange, sig *signals, dated []time.Time) (Metrics, []time.Time) {
	var m Metrics
	// Per channel: a handful each, kept in slices on the stack rather
	// than in maps.
	var buysBuf, touchesBuf [4]channelAgg
	var buys []channelAgg
	dated, buys = c.orderMetrics(&m, p.Orders, next, sig, dated, buysBuf[:0])
	touches := engagement(p, next, sig, touchesBuf[:0])
	latestScores(&m, p.Feedback, next)
	referrals(&m, p, next)
	m.PreferredChannel = preferred(buys)
	if m.PreferredChannel == "" {
		m.PreferredChannel = preferred(touches)
	}
	return m, dated
}

// orderMetrics counts the paid orders in m (orders, first and last
// purchase, orders in the window, spend per currency) and the channels
// they came from in buys; an unpaid order is a sign of intent. It returns
// dated and buys with the paid orders appended.
func (c *config) orderMetrics(m *Metrics, orders []OrderState, next *nextChange, sig *signals, dated []time.Time, buys []channelAgg) ([]time.Time, []channelAgg) {
	var spendBuf [2]spendAgg // per currency, as buys per channel
	spend := spendBuf[:0]
	for i := range orders {
		o := &orders[i]
		if o.Time.After(next.asOf) {
			next.at(o.Time)
			continue
		}
		if o.Status != identity.OrderPaid {
			sig.intent = true
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
		if end := t.Add(c.window); end.After(next.asOf) {
			m.OrdersInWindow++
			next.at(end)
		}
	}
	m.Spend = c.currencySpend(spend)
	return dated, buys
}

// currencySpend returns the spend, average order value and predicted
// lifetime value in each currency, by currency code; nil for none.
func (c *config) currencySpend(spend []spendAgg) []CurrencySpend {
	if len(spend) == 0 {
		return nil
	}
	slices.SortFunc(spend, func(a, b spendAgg) int { return compareStr(a.currency, b.currency) })
	out := make([]CurrencySpend, len(spend))
	for i, s := range spend {
		cs := CurrencySpend{Currency: s.currency, Orders: s.orders, TotalFen: s.total}
		cs.AOVFen = mulDivRound(s.total, 1, int64(s.orders))
		spanDays := int64(0)
		if !s.first.IsZero() {
			spanDays = int64(s.last.Sub(s.first) / Day)
		}
		cs.CLVFen = mulDivRound(s.total, c.lifespanDays, max(spanDays, 365))
		out[i] = cs
	}
	return out
}

// engagement counts p's events by channel in touches, and notes in sig
// the events that show intent or promote the brand, and the member
// numbers (a member registration is intent). It returns touches.
func engagement(p *Profile, next *nextChange, sig *signals, touches []channelAgg) []channelAgg {
	for i := range p.Events {
		e := &p.Events[i]
		if e.Time.After(next.asOf) {
			next.at(e.Time)
			continue
		}
		touches = count(touches, e.Record.Channel, e.Time)
		switch {
		case e.Type.Intent():
			sig.intent = true
		case e.Type == identity.InteractionRepost || e.Type == identity.InteractionMention:
			sig.promotes = true
		}
	}
	for _, s := range p.Identifiers {
		if s.Identifier.Kind == identity.KindMember && s.Status != StatusHub && s.Status != StatusBlocked {
			sig.intent = true // a member number means a member registration
		}
	}
	return touches
}

// latestScores sets m's NPS and CSAT to the latest score of each kind.
func latestScores(m *Metrics, feedback []FeedbackEntry, next *nextChange) {
	var nps, csat Score
	hasNPS, hasCSAT := false, false
	for i := range feedback {
		f := &feedback[i]
		if f.Time.After(next.asOf) {
			next.at(f.Time)
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
}

// referrals counts in m the people p referred, and those who paid.
func referrals(m *Metrics, p *Profile, next *nextChange) {
	for _, cr := range p.Credits {
		if cr.Time.After(next.asOf) {
			next.at(cr.Time)
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
