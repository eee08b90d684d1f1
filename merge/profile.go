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
//
// The store keeps a Profile in the binary form of internal/codec, which knows
// each field of it, and of every struct in it, by the number in its codec
// tag: a field may be renamed or moved, but its number never changes and
// is never reused. A new field takes a number no other field of its
// struct has (1 to 15 make the shortest keys); the numbers of the fields
// older than numbering are the hashes of their names at the time.
type Profile struct {
	// ID is the profile's id, stable across merges (the survivor keeps
	// its id) and splits (the larger part keeps it).
	ID string `json:"id" codec:"48520"`
	// FirstSeen and LastSeen are the earliest and latest times any record
	// of the profile states: observation, order, interaction, feedback.
	FirstSeen time.Time `json:"first_seen,omitzero" codec:"20539"`
	LastSeen  time.Time `json:"last_seen,omitzero" codec:"11307"`

	Records     []RecordRef       `json:"records" codec:"41075"`               // by record key
	Identifiers []IdentifierState `json:"identifiers,omitempty" codec:"44150"` // by kind, scope, value
	Fields      []Field           `json:"fields,omitempty" codec:"36500"`      // in [FieldNames] order
	Orders      []OrderState      `json:"orders,omitempty" codec:"27006"`      // by platform, order id; one per order
	Events      []Event           `json:"events,omitempty" codec:"8336"`       // interactions, by channel, type, id
	Feedback    []FeedbackEntry   `json:"feedback,omitempty" codec:"52855"`    // by kind, time
	Consent     []ConsentState    `json:"consent,omitempty" codec:"50560"`     // by purpose; absent purposes: no consent
	Credits     []Credit          `json:"credits,omitempty" codec:"53743"`     // referrals this person made, by referrer, referred
	DoNotLink   []Pair            `json:"do_not_link,omitempty" codec:"33076"` // operator constraints touching this profile's records
	Links       []Assertion       `json:"links,omitempty" codec:"60001"`       // operator or AutoLink assertions touching this profile's records, by time
	Separations []Separation      `json:"separations,omitempty" codec:"45515"` // joins protection refused, touching this profile's records
	Gifts       []Gift            `json:"gifts,omitempty" codec:"37579"`       // orders sent to or received from other profiles, by record

	// Metrics, Stage, Risk and NextRefresh are derived from the rest as
	// of AsOf; [Resolver.Refresh] recomputes them for another time.
	Metrics Metrics   `json:"metrics" codec:"4116"`
	Stage   Stage     `json:"stage" codec:"9691"`
	Risk    Risk      `json:"risk" codec:"36957"`
	AsOf    time.Time `json:"as_of" codec:"34245"`
	// NextRefresh is the earliest time after AsOf at which Stage, Risk or
	// a windowed metric changes if no new record arrives; zero if never.
	// A store can index it and refresh only the profiles that are due.
	NextRefresh time.Time `json:"next_refresh,omitzero" codec:"23676"`
}

// RecordRef summarises one source record of a profile.
type RecordRef struct {
	Key      identity.RecordKey `json:"key" codec:"1046"`
	Observed time.Time          `json:"observed,omitzero" codec:"61229"`
	// Fingerprint is a digest of the record's content (everything but
	// Line); the same key with the same fingerprint is a re-ingest.
	Fingerprint string `json:"fingerprint" codec:"23023"`
	// Name, Gender and Birthday describe the person the record names,
	// kept for the hub, receiver and recycling rules.
	Name string `json:"name,omitempty" codec:"31974"`
	// Identifiers are every identifier the record carries, whatever their
	// status, in the record's order without duplicates.
	Identifiers []identity.Identifier `json:"identifiers,omitempty" codec:"44150"`
	Gender      identity.Gender       `json:"gender,omitempty" codec:"44172"`
	Birthday    identity.Date         `json:"birthday,omitzero" codec:"30236"`
	// Receivers are the identifiers that name the receiver of the
	// record's order ([identity.Record].Receivers).
	Receivers []identity.Identifier `json:"receivers,omitempty" codec:"12799"`
	// Gift reports an order shipped to someone other than the buyer: its
	// receivers link nothing, and its name, gender and address are the
	// receiver's, not the profile's.
	Gift bool `json:"gift,omitempty" codec:"31632"`
}

// Gift is an order one customer sent to another: on the buyer's profile
// as sent, on the receiver's (when a profile holds the receiver's phone)
// as received.
type Gift struct {
	Record   identity.RecordKey `json:"record" codec:"64169"` // the order's source record
	Received bool               `json:"received,omitempty" codec:"19242"`
	// Profile is the other side: the receiver's profile on a gift sent,
	// the buyer's on a gift received; empty when no profile holds the
	// receiver's phone.
	Profile string    `json:"profile,omitempty" codec:"65433"`
	Time    time.Time `json:"time,omitzero" codec:"15328"`
}

// IdentifierState is one identifier the records of a profile carry, with
// whether it links them.
type IdentifierState struct {
	Identifier identity.Identifier `json:"identifier" codec:"53792"`
	Status     Status              `json:"status" codec:"62033"`
	Records    int                 `json:"records" codec:"41075"` // how many of the profile's records carry it
	// Shared reports that records of other profiles carry it too: the
	// profiles were kept apart by a limit or a do-not-link. The resolver
	// follows shared identifiers when it recomputes a component.
	Shared bool `json:"shared,omitempty" codec:"22015"`
}

// Provenance says where a value came from: the source record and when the
// source observed it.
type Provenance struct {
	Record   identity.RecordKey `json:"record" codec:"64169"`
	Observed time.Time          `json:"observed,omitzero" codec:"61229"`
}

// Field is the surviving value of one descriptive field, with its
// provenance and the values it won over.
type Field struct {
	Name    FieldName  `json:"name" codec:"31974"`
	Value   string     `json:"value" codec:"10285"`
	From    Provenance `json:"from" codec:"11745"`    // the best record stating Value
	Records int        `json:"records" codec:"41075"` // how many records state Value
	// Alternatives are the other values records state, best first.
	Alternatives []Alternative `json:"alternatives,omitempty" codec:"58015"`
}

// Alternative is a value of a field that did not survive.
type Alternative struct {
	Value   string     `json:"value" codec:"10285"`
	From    Provenance `json:"from" codec:"11745"`
	Records int        `json:"records" codec:"41075"`
}

// OrderState is the latest known state of one order, unique by platform
// and order id across the profile's records.
type OrderState struct {
	Platform  string               `json:"platform" codec:"38176"`
	ID        string               `json:"id" codec:"48520"`
	Status    identity.OrderStatus `json:"status" codec:"62033"`
	AmountFen int64                `json:"amount_fen" codec:"53322"`
	Currency  string               `json:"currency" codec:"13881"`
	Time      time.Time            `json:"time,omitzero" codec:"15328"`
	Category  string               `json:"category,omitempty" codec:"18978"`
	Store     string               `json:"store,omitempty" codec:"16493"`
	From      Provenance           `json:"from" codec:"11745"` // the record this state comes from
}

// Event is one interaction: a follow, a repost, a registration. Text is
// left in the source record.
type Event struct {
	Type   identity.InteractionType `json:"type" codec:"312"`
	ID     string                   `json:"id,omitempty" codec:"48520"` // the platform's event id; events with an id count once per channel
	Time   time.Time                `json:"time,omitzero" codec:"15328"`
	Record identity.RecordKey       `json:"record" codec:"64169"`
}

// FeedbackEntry is one satisfaction or recommendation score.
type FeedbackEntry struct {
	Kind  identity.FeedbackKind `json:"kind" codec:"13206"`
	Score int                   `json:"score" codec:"30174"`
	Time  time.Time             `json:"time,omitzero" codec:"15328"`
	From  Provenance            `json:"from" codec:"11745"`
}

// ConsentState is the profile's consent for one purpose.
//
// Each source record stands by its own most recent statement for the
// purpose. The profile has consent when at least one record stands by a
// yes and none stands by a no: a standing no anywhere wins, so merging
// profiles never turns a no into a yes.
type ConsentState struct {
	Purpose identity.Purpose `json:"purpose" codec:"36622"`
	Granted bool             `json:"granted" codec:"61440"`
	Yes     int              `json:"yes" codec:"34196"` // records standing by a yes
	No      int              `json:"no" codec:"57340"`  // records standing by a no
	// LastYes and LastNo are the most recent standing statements of each
	// kind; when Granted is false and No > 0, LastNo is the reason.
	LastYes *Statement `json:"last_yes,omitempty" codec:"40875"`
	LastNo  *Statement `json:"last_no,omitempty" codec:"40789"`
}

// Statement is one explicit consent statement and where it was made.
type Statement struct {
	Time time.Time  `json:"time,omitzero" codec:"15328"`
	From Provenance `json:"from" codec:"11745"`
}

// Credit says that a record named Referrer as the phone of the person who
// referred it. Credits live on the referrer's profile (the profile holding
// the Referrer phone) and follow that phone through merges and splits.
type Credit struct {
	Referrer identity.Identifier `json:"referrer" codec:"46754"` // a phone identifier
	Referred identity.RecordKey  `json:"referred" codec:"37560"` // the record that names the referrer
	// Paid reports that the referred record carries a paid order.
	Paid bool      `json:"paid" codec:"64259"`
	Time time.Time `json:"time,omitzero" codec:"15328"`
	// Revoked marks a credit withdrawn because the referred record no
	// longer names the referrer. It appears only in [Change].Pending.
	Revoked bool `json:"revoked,omitempty" codec:"1818"`
}

// Assertion is a statement that two records are one person although no
// identifier joins them: an operator accepting a suggestion, or AutoLink
// above its probability. A < B in record-key order. It joins the records'
// components after every identifier rule has run, so it overrides hubs
// and limits but never a do-not-link pair; [Resolver.Unlink] and an
// unmerge of either record withdraw it.
type Assertion struct {
	A identity.RecordKey `json:"a" codec:"1"`
	B identity.RecordKey `json:"b" codec:"2"`
	// By names who asserted it: an operator's name, or "auto" for
	// AutoLink.
	By string    `json:"by" codec:"3"`
	At time.Time `json:"at,omitzero" codec:"4"`
	// Probability is AutoLink's match probability; 0 for an operator.
	Probability float64 `json:"probability,omitempty" codec:"5"`
}

// Pair returns the assertion's two records.
func (a Assertion) Pair() Pair { return Pair{A: a.A, B: a.B} }

// Pair is a do-not-link constraint between two records: they are never in
// one profile. A < B in record-key order.
type Pair struct {
	A identity.RecordKey `json:"a" codec:"12999"`
	B identity.RecordKey `json:"b" codec:"15502"`
}

// Separation records a join that protection refused: records A and B share
// an identifier of kind Via and would have been one profile, but Rule
// (limit or do-not-link) kept them apart. A < B in record-key order. Limit
// names the identifier kind whose limit the join would have exceeded.
type Separation struct {
	A     identity.RecordKey `json:"a" codec:"12999"`
	B     identity.RecordKey `json:"b" codec:"15502"`
	Rule  Rule               `json:"rule" codec:"61609"`
	Limit identity.Kind      `json:"limit,omitempty" codec:"37442"`
	Via   identity.Kind      `json:"via" codec:"40237"`
}

// Metrics are the customer metrics of a profile as of [Profile].AsOf,
// counted over orders, scores and credits dated at or before it. See the
// package documentation for the formulas.
type Metrics struct {
	PaidOrders     int             `json:"paid_orders" codec:"56463"`
	Spend          []CurrencySpend `json:"spend,omitempty" codec:"47885"` // per currency, by currency code
	FirstPurchase  time.Time       `json:"first_purchase,omitzero" codec:"29243"`
	LastPurchase   time.Time       `json:"last_purchase,omitzero" codec:"42208"`
	OrdersInWindow int             `json:"orders_in_window" codec:"9878"` // paid orders in the trailing window (365 days)
	// PreferredChannel is where the customer buys most, or, without
	// purchases, interacts most.
	PreferredChannel identity.Channel `json:"preferred_channel,omitempty" codec:"1558"`
	NPS              *Score           `json:"nps,omitempty" codec:"2150"`   // latest NPS score
	CSAT             *Score           `json:"csat,omitempty" codec:"51924"` // latest CSAT score
	Referrals        int              `json:"referrals" codec:"43361"`      // records naming this person as referrer
	PaidReferrals    int              `json:"paid_referrals" codec:"39282"` // of those, records with a paid order
}

// CurrencySpend is what a customer spent in one currency. Amounts are in
// the currency's minor unit (fen for CNY).
type CurrencySpend struct {
	Currency string `json:"currency" codec:"13881"`
	Orders   int    `json:"orders" codec:"27006"`
	TotalFen int64  `json:"total_fen" codec:"8394"`
	AOVFen   int64  `json:"aov_fen" codec:"60730"` // average order value, rounded half up
	CLVFen   int64  `json:"clv_fen" codec:"40535"` // predicted lifetime value, rounded half up
}

// Score is the latest score of one feedback kind, with its category.
type Score struct {
	Score    int        `json:"score" codec:"30174"`
	Category string     `json:"category" codec:"18978"`
	Time     time.Time  `json:"time,omitzero" codec:"15328"`
	From     Provenance `json:"from" codec:"11745"`
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
	q.Links = slices.Clone(p.Links)
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
