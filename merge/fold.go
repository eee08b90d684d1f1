package merge

import (
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// A profile's collections are sets keyed by a compare function and
// combined by a merge function that is commutative and associative. A full
// recomputation gathers every record's items and reduces them; an
// incremental fold upserts one record's items into the stored profile.
// Because merge does not care about order, both give the same profile:
// the property tests check it.

// upsert merges v into s, which is sorted by cmp with unique keys, and
// returns the result. s must be owned by the caller: it is modified.
func upsert[T any](s []T, v T, cmp func(a, b T) int, merge func(a, b T) T) []T {
	i, found := slices.BinarySearchFunc(s, v, cmp)
	if found {
		s[i] = merge(s[i], v)
		return s
	}
	return slices.Insert(s, i, v)
}

// reduce sorts s by cmp and merges the items with equal keys.
func reduce[T any](s []T, cmp func(a, b T) int, merge func(a, b T) T) []T {
	if len(s) == 0 {
		return nil
	}
	slices.SortFunc(s, cmp)
	out := s[:1]
	for _, v := range s[1:] {
		if last := &out[len(out)-1]; cmp(*last, v) == 0 {
			*last = merge(*last, v)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// items is what one record contributes to a profile.
type items struct {
	ref      RecordRef
	ids      []IdentifierState
	orders   []OrderState
	events   []Event
	feedback []FeedbackEntry
	consent  []ConsentState
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// orObserved returns t, or the record's observed time when t is zero.
func orObserved(t time.Time, rec *identity.Record) time.Time {
	if t.IsZero() {
		return utc(rec.Observed)
	}
	return utc(t)
}

// extract returns what rec contributes, given the status of each of its
// identifiers: its items, in new slices for the caller to own, and its
// candidate field values, appended to cands. The candidates are copied
// into fields, never kept, so the caller may pass a buffer on its stack.
func (c *config) extract(n *node, status func(identity.Identifier) Status, cands []candidate) (items, []candidate) {
	rec := n.rec
	key := n.key
	from := Provenance{Record: key, Observed: utc(rec.Observed)}
	it := items{ref: RecordRef{
		Key:         key,
		Observed:    from.Observed,
		Fingerprint: n.fp,
		Name:        rec.Attributes.Name,
		Identifiers: n.ids,
		Gender:      rec.Attributes.Gender,
		Birthday:    rec.Attributes.Birthday,
		Receivers:   rec.Receivers,
		Gift:        n.gift,
	}}
	it.ids = make([]IdentifierState, 0, len(n.ids))
	ranks := c.ranks(key)
	for _, id := range n.ids {
		st := status(id)
		it.ids = append(it.ids, IdentifierState{Identifier: id, Status: st, Records: 1})
		// A gift's receiver phone is the receiver's, not the profile's.
		if st == StatusHub || st == StatusBlocked || st == StatusReceiver {
			continue
		}
		switch id.Kind {
		case identity.KindPhone:
			cands = append(cands, c.rankedCandidate(idxPhone, id.Value, from, ranks[idxPhone]))
		case identity.KindEmail:
			cands = append(cands, c.rankedCandidate(idxEmail, id.Value, from, ranks[idxEmail]))
		}
	}
	a := &rec.Attributes
	var birthday string
	if !a.Birthday.IsZero() {
		birthday = a.Birthday.String()
	}
	for f, v := range [...]string{
		idxPersonName: a.Name, idxNickname: a.Nickname, idxGender: string(a.Gender), idxBirthday: birthday,
		idxCountry: a.Country, idxProvince: a.Province, idxCity: a.City, idxDistrict: a.District, idxLanguage: a.Language,
	} {
		if n.gift && f != idxNickname && f != idxLanguage {
			continue // the receiver's, not the buyer's
		}
		if v != "" {
			cands = append(cands, c.rankedCandidate(f, v, from, ranks[f]))
		}
	}
	if len(rec.Orders) > 0 {
		it.orders = make([]OrderState, len(rec.Orders))
		for i := range rec.Orders {
			o := &rec.Orders[i]
			platform := o.Platform
			if platform == "" {
				platform = rec.Source
			}
			currency := o.Currency
			if currency == "" {
				currency = "CNY"
			}
			it.orders[i] = OrderState{
				Platform: platform, ID: o.ID, Status: o.Status, AmountFen: o.AmountFen, Currency: currency,
				Time: orObserved(o.Time, rec), Category: o.Category, Store: o.Store, From: from,
			}
		}
	}
	if len(rec.Interactions) > 0 {
		it.events = make([]Event, len(rec.Interactions))
		for i := range rec.Interactions {
			in := &rec.Interactions[i]
			it.events[i] = Event{Type: in.Type, ID: in.ID, Time: orObserved(in.Time, rec), Record: key}
		}
	}
	if len(rec.Feedback) > 0 {
		it.feedback = make([]FeedbackEntry, len(rec.Feedback))
		for i := range rec.Feedback {
			f := &rec.Feedback[i]
			it.feedback[i] = FeedbackEntry{Kind: f.Kind, Score: f.Score, Time: orObserved(f.Time, rec), From: from}
		}
	}
	it.consent = standingConsent(rec, from)
	return it, cands
}

// build returns the profile of a whole set of records' items, with
// collections reduced; ID, constraints, credits and derived values are the
// caller's. It owns the items' slices from then on, and reorders cands.
func build(all []items, cands []candidate) *Profile {
	p := &Profile{}
	if len(all) == 1 {
		it := &all[0]
		p.Records = []RecordRef{it.ref}
		p.Identifiers, p.Orders, p.Events, p.Feedback, p.Consent = it.ids, it.orders, it.events, it.feedback, it.consent
	} else {
		var nIDs, nOrders, nEvents, nFeedback, nConsent int
		for i := range all {
			it := &all[i]
			nIDs += len(it.ids)
			nOrders += len(it.orders)
			nEvents += len(it.events)
			nFeedback += len(it.feedback)
			nConsent += len(it.consent)
		}
		p.Records = make([]RecordRef, 0, len(all))
		p.Identifiers = make([]IdentifierState, 0, nIDs)
		p.Orders = make([]OrderState, 0, nOrders)
		p.Events = make([]Event, 0, nEvents)
		p.Feedback = make([]FeedbackEntry, 0, nFeedback)
		p.Consent = make([]ConsentState, 0, nConsent)
		for i := range all {
			it := &all[i]
			p.Records = append(p.Records, it.ref)
			p.Identifiers = append(p.Identifiers, it.ids...)
			p.Orders = append(p.Orders, it.orders...)
			p.Events = append(p.Events, it.events...)
			p.Feedback = append(p.Feedback, it.feedback...)
			p.Consent = append(p.Consent, it.consent...)
		}
	}
	p.Records = reduce(p.Records, compareRecordRef, keepFirst[RecordRef])
	p.Identifiers = reduce(p.Identifiers, compareIdentifierState, mergeIdentifierState)
	p.Orders = reduce(p.Orders, compareOrderKey, mergeOrder)
	p.Events = reduce(p.Events, compareEventKey, mergeEvent)
	p.Feedback = reduce(p.Feedback, compareFeedback, keepFirst[FeedbackEntry])
	p.Consent = reduce(p.Consent, compareConsentKey, mergeConsent)
	p.Fields = groupFields(reduce(cands, compareCandidateKey, mergeCandidate))
	return p
}

// fold returns p with one more record's items and candidates, sharing
// with p the slices that do not change. p is not modified; the items'
// slices are the result's from then on, and cands is reordered.
func (c *config) fold(p *Profile, it items, cands []candidate) *Profile {
	q := *p
	q.Records = upsert(cloneGrow(p.Records, 1), it.ref, compareRecordRef, keepFirst[RecordRef])
	q.Identifiers = upsertAll(p.Identifiers, it.ids, compareIdentifierState, mergeIdentifierState)
	q.Orders = upsertAll(p.Orders, it.orders, compareOrderKey, mergeOrder)
	q.Events = upsertAll(p.Events, it.events, compareEventKey, mergeEvent)
	q.Feedback = upsertAll(p.Feedback, it.feedback, compareFeedback, keepFirst[FeedbackEntry])
	q.Consent = upsertAll(p.Consent, it.consent, compareConsentKey, mergeConsent)
	q.Fields = c.foldFields(p.Fields, cands)
	return &q
}

// cloneGrow returns a copy of s with room for n more elements.
func cloneGrow[T any](s []T, n int) []T {
	out := make([]T, len(s), len(s)+n)
	copy(out, s)
	return out
}

// upsertAll returns s with every item of vs upserted, in a copy: s itself
// is returned, unchanged, when vs is empty.
func upsertAll[T any](s, vs []T, cmp func(a, b T) int, merge func(a, b T) T) []T {
	if len(vs) == 0 {
		return s
	}
	out := cloneGrow(s, len(vs))
	for _, v := range vs {
		out = upsert(out, v, cmp, merge)
	}
	return out
}

func keepFirst[T any](a, _ T) T { return a }

func compareRecordRef(a, b RecordRef) int { return compareKey(a.Key, b.Key) }

func compareIdentifierState(a, b IdentifierState) int {
	return compareIdentifier(a.Identifier, b.Identifier)
}

func mergeIdentifierState(a, b IdentifierState) IdentifierState {
	if statusRank(b.Status) < statusRank(a.Status) {
		a.Status = b.Status
	}
	a.Records += b.Records
	a.Shared = a.Shared || b.Shared
	return a
}

func compareOrderKey(a, b OrderState) int {
	if c := compareStr(a.Platform, b.Platform); c != 0 {
		return c
	}
	return compareStr(a.ID, b.ID)
}

// orderStatusRank ranks the states of one order seen at the same time:
// refunds and cancellations end an order, so they win over paid, and paid
// over unpaid.
func orderStatusRank(s identity.OrderStatus) int {
	switch s {
	case identity.OrderRefunded:
		return 0
	case identity.OrderCancelled:
		return 1
	case identity.OrderPaid:
		return 2
	case identity.OrderUnpaid:
		return 3
	}
	return 4
}

// mergeOrder keeps the state from the most recently observed record; at
// equal times the terminal status; then the smaller record key; then the
// content, so the choice is total.
func mergeOrder(a, b OrderState) OrderState {
	if betterOrder(b, a) {
		return b
	}
	return a
}

func betterOrder(a, b OrderState) bool {
	if c := compareLater(a.From.Observed, b.From.Observed); c != 0 {
		return c < 0
	}
	if ra, rb := orderStatusRank(a.Status), orderStatusRank(b.Status); ra != rb {
		return ra < rb
	}
	if c := compareKey(a.From.Record, b.From.Record); c != 0 {
		return c < 0
	}
	if a.AmountFen != b.AmountFen {
		return a.AmountFen < b.AmountFen
	}
	if c := compareTime(a.Time, b.Time); c != 0 {
		return c < 0
	}
	if c := compareStr(a.Currency, b.Currency); c != 0 {
		return c < 0
	}
	if c := compareStr(a.Category, b.Category); c != 0 {
		return c < 0
	}
	return a.Store < b.Store
}

// compareEventKey: an event with a platform id is one event per channel,
// type and id, whichever records repeat it; an event without one is
// unique to its record, type and time.
func compareEventKey(a, b Event) int {
	if c := compareStr(string(a.Record.Channel), string(b.Record.Channel)); c != 0 {
		return c
	}
	if c := compareStr(string(a.Type), string(b.Type)); c != 0 {
		return c
	}
	if c := compareStr(a.ID, b.ID); c != 0 || a.ID != "" {
		return c
	}
	if c := compareKey(a.Record, b.Record); c != 0 {
		return c
	}
	return compareTime(a.Time, b.Time)
}

// mergeEvent keeps the earliest sighting of an event with an id.
func mergeEvent(a, b Event) Event {
	if c := compareEarlier(b.Time, a.Time); c < 0 || c == 0 && compareKey(b.Record, a.Record) < 0 {
		return b
	}
	return a
}

func compareFeedback(a, b FeedbackEntry) int {
	if c := compareStr(string(a.Kind), string(b.Kind)); c != 0 {
		return c
	}
	if c := compareTime(a.Time, b.Time); c != 0 {
		return c
	}
	if c := compareKey(a.From.Record, b.From.Record); c != 0 {
		return c
	}
	if a.Score != b.Score {
		return a.Score - b.Score
	}
	return compareTime(a.From.Observed, b.From.Observed)
}
