package store

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
	"github.com/scv-go/scv/merge"
)

// candidate is a profile with what comparisons need, parsed once.
type candidate struct {
	p              *merge.Profile
	names          []match.Name    // placeholders left out
	births         []identity.Date // zero dates left out
	phones         []string        // E.164; linking or excluded phones, hubs and blocked values left out
	gender         []identity.Gender
	province, city []string
	nameKey        uint64   // hash of the best name's key; 0 without a name
	tags           [][]byte // its block tags, for Suggest's order
}

// nameKeySeed hashes name keys for term frequencies, so that the model
// kept in memory holds no name.
var nameKeySeed = maphash.MakeSeed()

func newCandidate(p *merge.Profile) *candidate {
	c := &candidate{p: p}
	src := blockSourceOf(p)
	for _, n := range src.names {
		if pn := match.ParseName(n); !pn.Placeholder() {
			c.names = append(c.names, pn)
		}
	}
	if len(c.names) > 0 {
		c.nameKey = maphash.String(nameKeySeed, c.names[0].Key()) | 1
	}
	for _, b := range src.births {
		if d, err := identity.ParseDate(b); err == nil && !d.IsZero() && !slices.Contains(c.births, d) {
			c.births = append(c.births, d)
		}
	}
	for _, st := range p.Identifiers {
		if st.Identifier.Kind != identity.KindPhone || st.Status == merge.StatusHub || st.Status == merge.StatusBlocked {
			continue
		}
		c.phones = append(c.phones, st.Identifier.Value)
	}
	for _, g := range fieldValues(p, merge.FieldGender) {
		c.gender = append(c.gender, identity.Gender(g))
	}
	c.province = fieldValues(p, merge.FieldProvince)
	c.city = fieldValues(p, merge.FieldCity)
	return c
}

// fieldValues returns the values a profile states for a field, case-folded,
// best first.
func fieldValues(p *merge.Profile, name merge.FieldName) []string {
	f, ok := p.Field(name)
	if !ok {
		return nil
	}
	out := []string{strings.ToLower(f.Value)}
	for _, a := range f.Alternatives {
		out = append(out, strings.ToLower(a.Value))
	}
	return out
}

// comparedPair is a candidate pair and its evidence.
type comparedPair struct {
	a, b    string // profile ids, a < b
	e       Evidence
	nameKey uint64 // the hashed name key, when the names are the same
}

// comparePair compares two candidates; false if a do-not-link or a limit
// keeps them apart.
func comparePair(a, b *candidate) (comparedPair, bool) {
	if keptApart(a.p, b.p) || keptApart(b.p, a.p) {
		return comparedPair{}, false
	}
	pr := comparedPair{a: a.p.ID, b: b.p.ID, e: compare(a, b)}
	if pr.b < pr.a {
		pr.a, pr.b = pr.b, pr.a
	}
	if pr.e.Name >= match.Same {
		pr.nameKey = a.nameKey
	}
	return pr, true
}

// suggestible reports whether the pair may be suggested: not when their
// names differ, however near the rest (a parent and child share an address
// and a surname, not a name). Such pairs still inform the model.
func (pr comparedPair) suggestible() bool { return pr.e.Name != match.Different }

// keptApart reports whether a do-not-link or a limit keeps a record of p
// apart from a record of q: an operator said they are different people,
// or merging them would break a limit.
func keptApart(p, q *merge.Profile) bool {
	for _, pr := range p.DoNotLink {
		if q.Holds(pr.A) || q.Holds(pr.B) {
			return true
		}
	}
	for _, sp := range p.Separations {
		if sp.Rule == merge.RuleLimit && (q.Holds(sp.A) || q.Holds(sp.B)) {
			return true
		}
	}
	return false
}

// compare gathers the evidence of two candidates: for each field, the
// best agreement of any value of one with any value of the other.
func compare(a, b *candidate) Evidence {
	var e Evidence
	for _, x := range a.names {
		for _, y := range b.names {
			e.Name = max(e.Name, x.Compare(y))
		}
	}
	for _, x := range a.births {
		for _, y := range b.births {
			e.Birthday = max(e.Birthday, match.Birthdays(x, y))
		}
	}
	if len(a.phones) > 0 && len(b.phones) > 0 {
		e.Phone = PhoneFar
		for _, x := range a.phones {
			for _, y := range b.phones {
				if m := comparePhones(x, y); rankPhone(m) < rankPhone(e.Phone) {
					e.Phone = m
				}
			}
		}
	}
	for _, x := range a.gender {
		for _, y := range b.gender {
			e.Gender = max(e.Gender, match.Genders(x, y))
		}
	}
	e.Province = agreement(a.province, b.province)
	e.City = agreement(a.city, b.city)
	return e
}

func rankPhone(m PhoneMatch) int {
	return slices.Index([]PhoneMatch{PhoneEqual, PhoneOneDigit, PhoneTransposed, PhoneTwoDigits, PhoneFar}, m)
}

// comparePhones compares two numbers in E.164 form digit by digit.
func comparePhones(x, y string) PhoneMatch {
	switch d := match.PhoneDistance(x, y); {
	case d == 0:
		return PhoneEqual
	case d == 1 && hamming(x, y) == 2:
		return PhoneTransposed
	case d == 1:
		return PhoneOneDigit
	case d == 2:
		return PhoneTwoDigits
	}
	return PhoneFar
}

// hamming counts the bytes in which two equally long strings differ.
func hamming(x, y string) int {
	n := 0
	for i := range min(len(x), len(y)) {
		if x[i] != y[i] {
			n++
		}
	}
	return n
}

// agreement compares two lists of case-folded values: [match.Exact] if
// they share a value, [match.Different] if not, [match.Unknown] if either
// is empty.
func agreement(a, b []string) match.Agreement {
	if len(a) == 0 || len(b) == 0 {
		return match.Unknown
	}
	for _, x := range a {
		if slices.Contains(b, x) {
			return match.Exact
		}
	}
	return match.Different
}
