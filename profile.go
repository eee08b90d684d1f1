package scv

import (
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Stage is a rung of the customer-loyalty ladder.
type Stage = merge.Stage

// The lifecycle stages, lowest first.
const (
	StagePotential     = merge.StagePotential
	StageTarget        = merge.StageTarget
	StageFirstPurchase = merge.StageFirstPurchase
	StageRepeat        = merge.StageRepeat
	StageLoyal         = merge.StageLoyal
	StageAdvocate      = merge.StageAdvocate
)

// Risk is a customer's churn risk.
type Risk = merge.Risk

// The churn risks. RiskNone is a customer who never bought.
const (
	RiskNone   = merge.RiskNone
	RiskActive = merge.RiskActive
	RiskAtRisk = merge.RiskAtRisk
	RiskLapsed = merge.RiskLapsed
)

// Purpose is a use of customer data that needs consent.
type Purpose = identity.Purpose

// PurposeInternal is the brand's own use of its data, which [DB.Export]
// allows for every profile; the other purposes need consent.
const PurposeInternal Purpose = "internal"

// Profile is the single customer view of one person, as the API and the
// command line show it. Detail holds everything the merge step keeps.
//
// A Profile is a copy owned by the caller. It holds personal data: never
// log it.
type Profile struct {
	ID          string           `json:"id"`
	Phones      []string         `json:"phones"` // E.164, linking phones first
	Name        string           `json:"name,omitempty"`
	Stage       Stage            `json:"stage"`
	Risk        Risk             `json:"risk"`
	Metrics     Metrics          `json:"metrics"`
	Consent     map[Purpose]bool `json:"consent"`
	Sources     []Source         `json:"sources"`
	Identifiers []Identifier     `json:"identifiers"`
	Fields      []merge.Field    `json:"fields"` // survivorship: value, provenance, alternatives
	FirstSeen   time.Time        `json:"first_seen,omitzero"`
	LastSeen    time.Time        `json:"last_seen,omitzero"`
	AsOf        time.Time        `json:"as_of"`
	Cursor      string           `json:"-"` // resumes a listing after this profile
	Detail      *merge.Profile   `json:"-"`
}

// Metrics are a profile's customer metrics in its main currency (CNY
// unless it only bought in another).
type Metrics struct {
	Orders           int              `json:"orders"` // paid orders
	Currency         string           `json:"currency,omitempty"`
	SpendFen         int64            `json:"spend_fen"`
	AOVFen           int64            `json:"aov_fen"`
	CLVFen           int64            `json:"clv_fen"`
	FirstPurchase    time.Time        `json:"first_purchase,omitzero"`
	LastPurchase     time.Time        `json:"last_purchase,omitzero"`
	OrdersInWindow   int              `json:"orders_365d"`
	NPS              *int             `json:"nps"`
	NPSCategory      string           `json:"nps_category,omitempty"`
	CSAT             *int             `json:"csat,omitempty"`
	PreferredChannel identity.Channel `json:"preferred_channel,omitempty"`
	Referrals        int              `json:"referrals"`
	PaidReferrals    int              `json:"paid_referrals"`
}

// Source is one source record of a profile.
type Source struct {
	Channel  identity.Channel `json:"channel"`
	Source   string           `json:"source"`
	RecordID string           `json:"record_id"`
	Observed time.Time        `json:"observed,omitzero"`
}

// Identifier is one identifier of a profile and whether it links its
// records (status "linking") or not (a hub, a blocked value, a value
// excluded by a limit).
type Identifier struct {
	Kind   string       `json:"kind"`
	Scope  string       `json:"scope,omitempty"`
	Value  string       `json:"value"`
	Status merge.Status `json:"status"`
}

func newProfile(p *merge.Profile) *Profile {
	out := &Profile{
		ID: p.ID, Stage: p.Stage, Risk: p.Risk, Phones: []string{},
		Consent:     make(map[Purpose]bool, len(identity.Purposes)),
		Sources:     make([]Source, 0, len(p.Records)),
		Identifiers: make([]Identifier, 0, len(p.Identifiers)),
		Fields:      p.Fields, FirstSeen: p.FirstSeen, LastSeen: p.LastSeen, AsOf: p.AsOf, Detail: p,
	}
	if f, ok := p.Field(merge.FieldPersonName); ok {
		out.Name = f.Value
	}
	var other []string
	for _, s := range p.Identifiers {
		out.Identifiers = append(out.Identifiers, Identifier{Kind: s.Identifier.Kind.String(), Scope: s.Identifier.Scope, Value: s.Identifier.Value, Status: s.Status})
		if s.Identifier.Kind != identity.KindPhone {
			continue
		}
		if s.Status == merge.StatusLinking {
			out.Phones = append(out.Phones, s.Identifier.Value)
		} else {
			other = append(other, s.Identifier.Value)
		}
	}
	out.Phones = append(out.Phones, other...)
	for _, purpose := range identity.Purposes {
		out.Consent[purpose] = p.Consented(purpose)
	}
	for _, r := range p.Records {
		out.Sources = append(out.Sources, Source{Channel: r.Key.Channel, Source: r.Key.Source, RecordID: r.Key.ID, Observed: r.Observed})
	}
	m := p.Metrics
	out.Metrics = Metrics{
		Orders: m.PaidOrders, FirstPurchase: m.FirstPurchase, LastPurchase: m.LastPurchase,
		OrdersInWindow: m.OrdersInWindow, PreferredChannel: m.PreferredChannel,
		Referrals: m.Referrals, PaidReferrals: m.PaidReferrals,
	}
	if sp := mainSpend(m.Spend); sp != nil {
		out.Metrics.Currency, out.Metrics.SpendFen, out.Metrics.AOVFen, out.Metrics.CLVFen = sp.Currency, sp.TotalFen, sp.AOVFen, sp.CLVFen
	}
	if m.NPS != nil {
		out.Metrics.NPS, out.Metrics.NPSCategory = &m.NPS.Score, m.NPS.Category
	}
	if m.CSAT != nil {
		out.Metrics.CSAT = &m.CSAT.Score
	}
	return out
}

func mainSpend(s []merge.CurrencySpend) *merge.CurrencySpend {
	for i := range s {
		if s[i].Currency == "CNY" {
			return &s[i]
		}
	}
	if len(s) > 0 {
		return &s[0]
	}
	return nil
}
