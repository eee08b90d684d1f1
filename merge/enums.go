package merge

import "fmt"

// Stage is a rung of the customer-loyalty ladder. Stages are ordered:
// each one is further up the ladder than the one before it in [Stages].
type Stage string

// The lifecycle stages. See the package documentation for their rules.
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

// String returns the stage's name, such as "first_purchase". It parses
// back with [ParseStage].
func (s Stage) String() string { return string(s) }

// ParseStage returns the stage named s, the inverse of [Stage.String].
func ParseStage(s string) (Stage, error) {
	for _, st := range Stages {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: unknown stage %q", ErrInvalid, s)
}

// Risk is a customer's churn risk, from the time since the last purchase
// measured against the customer's own rhythm.
type Risk string

// The churn risks. RiskNone is the risk of a profile without a dated paid
// order: a customer who never bought cannot churn.
const (
	RiskNone   Risk = "none"
	RiskActive Risk = "active"
	RiskAtRisk Risk = "at_risk"
	RiskLapsed Risk = "lapsed"
)

// Risks lists every risk, from none to lapsed.
var Risks = []Risk{RiskNone, RiskActive, RiskAtRisk, RiskLapsed}

// String returns the risk's name, such as "at_risk". It parses back with
// [ParseRisk].
func (r Risk) String() string { return string(r) }

// ParseRisk returns the risk named s, the inverse of [Risk.String].
func ParseRisk(s string) (Risk, error) {
	for _, r := range Risks {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: unknown risk %q", ErrInvalid, s)
}

// Rule names the reason two records are not one profile: a protection rule
// that kept them apart, or the absence of anything linking them.
type Rule string

// The rules. RuleHub, RuleBlocked and RuleLimit (for an identifier a record
// carries beyond its kind's limit) stop an identifier from linking at all;
// RuleLimit (between records) and RuleDoNotLink refuse a join that shared
// identifiers would otherwise make.
const (
	RuleHub                Rule = "hub"                  // the shared identifier is a flagged hub
	RuleBlocked            Rule = "blocked"              // the shared identifier is a blocked value
	RuleLimit              Rule = "limit"                // joining would exceed an identifier kind's limit per profile
	RuleDoNotLink          Rule = "do_not_link"          // an operator said the records are different people
	RuleNoSharedIdentifier Rule = "no_shared_identifier" // nothing links them
	RuleReceiver           Rule = "receiver"             // the shared phone is a gift receiver's, named by the buyer's order
	RuleRecycled           Rule = "recycled"             // the shared phone was reassigned: a different person after a long silence
)

// Rules lists every rule.
var Rules = []Rule{RuleHub, RuleBlocked, RuleLimit, RuleDoNotLink, RuleNoSharedIdentifier, RuleReceiver, RuleRecycled}

// String returns the rule's name, such as "do_not_link". It parses back
// with [ParseRule].
func (r Rule) String() string { return string(r) }

// ParseRule returns the rule named s, the inverse of [Rule.String].
func ParseRule(s string) (Rule, error) {
	for _, r := range Rules {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: unknown rule %q", ErrInvalid, s)
}

// Status says whether an identifier links the records of a profile, and if
// not, why not.
type Status string

// The identifier statuses. When the records of a profile carry an
// identifier with different statuses, the profile shows the first of hub,
// blocked, linking, recycled, receiver, excluded that applies.
const (
	StatusLinking  Status = "linking"  // joins the records that carry it
	StatusHub      Status = "hub"      // seen with too many distinct people; links nothing
	StatusBlocked  Status = "blocked"  // listed in [Options].Blocked; links nothing
	StatusExcluded Status = "excluded" // the record carries more identifiers of this kind than the limit; links nothing
	StatusRecycled Status = "recycled" // a phone reassigned to someone else since: links this profile's records of its earlier owner, but is no longer its key
	StatusReceiver Status = "receiver" // a gift receiver's phone on the buyer's order; links nothing
)

// Statuses lists every status.
var Statuses = []Status{StatusLinking, StatusHub, StatusBlocked, StatusExcluded, StatusRecycled, StatusReceiver}

// String returns the status's name. It parses back with [ParseStatus].
func (s Status) String() string { return string(s) }

// ParseStatus returns the status named s, the inverse of [Status.String].
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: unknown identifier status %q", ErrInvalid, s)
}

// statusRank orders statuses by precedence: the lowest rank wins when
// records disagree.
func statusRank(s Status) int {
	switch s {
	case StatusHub:
		return 0
	case StatusBlocked:
		return 1
	case StatusLinking:
		return 2
	case StatusRecycled:
		return 3
	case StatusReceiver:
		return 4
	default:
		return 5
	}
}

// FieldName names a descriptive field of a profile that survivorship
// decides.
type FieldName string

// The survivorship fields, in the order a profile lists them. FieldEmail
// and FieldPhone come from the records' e-mail and phone identifiers (hubs
// and blocked values excluded); the others from their attributes.
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

// FieldNames lists every survivorship field in profile order.
var FieldNames = []FieldName{
	FieldPersonName, FieldNickname, FieldGender, FieldBirthday, FieldCountry, FieldProvince,
	FieldCity, FieldDistrict, FieldLanguage, FieldEmail, FieldPhone,
}

// String returns the field's name. It parses back with [ParseFieldName].
func (f FieldName) String() string { return string(f) }

// ParseFieldName returns the field named s, the inverse of
// [FieldName.String].
func ParseFieldName(s string) (FieldName, error) {
	for _, f := range FieldNames {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: unknown field %q", ErrInvalid, s)
}

// fieldIndex returns the index of f in FieldNames, or numFields for a
// name that is not a field.
func fieldIndex(f FieldName) int {
	switch f {
	case FieldPersonName:
		return idxPersonName
	case FieldNickname:
		return idxNickname
	case FieldGender:
		return idxGender
	case FieldBirthday:
		return idxBirthday
	case FieldCountry:
		return idxCountry
	case FieldProvince:
		return idxProvince
	case FieldCity:
		return idxCity
	case FieldDistrict:
		return idxDistrict
	case FieldLanguage:
		return idxLanguage
	case FieldEmail:
		return idxEmail
	case FieldPhone:
		return idxPhone
	}
	return numFields
}

// The feedback categories. An NPS score (0-10) is a promoter at 9-10, a
// passive at 7-8 and a detractor at 0-6; a CSAT score (1-5) is satisfied at
// 4-5, neutral at 3 and dissatisfied at 1-2.
const (
	CategoryPromoter     = "promoter"
	CategoryPassive      = "passive"
	CategoryDetractor    = "detractor"
	CategorySatisfied    = "satisfied"
	CategoryNeutral      = "neutral"
	CategoryDissatisfied = "dissatisfied"
)
