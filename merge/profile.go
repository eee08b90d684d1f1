package merge

import (
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// Profile is the single customer view of one person: the source records a
// connected component of the identity graph holds, and everything derived
// from them.
//
// A Profile is a plain value: it serialises to JSON and back exactly, holds
// no pointers into other profiles and no maps, and lists everything in a
// fixed order, so equal profiles encode to equal bytes. It holds personal
// data (names, phone numbers, channel ids): seal it before it touches disk
// and never log it. Every time in it is in UTC.
//
// The [Resolver] never modifies a Profile it is given; it returns new
// values. A Profile is not safe for concurrent mutation.
type Profile struct {
	// ID is the profile's id, stable across merges (the survivor keeps
	// its id) and splits (the larger part keeps it).
	ID string `json:"id"`
	// FirstSeen and LastSeen are the earliest and latest times any record
	// of the profile states: observation, order, interaction, feedback.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`

	Records     []RecordRef       `json:"records"`               // by record key
	Identifiers []IdentifierState `json:"identifiers,omitempty"` // by kind, scope, value
	Fields      []Field           `json:"fields,omitempty"`      // in [FieldNames] order
	Orders      []OrderState      `json:"orders,omitempty"`      // by platform, order id; one per order
	Events      []Event           `json:"events,omitempty"`      // interactions, by channel, type, id
	Feedback    []FeedbackEntry   `json:"feedback,omitempty"`    // by kind, time
	Consent     []ConsentState    `json:"consent,omitempty"`     // by purpose; absent purposes: no consent
	Credits     []Credit          `json:"credits,omitempty"`     // referrals this person made, by referrer, referred
	DoNotLink   []Pair            `json:"do_not_link,omitempty"` // operator constraints touching this profile's records
	Separations []Separation      `json:"separations,omitempty"` // joins protection refused, touching this profile's records
	Gifts       []Gift            `json:"gifts,omitempty"`       // orders sent to or received from other profiles, by record

	// Metrics, Stage, Risk and NextRefresh are derived from the rest as
	// of AsOf; [Resolver.Refresh] recomputes them for another time.
	Metrics Metrics   `json:"metrics"`
	Stage   Stage     `json:"stage"`
	Risk    Risk      `json:"risk"`
	AsOf    time.Time `json:"as_of"`
	// NextRefresh is the earliest time after AsOf at which Stage, Risk or
	// a windowed metric changes if no new record arrives; zero if never.
	// A store can index it and refresh only the profiles that are due.
	NextRefresh time.Time `json:"next_refresh,omitzero"`
}

// RecordRef summarises one source record of a profile.
type RecordRef struct {
	Key      identity.RecordKey `json:"key"`
	Observed time.Time          `json:"observed,omitzero"`
	// Fingerprint is a digest of the record's content (everything but
	// Line); the same key with the same fingerprint is a re-ingest.
	Fingerprint string `json:"fingerprint"`
	// Name, Gender and Birthday describe the person the record names,
	// kept for the hub, receiver and recycling rules.
	Name string `json:"name,omitempty"`
	// Identifiers are every identifier the record carries, whatever their
	// status, in the record's order without duplicates.
	Identifiers []identity.Identifier `json:"identifiers,omitempty"`
	Gender      identity.Gender       `json:"gender,omitempty"`
	Birthday    identity.Date         `json:"birthday,omitzero"`
	// Receivers are the identifiers that name the receiver of the
	// record's order ([identity.Record].Receivers).
	Receivers []identity.Identifier `json:"receivers,omitempty"`
	// Gift reports an order shipped to someone other than the buyer: its
	// receivers link nothing, and its name, gender and address are the
	// receiver's, not the profile's.
	Gift bool `json:"gift,omitempty"`
}

// Gift is an order one customer sent to another: on the buyer's profile
// as sent, on the receiver's (when a profile holds the receiver's phone)
// as received.
type Gift struct {
	Record   identity.RecordKey `json:"record"` // the order's source record
	Received bool               `json:"received,omitempty"`
	// Profile is the other side: the receiver's profile on a gift sent,
	// the buyer's on a gift received; empty when no profile holds the
	// receiver's phone.
	Profile string    `json:"profile,omitempty"`
	Time    time.Time `json:"time,omitzero"`
}

// IdentifierState is one identifier the records of a profile carry, with
// whether it links them.
type IdentifierState struct {
	Identifier identity.Identifier `json:"identifier"`
	Status     Status              `json:"status"`
	Records    int                 `json:"records"` // how many of the profile's records carry it
	// Shared reports that records of other profiles carry it too: the
	// profiles were kept apart by a limit or a do-not-link. The resolver
	// follows shared identifiers when it recomputes a component.
	Shared bool `json:"shared,omitempty"`
}

// Provenance says where a value came from: the source record and when the
// source observed it.
type Provenance struct {
	Record   identity.RecordKey `json:"record"`
	Observed time.Time          `json:"observed,omitzero"`
}

// Field is the surviving value of one descriptive field, with its
// provenance and the values it won over.
type Field struct {
	Name    FieldName  `json:"name"`
	Value   string     `json:"value"`
	From    Provenance `json:"from"`    // the best record stating Value
	Records int        `json:"records"` // how many records state Value
	// Alternatives are the other values records state, best first.
	Alternatives []Alternative `json:"alternatives,omitempty"`
}

// Alternative is a value of a field that did not survive.
type Alternative struct {
	Value   string     `json:"value"`
	From    Provenance `json:"from"`
	Records int        `json:"records"`
}

// OrderState is the latest known state of one order, unique by platform
// and order id across the profile's records.
type OrderState struct {
	Platform  string               `json:"platform"`
	ID        string               `json:"id"`
	Status    identity.OrderStatus `json:"status"`
	AmountFen int64                `json:"amount_fen"`
	Currency  string               `json:"currency"`
	Time      time.Time            `json:"time,omitzero"`
	Category  string               `json:"category,omitempty"`
	Store     string               `json:"store,omitempty"`
	From      Provenance           `json:"from"` // the record this state comes from
}

// Event is one interaction: a follow, a repost, a registration. Text is
// left in the source record.
type Event struct {
	Type   identity.InteractionType `json:"type"`
	ID     string                   `json:"id,omitempty"` // the platform's event id; events with an id count once per channel
	Time   time.Time                `json:"time,omitzero"`
	Record identity.RecordKey       `json:"record"`
}

// FeedbackEntry is one satisfaction or recommendation score.
type FeedbackEntry struct {
	Kind  identity.FeedbackKind `json:"kind"`
	Score int                   `json:"score"`
	Time  time.Time             `json:"time,omitzero"`
	From  Provenance            `json:"from"`
}

// ConsentState is the profile's consent for one purpose.
//
// Each source record stands by its own most recent statement for the
// purpose. The profile has consent when at least one record stands by a
// yes and none stands by a no: a standing no anywhere wins, so merging
// profiles never turns a no into a yes.
type ConsentState struct {
	Purpose identity.Purpose `json:"purpose"`
	Granted bool             `json:"granted"`
	Yes     int              `json:"yes"` // records standing by a yes
	No      int              `json:"no"`  // records standing by a no
	// LastYes and LastNo are the most recent standing statements of each
	// kind; when Granted is false and No > 0, LastNo is the reason.
	LastYes *Statement `json:"last_yes,omitempty"`
	LastNo  *Statement `json:"last_no,omitempty"`
}

// Statement is one explicit consent statement and where it was made.
type Statement struct {
	Time time.Time  `json:"time,omitzero"`
	From Provenance `json:"from"`
}

// Credit says that a record named Referrer as the phone of the person who
// referred it. Credits live on the referrer's profile (the profile holding
// the Referrer phone) and follow that phone through merges and splits.
type Credit struct {
	Referrer identity.Identifier `json:"referrer"` // a phone identifier
	Referred identity.RecordKey  `json:"referred"` // the record that names the referrer
	// Paid reports that the referred record carries a paid order.
	Paid bool      `json:"paid"`
	Time time.Time `json:"time,omitzero"`
	// Revoked marks a credit withdrawn because the referred record no
	// longer names the referrer. It appears only in [Change].Pending.
	Revoked bool `json:"revoked,omitempty"`
}

// Pair is a do-not-link constraint between two records: they are never in
// one profile. A < B in record-key order.
type Pair struct {
	A identity.RecordKey `json:"a"`
	B identity.RecordKey `json:"b"`
}

// Separation records a join that protection refused: records A and B share
// an identifier of kind Via and would have been one profile, but Rule
// (limit or do-not-link) kept them apart. A < B in record-key order. Limit
// names the identifier kind whose limit the join would have exceeded.
type Separation struct {
	A     identity.RecordKey `json:"a"`
	B     identity.RecordKey `json:"b"`
	Rule  Rule               `json:"rule"`
	Limit identity.Kind      `json:"limit,omitempty"`
	Via   identity.Kind      `json:"via"`
}

// Metrics are the customer metrics of a profile as of [Profile].AsOf,
// counted over orders, scores and credits dated at or before it. See the
// package documentation for the formulas.
type Metrics struct {
	PaidOrders     int             `json:"paid_orders"`
	Spend          []CurrencySpend `json:"spend,omitempty"` // per currency, by currency code
	FirstPurchase  time.Time       `json:"first_purchase,omitzero"`
	LastPurchase   time.Time       `json:"last_purchase,omitzero"`
	OrdersInWindow int             `json:"orders_in_window"` // paid orders in the trailing window (365 days)
	// PreferredChannel is where the customer buys most, or, without
	// purchases, interacts most.
	PreferredChannel identity.Channel `json:"preferred_channel,omitempty"`
	NPS              *Score           `json:"nps,omitempty"`  // latest NPS score
	CSAT             *Score           `json:"csat,omitempty"` // latest CSAT score
	Referrals        int              `json:"referrals"`      // records naming this person as referrer
	PaidReferrals    int              `json:"paid_referrals"` // of those, records with a paid order
}

// CurrencySpend is what a customer spent in one currency. Amounts are in
// the currency's minor unit (fen for CNY).
type CurrencySpend struct {
	Currency string `json:"currency"`
	Orders   int    `json:"orders"`
	TotalFen int64  `json:"total_fen"`
	AOVFen   int64  `json:"aov_fen"` // average order value, rounded half up
	CLVFen   int64  `json:"clv_fen"` // predicted lifetime value, rounded half up
}

// Score is the latest score of one feedback kind, with its category.
type Score struct {
	Score    int        `json:"score"`
	Category string     `json:"category"`
	Time     time.Time  `json:"time,omitzero"`
	From     Provenance `json:"from"`
}

// Field returns the profile's field named name, and whether any record
// states it.
func (p *Profile) Field(name FieldName) (Field, bool) {
	for _, f := range p.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Consented reports whether the profile has consent for purpose. Without a
// statement the answer is no.
func (p *Profile) Consented(purpose identity.Purpose) bool {
	for _, c := range p.Consent {
		if c.Purpose == purpose {
			return c.Granted
		}
	}
	return false
}

// Linking returns the identifiers that link the profile's records, in
// kind, scope, value order.
func (p *Profile) Linking() []identity.Identifier {
	var out []identity.Identifier
	for _, s := range p.Identifiers {
		if s.Status == StatusLinking {
			out = append(out, s.Identifier)
		}
	}
	return out
}

// Holds reports whether the profile holds the record with key k.
func (p *Profile) Holds(k identity.RecordKey) bool {
	_, ok := p.record(k)
	return ok
}

// Keys returns the keys of the profile's records in key order.
func (p *Profile) Keys() []identity.RecordKey {
	out := make([]identity.RecordKey, len(p.Records))
	for i, r := range p.Records {
		out[i] = r.Key
	}
	return out
}

func (p *Profile) record(k identity.RecordKey) (int, bool) {
	return slices.BinarySearchFunc(p.Records, k, func(r RecordRef, k identity.RecordKey) int {
		return compareKey(r.Key, k)
	})
}

func (p *Profile) identifier(id identity.Identifier) (IdentifierState, bool) {
	i, ok := slices.BinarySearchFunc(p.Identifiers, id, func(s IdentifierState, id identity.Identifier) int {
		return compareIdentifier(s.Identifier, id)
	})
	if !ok {
		return IdentifierState{}, false
	}
	return p.Identifiers[i], true
}

// Clone returns a deep copy of p.
func (p *Profile) Clone() *Profile {
	q := *p
	q.Records = slices.Clone(p.Records)
	for i := range q.Records {
		q.Records[i].Identifiers = slices.Clone(q.Records[i].Identifiers)
		q.Records[i].Receivers = slices.Clone(q.Records[i].Receivers)
	}
	q.Identifiers = slices.Clone(p.Identifiers)
	q.Fields = slices.Clone(p.Fields)
	for i := range q.Fields {
		q.Fields[i].Alternatives = slices.Clone(q.Fields[i].Alternatives)
	}
	q.Orders = slices.Clone(p.Orders)
	q.Events = slices.Clone(p.Events)
	q.Feedback = slices.Clone(p.Feedback)
	q.Consent = slices.Clone(p.Consent)
	for i := range q.Consent {
		q.Consent[i].LastYes = clonePtr(q.Consent[i].LastYes)
		q.Consent[i].LastNo = clonePtr(q.Consent[i].LastNo)
	}
	q.Credits = slices.Clone(p.Credits)
	q.DoNotLink = slices.Clone(p.DoNotLink)
	q.Separations = slices.Clone(p.Separations)
	q.Gifts = slices.Clone(p.Gifts)
	q.Metrics.Spend = slices.Clone(p.Metrics.Spend)
	q.Metrics.NPS = clonePtr(p.Metrics.NPS)
	q.Metrics.CSAT = clonePtr(p.Metrics.CSAT)
	return &q
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func compareKey(a, b identity.RecordKey) int {
	if c := compareStr(string(a.Channel), string(b.Channel)); c != 0 {
		return c
	}
	if c := compareStr(a.Source, b.Source); c != 0 {
		return c
	}
	return compareStr(a.ID, b.ID)
}

func compareIdentifier(a, b identity.Identifier) int {
	if a.Kind != b.Kind {
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	}
	if c := compareStr(a.Scope, b.Scope); c != 0 {
		return c
	}
	return compareStr(a.Value, b.Value)
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareTime(a, b time.Time) int { return a.Compare(b) }

// compareLater orders times latest first, with the zero time (unknown)
// after every real time.
func compareLater(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return b.Compare(a)
}

// compareEarlier orders times earliest first, with the zero time (unknown)
// after every real time.
func compareEarlier(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}
