package scv

import (
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Detail is what a profile's totals are made of: its orders, interactions,
// feedback and gifts, each with the source record it comes from, and the
// joins an operator or a protection rule refused. Its slices are in a
// fixed order (orders by platform and id, the others by record or time)
// and belong to the caller.
type Detail struct {
	Orders      []Order       `json:"orders,omitempty"`      // by platform, order id; one per order
	Events      []Interaction `json:"events,omitempty"`      // interactions, by channel, type, id
	Feedback    []Feedback    `json:"feedback,omitempty"`    // by kind, time
	Gifts       []Gift        `json:"gifts,omitempty"`       // orders sent to or received from other profiles
	DoNotLink   []Pair        `json:"do_not_link,omitempty"` // operator constraints touching the profile's records
	Separations []Separation  `json:"separations,omitempty"` // joins protection refused, touching the profile's records
}

// Order is the latest known state of one order, unique by platform and
// order id across a profile's records.
type Order struct {
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

// Interaction is one contact event of a profile: a follow, a repost, a
// registration. Its text is left in the source record.
type Interaction struct {
	Type   identity.InteractionType `json:"type"`
	ID     string                   `json:"id,omitempty"` // the platform's event id; events with an id count once per channel
	Time   time.Time                `json:"time,omitzero"`
	Record identity.RecordKey       `json:"record"`
}

// Feedback is one satisfaction (CSAT) or recommendation (NPS) score.
type Feedback struct {
	Kind  identity.FeedbackKind `json:"kind"`
	Score int                   `json:"score"`
	Time  time.Time             `json:"time,omitzero"`
	From  Provenance            `json:"from"`
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

// Pair is a do-not-link between two source records ([DB.Unmerge],
// [DB.Separate]): they are never in one profile. A < B in record-key
// order.
type Pair struct {
	A identity.RecordKey `json:"a"`
	B identity.RecordKey `json:"b"`
}

// Separation is a join that was refused: records A and B share an
// identifier of kind Via and would be one profile, but Rule (a limit or a
// do-not-link) keeps them apart. Limit names the kind whose limit the
// join would exceed. A < B in record-key order.
type Separation struct {
	A     identity.RecordKey `json:"a"`
	B     identity.RecordKey `json:"b"`
	Rule  Rule               `json:"rule"`
	Limit identity.Kind      `json:"limit,omitempty"`
	Via   identity.Kind      `json:"via"`
}

func newDetail(p *merge.Profile) *Detail {
	d := &Detail{}
	for _, o := range p.Orders {
		d.Orders = append(d.Orders, Order{Platform: o.Platform, ID: o.ID, Status: o.Status, AmountFen: o.AmountFen,
			Currency: o.Currency, Time: o.Time, Category: o.Category, Store: o.Store, From: Provenance(o.From)})
	}
	for _, e := range p.Events {
		d.Events = append(d.Events, Interaction(e))
	}
	for _, f := range p.Feedback {
		d.Feedback = append(d.Feedback, Feedback{Kind: f.Kind, Score: f.Score, Time: f.Time, From: Provenance(f.From)})
	}
	for _, g := range p.Gifts {
		d.Gifts = append(d.Gifts, Gift(g))
	}
	for _, dn := range p.DoNotLink {
		d.DoNotLink = append(d.DoNotLink, Pair(dn))
	}
	d.Separations = newSeparations(p.Separations)
	return d
}

func newSeparations(ss []merge.Separation) []Separation {
	var out []Separation
	for _, s := range ss {
		out = append(out, Separation{A: s.A, B: s.B, Rule: Rule(s.Rule), Limit: s.Limit, Via: s.Via})
	}
	return out
}
