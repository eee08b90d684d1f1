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
	cands    []candidate
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

// orDefault returns t, or the record's observed time when t is zero.
func orObserved(t time.Time, rec *identity.Record) time.Time {
	if t.IsZero() {
		return utc(rec.Observed)
	}
	return utc(t)
}

// extract returns what rec contributes, given the status of each of its
// identifiers.
func (c *config) extract(n *node, status func(identity.Identifier) Status) items {
	rec := n.rec
	key := n.key
	from := Provenance{Record: key, Observed: utc(rec.Observed)}
	it := items{ref: RecordRef{
		Key:         key,
		Observed:    utc(rec.Observed),
		Fingerprint: n.fp,
		Name:        rec.Attributes.Name,
		Identifiers: n.ids,
	}}
	for _, id := range n.ids {
		st := status(id)
		it.ids = append(it.ids, IdentifierState{Identifier: id, Status: st, Records: 1})
		if st == StatusHub || st == StatusBlocked {
			continue
		}
		switch id.Kind {
		case identity.KindPhone:
			it.cands = append(it.cands, c.candidate(FieldPhone, id.Value, from))
		case identity.KindEmail:
			it.cands = append(it.cands, c.candidate(FieldEmail, id.Value, from))
		}
	}
	a := &rec.Attributes
	for _, fv := range [...]struct {
		f FieldName
		v string
	}{
		{FieldPersonName, a.Name}, {FieldNickname, a.Nickname}, {FieldGender, string(a.Gender)},
		{FieldBirthday, a.Birthday.String()}, {FieldCountry, a.Country}, {FieldProvince, a.Province},
		{FieldCity, a.City}, {FieldDistrict, a.District}, {FieldLanguage, a.Language},
	} {
		if fv.v != "" {
			it.cands = append(it.cands, c.candidate(fv.f, fv.v, from))
		}
	}
	for _, o := range rec.Orders {
		platform := o.Platform
		if platform == "" {
			platform = rec.Source
		}
		currency := o.Currency
		if currency == "" {
			currency = "CNY"
		}
		it.orders = append(it.orders, OrderState{
			Platform: platform, ID: o.ID, Status: o.Status, AmountFen: o.AmountFen, Currency: currency,
			Time: orObserved(o.Time, rec), Category: o.Category, Store: o.Store, From: from,
		})
	}
	for _, in := range rec.Interactions {
		it.events = append(it.events, Event{Type: in.Type, ID: in.ID, Time: orObserved(in.Time, rec), Record: key})
	}
	for _, f := range rec.Feedback {
		it.feedback = append(it.feedback, FeedbackEntry{Kind: f.Kind, Score: f.Score, Time: orObserved(f.Time, rec), From: from})
	}
	it.consent = standingConsent(rec, from)
	return it
}

// apply adds it to p's collections, which p must own.
func (p *Profile) apply(it items) {
	p.Records = upsert(p.Records, it.ref, compareRecordRef, keepFirst[RecordRef])
	for _, s := range it.ids {
		p.Identifiers = upsert(p.Identifiers, s, compareIdentifierState, mergeIdentifierState)
	}
	for _, o := range it.orders {
		p.Orders = upsert(p.Orders, o, compareOrderKey, mergeOrder)
	}
	for _, e := range it.events {
		p.Events = upsert(p.Events, e, compareEventKey, mergeEvent)
	}
	for _, f := range it.feedback {
		p.Feedback = upsert(p.Feedback, f, compareFeedback, keepFirst[FeedbackEntry])
	}
	for _, s := range it.consent {
		p.Consent = upsert(p.Consent, s, compareConsentKey, mergeConsent)
	}
}

// build returns the profile of a whole set of records' items, with
// collections reduced; ID, constraints, credits and derived values are the
// caller's.
func build(all []items, cands []candidate) *Profile {
	p := &Profile{}
	for _, it := range all {
		p.Records = append(p.Records, it.ref)
		p.Identifiers = append(p.Identifiers, it.ids...)
		p.Orders = append(p.Orders, it.orders...)
		p.Events = append(p.Events, it.events...)
		p.Feedback = append(p.Feedback, it.feedback...)
		p.Consent = append(p.Consent, it.consent...)
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

// fold returns a copy of p with one more record's items. p is not
// modified.
func (c *config) fold(p *Profile, it items) *Profile {
	q := *p
	q.Records = slices.Grow(slices.Clone(p.Records), 1)
	q.Identifiers = slices.Clone(p.Identifiers)
	q.Orders = slices.Clone(p.Orders)
	q.Events = slices.Clone(p.Events)
	q.Feedback = slices.Clone(p.Feedback)
	q.Consent = slices.Clone(p.Consent)
	q.apply(it)
	cands := c.flattenFields(p.Fields)
	for _, cd := range it.cands {
		cands = upsert(cands, cd, compareCandidateKey, mergeCandidate)
	}
	q.Fields = groupFields(cands)
	return &q
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
