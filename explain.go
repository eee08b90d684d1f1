package scv

import (
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Explanation is a profile and, for each of its records, what links it to
// the others.
type Explanation struct {
	Profile *Profile      `json:"profile"`
	Links   []RecordLinks `json:"-"`
}

// RecordLinks says what links one record of a profile to the others.
type RecordLinks struct {
	Record identity.RecordKey
	Links  []Link // empty for a profile's only record
	// Asserted are the links an operator or AutoLink made ([DB.Link],
	// [DB.AutoLink]) naming the record.
	Asserted []Assertion
}

// Assertion is a statement that two records are one person although no
// identifier joins them: an operator's link, or AutoLink's above its
// probability. It joins the records after every identifier rule, so it
// overrides hubs and limits but never a do-not-link; an unmerge of either
// record withdraws it.
type Assertion struct {
	A identity.RecordKey `json:"a"`
	B identity.RecordKey `json:"b"`
	// By names who asserted it: an operator's name, or "auto" for
	// AutoLink.
	By string    `json:"by"`
	At time.Time `json:"at,omitzero"`
	// Probability is AutoLink's match probability; 0 for an operator.
	Probability float64 `json:"probability,omitempty"`
}

// Link is one identifier a record shares with other records of its
// profile. Identifier holds personal data: show its kind, not its value.
type Link struct {
	Identifier identity.Identifier
	With       []identity.RecordKey // the other records carrying it, in key order
}

// PairExplanation says whether two source records are one profile, and
// why.
type PairExplanation struct {
	A, B identity.RecordKey
	// Same reports that A and B are in one profile, Profile; Path then
	// leads from A to B through records sharing linking identifiers.
	Same    bool
	Profile string
	// Path, when A and B are apart, leads from A to B through records
	// sharing identifiers that would link them but for Rule; it is empty
	// for RuleNoSharedIdentifier.
	Path []Hop
	// Rule is what keeps A and B apart; empty when Same.
	Rule Rule
	// Kind is the identifier kind concerned: the hub's, the blocked
	// value's, or the kind whose limit a join would exceed.
	Kind identity.Kind
}

// Hop is one step of a path: records From and To share identifier Via,
// which holds personal data: show its kind, not its value.
type Hop struct {
	From, To identity.RecordKey
	Via      identity.Identifier
	Link     *Assertion // a hop through an assertion: no Via
}

// Rule names the reason two records are not one profile: a protection
// rule that kept them apart, or the absence of anything linking them.
type Rule string

// The rules that keep records apart.
const (
	RuleHub                Rule = "hub"                  // the shared identifier is a flagged hub
	RuleBlocked            Rule = "blocked"              // the shared identifier is a blocked value
	RuleLimit              Rule = "limit"                // joining would exceed an identifier kind's limit per profile
	RuleDoNotLink          Rule = "do_not_link"          // an operator said the records are different people
	RuleNoSharedIdentifier Rule = "no_shared_identifier" // nothing links them
	RuleReceiver           Rule = "receiver"             // the shared phone is a gift receiver's, named by the buyer's order
	RuleRecycled           Rule = "recycled"             // the shared phone was reassigned: a different person after a long silence
)

// Change says what an operator's action ([DB.Unmerge], [DB.Separate]) did.
type Change struct {
	// NoOp reports that there was nothing to do: the records were apart
	// already. Every other field is then empty.
	NoOp bool
	// Profiles are the profiles created or updated, as they are now.
	Profiles []*Profile
	// Created are the ids of the new profiles among Profiles.
	Created []string
}

func newExplanation(p *Profile, links []merge.RecordLinks) *Explanation {
	ex := &Explanation{Profile: p, Links: make([]RecordLinks, 0, len(links))}
	for _, rl := range links {
		r := RecordLinks{Record: rl.Record}
		for _, l := range rl.Links {
			r.Links = append(r.Links, Link(l))
		}
		for _, a := range rl.Asserted {
			r.Asserted = append(r.Asserted, Assertion(a))
		}
		ex.Links = append(ex.Links, r)
	}
	return ex
}

func newPairExplanation(pe *merge.PairExplanation) *PairExplanation {
	out := &PairExplanation{A: pe.A, B: pe.B, Same: pe.Same, Profile: pe.Profile, Rule: Rule(pe.Rule), Kind: pe.Kind}
	for _, h := range pe.Path {
		hop := Hop{From: h.From, To: h.To, Via: h.Via}
		if h.Link != nil {
			a := Assertion(*h.Link)
			hop.Link = &a
		}
		out.Path = append(out.Path, hop)
	}
	return out
}

func newChange(ch *merge.Change) *Change {
	out := &Change{NoOp: ch.NoOp, Created: ch.Created}
	for _, p := range ch.Profiles {
		q := newProfile(p)
		q.Detail = newDetail(p)
		out.Profiles = append(out.Profiles, q)
	}
	return out
}
