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
// results and the profiles outside the component, the one whose records
// carry the phone most often, then the earliest first seen, then the
// smaller id. Without such a profile the credit waits in Pending. A credit
// for a blocked or hub phone goes nowhere: a placeholder refers no one.
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
	consider := func(p *Profile) {
		st, ok := p.identifier(phone)
		if !ok || st.Status == StatusHub || st.Status == StatusBlocked {
			return
		}
		if best == nil || st.Records > bestN || st.Records == bestN && (compareEarlier(p.FirstSeen, best.FirstSeen) < 0 ||
			compareEarlier(p.FirstSeen, best.FirstSeen) == 0 && p.ID < best.ID) {
			best, bestN = p, st.Records
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
// no profile held before this change.
func (w *workset) claimPending(ids []identity.Identifier) error {
	for _, id := range ids {
		if id.Kind != identity.KindPhone || w.s.c.blocked[id] {
			continue
		}
		lk, ok := w.s.lookedUp(id)
		if !ok || lk.hub || len(lk.profiles) > 0 {
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
