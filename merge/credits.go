package merge

import (
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// creditsOf returns the credits rec gives its referrers: one per referrer
// phone, at the earliest time the record names it.
func creditsOf(rec *identity.Record) []Credit {
	if len(rec.Referrals) == 0 {
		return nil
	}
	paid := recordPaid(rec)
	var out []Credit
	for _, ref := range rec.Referrals {
		if ref.Referrer.IsZero() {
			continue
		}
		cr := Credit{
			Referrer: identity.Identifier{Kind: identity.KindPhone, Value: ref.Referrer.String()},
			Referred: rec.Key(),
			Paid:     paid,
			Time:     orObserved(ref.Time, rec),
		}
		out = upsert(out, cr, compareCredit, func(a, b Credit) Credit {
			if compareEarlier(b.Time, a.Time) < 0 {
				return b
			}
			return a
		})
	}
	return out
}

// recordPaid reports whether the record carries an order whose state, as
// the record tells it, is paid.
func recordPaid(rec *identity.Record) bool {
	var orders []OrderState
	for _, o := range rec.Orders {
		orders = append(orders, OrderState{Platform: o.Platform, ID: o.ID, Status: o.Status, AmountFen: o.AmountFen, Time: o.Time, Currency: o.Currency})
	}
	for _, o := range reduce(orders, compareOrderKey, mergeOrder) {
		if o.Status == identity.OrderPaid {
			return true
		}
	}
	return false
}

func compareCredit(a, b Credit) int {
	if c := compareIdentifier(a.Referrer, b.Referrer); c != 0 {
		return c
	}
	return compareKey(a.Referred, b.Referred)
}

// applyCredit records cr on p, replacing the credit with the same referrer
// and referred record, or removing it when cr is revoked.
func applyCredit(p *Profile, cr Credit) {
	p.Credits = slices.Clone(p.Credits)
	i, found := slices.BinarySearchFunc(p.Credits, cr, compareCredit)
	switch {
	case cr.Revoked && found:
		p.Credits = slices.Delete(p.Credits, i, i+1)
	case cr.Revoked:
	case found:
		p.Credits[i] = cr
	default:
		p.Credits = slices.Insert(p.Credits, i, cr)
	}
	if len(p.Credits) == 0 {
		p.Credits = nil
	}
}

// route gives cr to the profile holding its referrer phone: among the
// results and the profiles outside the component, one that uses the phone
// (it links its records) before one that used it (recycled since), then
// the one whose records carry the phone most often, then the earliest
// first seen, then the smaller id. A buyer who only shipped a gift to the
// phone ([StatusReceiver]) does not use it and gets none. Without such a
// profile the credit waits in Pending. A credit for a blocked or hub
// phone goes nowhere: a placeholder refers no one.
func (w *workset) route(cr Credit) error {
	phone := cr.Referrer
	if w.s.c.blocked[phone] {
		return nil
	}
	lk, err := w.s.lookup(phone)
	if err != nil {
		return err
	}
	if lk.hub {
		return nil
	}
	for _, p := range w.results {
		if st, ok := p.identifier(phone); ok && st.Status == StatusHub {
			return nil // flagged in this very change
		}
	}
	w.seeResults()
	var best *Profile
	var bestN int
	var bestOld bool
	consider := func(p *Profile) {
		st, ok := p.identifier(phone)
		if !ok || !usesPhone(st.Status) {
			return
		}
		old := st.Status == StatusRecycled
		if best == nil || bestOld && !old || bestOld == old && (st.Records > bestN || st.Records == bestN && (compareEarlier(p.FirstSeen, best.FirstSeen) < 0 ||
			compareEarlier(p.FirstSeen, best.FirstSeen) == 0 && p.ID < best.ID)) {
			best, bestN, bestOld = p, st.Records, old
		}
	}
	for _, p := range w.results {
		consider(p)
	}
	for _, p := range lk.profiles {
		if w.old(p.ID) != nil {
			continue
		}
		if e, ok := w.extras[p.ID]; ok {
			consider(e)
		} else {
			consider(p)
		}
	}
	if best == nil {
		w.pending = upsert(w.pending, cr, compareCredit, func(_, b Credit) Credit { return b })
		return nil
	}
	if !slices.Contains(w.results, best) && w.extras[best.ID] != best {
		if w.extras == nil {
			w.extras, w.origins = map[string]*Profile{}, map[string]*Profile{}
		}
		w.origins[best.ID] = best
		best = best.Clone()
		w.extras[best.ID] = best
	}
	applyCredit(best, cr)
	return nil
}

// usesPhone reports whether a profile holding a phone with status st is
// (or was) its user, whom a referral naming the phone means: not when it
// is a placeholder (hub, blocked) nor a gift's receiver on a buyer's
// orders.
func usesPhone(st Status) bool {
	return st != StatusHub && st != StatusBlocked && st != StatusReceiver
}

// routeRecordCredits routes the credits rec gives, and revokes those its
// previous version gave that it no longer does.
func (w *workset) routeRecordCredits(rec, previous *identity.Record) error {
	now := creditsOf(rec)
	if previous != nil {
		for _, cr := range creditsOf(previous) {
			if _, found := slices.BinarySearchFunc(now, cr, compareCredit); !found {
				cr.Revoked = true
				if err := w.route(cr); err != nil {
					return err
				}
			}
		}
	}
	for _, cr := range now {
		if err := w.route(cr); err != nil {
			return err
		}
	}
	return nil
}

// claimPending applies the pending credits of every phone among ids that
// no profile used before this change (a buyer who shipped a gift to it
// holds it without using it: see [usesPhone]).
func (w *workset) claimPending(ids []identity.Identifier) error {
	for _, id := range ids {
		if id.Kind != identity.KindPhone || w.s.c.blocked[id] {
			continue
		}
		lk, err := w.s.lookup(id) // a phone the component did not link by is read here
		if err != nil {
			return err
		}
		used := func(p *Profile) bool {
			st, held := p.identifier(id)
			return held && usesPhone(st.Status)
		}
		hub := func(p *Profile) bool {
			st, held := p.identifier(id)
			return held && st.Status == StatusHub
		}
		// Claimed by the first profile to use it: not before (its
		// credits went to a user then), and not while only buyers who
		// shipped gifts to it hold it (they keep waiting). A phone
		// flagged a hub in this change claims them too, to drop them.
		if lk.hub || slices.ContainsFunc(lk.profiles, used) ||
			!slices.ContainsFunc(w.results, used) && !slices.ContainsFunc(w.results, hub) {
			continue
		}
		credits, err := w.s.rd.Pending(id)
		if err != nil {
			return fmt.Errorf("merge: reading pending credits: %w", err)
		}
		for _, cr := range credits {
			if cr.Referrer != id || cr.Revoked {
				return &StateError{Record: cr.Referred, Problem: "Pending returned a credit for another phone, or a revoked one"}
			}
			if err := w.route(cr); err != nil {
				return err
			}
		}
		if len(credits) > 0 {
			w.claimed = append(w.claimed, id)
		}
	}
	return nil
}

// Credit applies referral credits to the profiles holding their referrer
// phones, as of asOf: the way to hand over credits a store kept pending
// without an [Resolver.Add] (Add claims them itself, see [Reader]). Credits
// whose phone still has no profile come back in the change's Pending.
func (r *Resolver) Credit(rd Reader, credits []Credit, asOf time.Time) (*Change, error) {
	if asOf.IsZero() {
		return nil, fmt.Errorf("%w: as-of time is zero", ErrInvalid)
	}
	w := newWorkset(newSession(r.c, rd), nil, nil)
	for _, cr := range credits {
		if cr.Referrer.Kind != identity.KindPhone || cr.Referrer.Value == "" {
			return nil, fmt.Errorf("%w: credit for record %s: referrer is not a phone", ErrInvalid, cr.Referred)
		}
		if err := w.route(cr); err != nil {
			return nil, err
		}
	}
	return w.change(nil, nil, asOf, true)
}
