package scv

import (
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Stage is a rung of the customer-loyalty ladder. Stages are ordered:
// each is further up the ladder than the one before it in [Stages].
type Stage string

// The lifecycle stages, lowest first.
const (
	StagePotential     Stage = "potential"      // known from social contact only, or from nothing but an identifier
	StageTarget        Stage = "target"         // showed purchase intent but has not bought
	StageFirstPurchase Stage = "first_purchase" // exactly one paid order
	StageRepeat        Stage = "repeat"         // two or more paid orders
	StageLoyal         Stage = "loyal"          // five or more paid orders in the trailing window
	StageAdvocate      Stage = "advocate"       // repeat or loyal, and promotes the brand
)

// Stages lists every stage from the bottom of the ladder to the top.
var Stages = []Stage{StagePotential, StageTarget, StageFirstPurchase, StageRepeat, StageLoyal, StageAdvocate}

// String returns the stage's name, as ParseStage reads it.
func (s Stage) String() string { return string(s) }

// ParseStage returns the stage named s ("loyal"), the inverse of
// [Stage.String].
func ParseStage(s string) (Stage, error) {
	if st := Stage(s); slices.Contains(Stages, st) {
		return st, nil
	}
	return "", fmt.Errorf("scv: unknown stage %q", s)
}

// Risk is a customer's churn risk, from the time since the last purchase
// measured against the customer's own rhythm.
type Risk string

// The churn risks. RiskNone is a customer who never bought.
const (
	RiskNone   Risk = "none"
	RiskActive Risk = "active"
	RiskAtRisk Risk = "at_risk"
	RiskLapsed Risk = "lapsed"
)

// Risks lists every churn risk, lowest first.
var Risks = []Risk{RiskNone, RiskActive, RiskAtRisk, RiskLapsed}

// String returns the risk's name, as ParseRisk reads it.
func (r Risk) String() string { return string(r) }

// ParseRisk returns the churn risk named s ("at_risk"), the inverse of
// [Risk.String].
func ParseRisk(s string) (Risk, error) {
	if r := Risk(s); slices.Contains(Risks, r) {
		return r, nil
	}
	return "", fmt.Errorf("scv: unknown risk %q", s)
}

// Purpose is a use of customer data that needs consent. It is the type
// source records state consent in ([identity.Record]), so the two never
// need converting.
type Purpose = identity.Purpose

// The purposes of consent. Every profile's [Profile].Consent lists the
// three that need consent; the default is no consent.
const (
	// PurposeMarketing is direct marketing: messages, campaigns, coupons.
	PurposeMarketing = identity.PurposeMarketing
	// PurposePersonalisation is tailoring what the customer is shown.
	PurposePersonalisation = identity.PurposePersonalisation
	// PurposeThirdParty is sharing with another company.
	PurposeThirdParty = identity.PurposeThirdParty
	// PurposeInternal is the brand's own use of its data, which
	// [DB.Export] allows for every profile; it needs no consent.
	PurposeInternal Purpose = "internal"
)

// Profile is the single customer view of one person, as the API and the
// command line show it. Detail holds what the totals are made of; lookups
// of one profile (ByPhone, ByIdentifier, ByID, Explain, and the profiles of
// a [Change]) set it, listings (ByStage, All, Export) leave it nil.
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
	Fields      []Field          `json:"fields"` // survivorship: value, provenance, alternatives
	FirstSeen   time.Time        `json:"first_seen,omitzero"`
	LastSeen    time.Time        `json:"last_seen,omitzero"`
	AsOf        time.Time        `json:"as_of"`
	Cursor      string           `json:"-"` // resumes a listing after this profile
	Detail      *Detail          `json:"-"`
}

// Holds reports whether the source record with key k is one of the
// profile's.
func (p *Profile) Holds(k identity.RecordKey) bool {
	return slices.ContainsFunc(p.Sources, func(s Source) bool {
		return s.Channel == k.Channel && s.Source == k.Source && s.RecordID == k.ID
	})
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
	Kind   string `json:"kind"`
	Scope  string `json:"scope,omitempty"`
	Value  string `json:"value"`
	Status Status `json:"status"`
}

// Status says whether an identifier links the records of a profile, and
// if not, why not.
type Status string

// The statuses of a profile's identifiers.
const (
	StatusLinking  Status = "linking"  // joins the records that carry it
	StatusHub      Status = "hub"      // seen with too many distinct people; links nothing
	StatusBlocked  Status = "blocked"  // listed in MergeOptions.Blocked; links nothing
	StatusExcluded Status = "excluded" // the record carries more identifiers of this kind than the limit; links nothing
	StatusRecycled Status = "recycled" // a phone reassigned since: links the records of its earlier owner, but is no longer the profile's key
	StatusReceiver Status = "receiver" // a gift receiver's phone on the buyer's order; links nothing
)

// FieldName names a descriptive field of a profile that survivorship
// decides.
type FieldName string

// The descriptive fields, in the order a profile lists them.
const (
	FieldPersonName FieldName = "name"
	FieldNickname   FieldName = "nickname"
	FieldGender     FieldName = "gender"
	FieldBirthday   FieldName = "birthday"
	FieldCountry    FieldName = "country"
	FieldProvince   FieldName = "province"
	FieldCity       FieldName = "city"
	FieldDistrict   FieldName = "district"
	FieldLanguage   FieldName = "language"
	FieldEmail      FieldName = "email"
	FieldPhone      FieldName = "phone"
)

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

// Provenance says where a value came from: the source record and when the
// source observed it.
type Provenance struct {
	Record   identity.RecordKey `json:"record"`
	Observed time.Time          `json:"observed,omitzero"`
}

// Alternative is a value of a field that did not survive.
type Alternative struct {
	Value   string     `json:"value"`
	From    Provenance `json:"from"`
	Records int        `json:"records"`
}

// newProfile returns the view of p, without its Detail.
func newProfile(p *merge.Profile) *Profile {
	out := &Profile{
		ID: p.ID, Stage: Stage(p.Stage), Risk: Risk(p.Risk), Phones: []string{},
		Consent:     make(map[Purpose]bool, len(identity.Purposes)),
		Sources:     make([]Source, 0, len(p.Records)),
		Identifiers: make([]Identifier, 0, len(p.Identifiers)),
		Fields:      newFields(p.Fields), FirstSeen: p.FirstSeen, LastSeen: p.LastSeen, AsOf: p.AsOf,
	}
	if f, ok := p.Field(merge.FieldPersonName); ok {
		out.Name = f.Value
	}
	var other []string
	for _, s := range p.Identifiers {
		out.Identifiers = append(out.Identifiers, Identifier{Kind: s.Identifier.Kind.String(), Scope: s.Identifier.Scope, Value: s.Identifier.Value, Status: Status(s.Status)})
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

func newFields(fs []merge.Field) []Field {
	if fs == nil {
		return nil
	}
	out := make([]Field, len(fs))
	for i, f := range fs {
		out[i] = Field{Name: FieldName(f.Name), Value: f.Value, From: Provenance(f.From), Records: f.Records}
		for _, a := range f.Alternatives {
			out[i].Alternatives = append(out[i].Alternatives, Alternative{Value: a.Value, From: Provenance(a.From), Records: a.Records})
		}
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
