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
	var dated []time.Time // dated paid orders
	intent, promotes := false, false
	type spendAgg struct {
		orders      int
		total       int64
		first, last time.Time
	}
	spend := map[string]*spendAgg{}
	buys, touches := map[identity.Channel]*channelAgg{}, map[identity.Channel]*channelAgg{}
	count := func(into map[identity.Channel]*channelAgg, ch identity.Channel, t time.Time) {
		a := into[ch]
		if a == nil {
			a = &channelAgg{}
			into[ch] = a
		}
		a.n++
		if t.After(a.last) {
			a.last = t
		}
	}

	for _, o := range p.Orders {
		if o.Time.After(asOf) {
			due(o.Time)
			continue
		}
		if o.Status != identity.OrderPaid {
			intent = true
			continue
		}
		m.PaidOrders++
		count(buys, o.From.Record.Channel, o.Time)
		s := spend[o.Currency]
		if s == nil {
			s = &spendAgg{}
			spend[o.Currency] = s
		}
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
	for _, cur := range sortedKeys(spend) {
		s := spend[cur]
		cs := CurrencySpend{Currency: cur, Orders: s.orders, TotalFen: s.total}
		cs.AOVFen = mulDivRound(s.total, 1, int64(s.orders))
		spanDays := int64(0)
		if !s.first.IsZero() {
			spanDays = int64(s.last.Sub(s.first) / Day)
		}
		cs.CLVFen = mulDivRound(s.total, c.lifespanDays, max(spanDays, 365))
		m.Spend = append(m.Spend, cs)
	}

	for _, e := range p.Events {
		if e.Time.After(asOf) {
			due(e.Time)
			continue
		}
		count(touches, e.Record.Channel, e.Time)
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
	for _, f := range p.Feedback {
		if f.Time.After(asOf) {
			due(f.Time)
			continue
		}
		score := &Score{Score: f.Score, Category: category(f.Kind, f.Score), Time: f.Time, From: f.From}
		switch f.Kind {
		case identity.FeedbackNPS:
			m.NPS = laterScore(m.NPS, score)
		case identity.FeedbackCSAT:
			m.CSAT = laterScore(m.CSAT, score)
		}
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
	var riskDue []time.Time
	p.Risk, riskDue = c.risk(dated, asOf)
	for _, t := range riskDue {
		due(t)
	}
	p.NextRefresh = next
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
// the times at which it will change.
func (c *config) risk(dated []time.Time, asOf time.Time) (Risk, []time.Time) {
	n := len(dated)
	if n == 0 {
		return RiskNone, nil
	}
	ch := c.churn
	first, last := dated[0], dated[n-1]
	atRisk, lapsed := ch.OneTimeAtRisk, ch.OneTimeLapsed
	if n > 1 {
		mean := max(last.Sub(first)/time.Duration(n-1), ch.MinInterval)
		atRisk = scale(mean, ch.AtRiskFactor)
		lapsed = scale(mean, ch.LapsedFactor)
	}
	since := asOf.Sub(last)
	switch {
	case since >= lapsed:
		return RiskLapsed, nil
	case since >= atRisk:
		return RiskAtRisk, []time.Time{last.Add(lapsed)}
	}
	return RiskActive, []time.Time{last.Add(atRisk), last.Add(lapsed)}
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

// laterScore returns the more recent score; at equal times the smaller
// record key, then the lower score.
func laterScore(a, b *Score) *Score {
	if a == nil {
		return b
	}
	if c := compareLater(b.Time, a.Time); c < 0 || c == 0 && (compareKey(b.From.Record, a.From.Record) < 0 ||
		b.From.Record == a.From.Record && b.Score < a.Score) {
		return b
	}
	return a
}

// channelAgg counts what a customer did on one channel.
type channelAgg struct {
	n    int
	last time.Time
}

// preferred returns the channel with the most activity, the most recent
// activity breaking a tie, then the channel name.
func preferred(m map[identity.Channel]*channelAgg) identity.Channel {
	var best identity.Channel
	var b *channelAgg
	for _, ch := range sortedKeys(m) {
		if a := m[ch]; b == nil || a.n > b.n || a.n == b.n && a.last.After(b.last) {
			best, b = ch, a
		}
	}
	return best
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
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
