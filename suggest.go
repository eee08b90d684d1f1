package scv

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/scv-go/scv/match"
	"github.com/scv-go/scv/store"
)

// Suggestion says that two profiles may be the same person although no
// identifier links them: the same name and birthday, say, with phones one
// digit apart. A suggestion changes nothing; an operator reviews it and
// acts (see [DB.Suggest]).
type Suggestion struct {
	// A and B are the two profile ids, A < B.
	A string `json:"a"`
	B string `json:"b"`
	// Probability is the probability that A and B are one person, from 0
	// to 1, under the Fellegi-Sunter model estimated from the database
	// itself (see [DB.Suggest]).
	Probability float64 `json:"probability"`
	// MatchWeight is log2 of the odds behind Probability: the prior odds
	// of a candidate pair plus the weight of each field's evidence.
	MatchWeight float64 `json:"match_weight"`
	// Score equals Probability; it keeps the name of the first version,
	// whose hand-weighted score it replaces.
	Score    float64  `json:"score"`
	Evidence Evidence `json:"evidence"`
}

// Evidence is what two profiles have in common, field by field, as
// package match compares them; [match.Unknown] (omitted in JSON) where a
// profile states nothing.
type Evidence struct {
	Name     match.Agreement `json:"name"`
	Birthday match.Agreement `json:"birthday,omitempty"`
	Phone    PhoneMatch      `json:"phone,omitempty"`
	Gender   match.Agreement `json:"gender,omitempty"`
	Province match.Agreement `json:"province,omitempty"`
	City     match.Agreement `json:"city,omitempty"`
	// NameFrequency is the share of the compared profiles whose name has
	// the key of the pair's name ([match.NameKey]), when the names are
	// the same: agreeing on a common name (王伟, 张伟) is weak evidence.
	NameFrequency float64 `json:"name_frequency,omitempty"`
}

// String describes the evidence in words, such as "name same, birthday
// exact, phone one_digit, city exact". It holds no personal data.
func (e Evidence) String() string {
	parts := []string{"name " + e.Name.String()}
	for _, f := range []struct {
		name string
		v    fmt.Stringer
		set  bool
	}{
		{"birthday", e.Birthday, e.Birthday != match.Unknown}, {"phone", e.Phone, e.Phone != PhoneUnknown},
		{"gender", e.Gender, e.Gender != match.Unknown}, {"province", e.Province, e.Province != match.Unknown},
		{"city", e.City, e.City != match.Unknown},
	} {
		if f.set {
			parts = append(parts, f.name+" "+f.v.String())
		}
	}
	return strings.Join(parts, ", ")
}

// PhoneMatch says how near the nearest pair of two profiles' phones is,
// digit by digit ([match.PhoneDistance]).
type PhoneMatch string

// String returns the phone match's name.
func (p PhoneMatch) String() string { return string(p) }

// The phone matches, nearest first. The empty PhoneMatch means unknown: a
// profile has no phone to compare.
const (
	PhoneUnknown    PhoneMatch = ""
	PhoneEqual      PhoneMatch = "equal"      // the same number (kept apart by a rule such as a hub)
	PhoneOneDigit   PhoneMatch = "one_digit"  // one digit different
	PhoneTransposed PhoneMatch = "transposed" // two adjacent digits swapped
	PhoneTwoDigits  PhoneMatch = "two_digits" // two digits different
	PhoneFar        PhoneMatch = "far"        // further apart, or of other lengths
)

// SuggestOptions set the lowest probability reported and the largest
// block compared. The zero value means the defaults.
type SuggestOptions struct {
	// MinProbability is the lowest match probability reported, from 0 to
	// 1; 0 means MinScore, and if that is 0 too, [DefaultMinProbability].
	MinProbability float64
	// MinScore is the first version's name of MinProbability, read when
	// MinProbability is 0.
	MinScore float64
	// MaxBlock is the most profiles a block may hold to be compared; a
	// larger block is skipped, as a placeholder (a name and birthday staff
	// type for everyone) or a name too common to mean anything without a
	// birthday. 0 means [DefaultMaxBlock].
	MaxBlock int
}

// The defaults of [SuggestOptions].
const (
	DefaultMinProbability = 0.8
	DefaultMaxBlock       = 50
)

func newSuggestion(s store.Suggestion) Suggestion {
	e := s.Evidence
	return Suggestion{A: s.A, B: s.B, Probability: s.Probability, MatchWeight: s.MatchWeight, Score: s.Score,
		Evidence: Evidence{Name: e.Name, Birthday: e.Birthday, Phone: PhoneMatch(e.Phone), Gender: e.Gender,
			Province: e.Province, City: e.City, NameFrequency: e.NameFrequency}}
}

// Suggest streams the pairs of profiles that may be the same person
// although no identifier links them (the same name and birthday with
// phones a digit or two apart, say), each pair once, with the evidence and
// a match probability of at least opts.MinProbability. It merges nothing:
// suggestions are for an operator to review; [DB.Separate] on two of a
// pair's records dismisses it for good. Pairs an operator separated, or
// that a limit keeps apart, are not suggested.
//
// Candidates are profiles that share a name (its words in any order), or
// a birthday and a word of a name; blocks of more than opts.MaxBlock
// profiles are skipped as placeholders. Each pair is scored by a
// Fellegi-Sunter model whose weights are estimated from the database
// itself, so Suggest compares every candidate pair before it yields the
// first (about 150 bytes a pair in memory); suggestions come in the
// index's order, not by probability.
func (db *DB) Suggest(ctx context.Context, opts SuggestOptions) iter.Seq2[Suggestion, error] {
	return func(yield func(Suggestion, error) bool) {
		for s, err := range db.s.Suggest(ctx, store.SuggestOptions(opts)) {
			if !yield(newSuggestion(s), wrap(err)) {
				return
			}
		}
	}
}

// SuggestFor returns the profiles that may be the same person as the
// profile with the given id, most probable first. It returns [ErrNotFound]
// for an unknown id and [ErrErased] for an erased one.
func (db *DB) SuggestFor(ctx context.Context, id string, opts SuggestOptions) ([]Suggestion, error) {
	ss, err := db.s.SuggestFor(ctx, id, store.SuggestOptions(opts))
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]Suggestion, len(ss))
	for i, s := range ss {
		out[i] = newSuggestion(s)
	}
	return out, nil
}

// AutoLinkOptions are the options of [DB.AutoLink].
type AutoLinkOptions struct {
	// MinProbability is the lowest match probability linked, above 0.5
	// and at most 1. It has no default: AutoLink is off unless a caller
	// chooses how sure it must be.
	MinProbability float64
	// MaxBlock is the largest block compared, as in [SuggestOptions]; 0
	// means the default.
	MaxBlock int
	// By names who made the links in explanations; "" means "auto".
	By string
}

// AutoLinkSummary counts what [DB.AutoLink] did.
type AutoLinkSummary struct {
	Suggested int // suggestions at MinProbability or more
	Linked    int // of them, links that joined two profiles
}

// AutoLink links every pair of profiles that [DB.Suggest] scores at
// opts.MinProbability or more, most probable first: each link is an
// assertion naming opts.By and the probability, which explain shows
// ("linked by auto (p=0.995)"). Every link is reversible: an unmerge of
// either record ([DB.Unmerge]) withdraws it. Assertions join after every
// identifier rule, so a link overrides hubs and limits but never a
// do-not-link an operator set.
func (db *DB) AutoLink(ctx context.Context, opts AutoLinkOptions) (AutoLinkSummary, error) {
	s, err := db.s.AutoLink(ctx, store.AutoLinkOptions(opts))
	return AutoLinkSummary(s), err
}
