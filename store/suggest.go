package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// Suggestion says that two profiles may be the same person although no
// identifier links them: the same name and birthday, say, with phones one
// digit apart. A suggestion changes nothing; an operator reviews it and
// acts (see [Store.Suggest]).
type Suggestion struct {
	// A and B are the two profile ids, A < B.
	A string `json:"a"`
	B string `json:"b"`
	// Score is Evidence.Score(): 0 (no reason to think so) to 1.
	Score    float64  `json:"score"`
	Evidence Evidence `json:"evidence"`
}

// Agreement says how two profiles' values of a field compare.
type Agreement string

// The agreements. The empty Agreement means unknown: one profile or both
// state no value.
const (
	AgreementUnknown Agreement = ""
	Agree            Agreement = "agree"  // a value of one equals a value of the other
	Close            Agreement = "close"  // birthdays one digit apart, or day and month swapped
	Differ           Agreement = "differ" // both state values, and none agree
)

// NameMatch says how two profiles' names agree.
type NameMatch string

// The name matches, best first. Names are compared case-folded, with
// spacing and punctuation ignored.
const (
	NameExact   NameMatch = "exact"    // the same words in the same order
	NameSwapped NameMatch = "swapped"  // the same words in another order
	NameOneEdit NameMatch = "one_edit" // one letter inserted, deleted, replaced, or two adjacent ones swapped, in a word of 5 letters or more; or the same letters spaced differently
	NameDiffer  NameMatch = "differ"   // none of the above
)

// PhoneMatch says how near the nearest pair of the two profiles' phones
// is. Numbers are compared digit by digit on their national numbers, when
// the country codes are equal and the national numbers are equally long.
type PhoneMatch string

// The phone matches, nearest first. The empty PhoneMatch means unknown: a
// profile has no phone to compare.
const (
	PhoneUnknown    PhoneMatch = ""
	PhoneEqual      PhoneMatch = "equal"      // the same number (kept apart by a rule other than do-not-link or a limit, such as a hub)
	PhoneOneDigit   PhoneMatch = "one_digit"  // one digit different
	PhoneTransposed PhoneMatch = "transposed" // two adjacent digits swapped
	PhoneTwoDigits  PhoneMatch = "two_digits" // two digits different
	PhoneFar        PhoneMatch = "far"        // further apart, or different country codes or lengths
)

// Evidence is what two profiles have in common, field by field.
type Evidence struct {
	Name     NameMatch  `json:"name"`
	Birthday Agreement  `json:"birthday,omitempty"`
	Phone    PhoneMatch `json:"phone,omitempty"`
	Gender   Agreement  `json:"gender,omitempty"`
	Province Agreement  `json:"province,omitempty"`
	City     Agreement  `json:"city,omitempty"`
}

// The weights of [Evidence.Score], in thousandths.
var (
	nameWeights     = map[NameMatch]int{NameExact: 400, NameSwapped: 350, NameOneEdit: 300}
	birthdayWeights = map[Agreement]int{Agree: 200, Close: 100, Differ: -300}
	phoneWeights    = map[PhoneMatch]int{PhoneEqual: 400, PhoneOneDigit: 350, PhoneTransposed: 350, PhoneTwoDigits: 250, PhoneFar: -300}
	genderWeights   = map[Agreement]int{Agree: 50, Differ: -300}
	placeWeights    = map[Agreement]int{Agree: 50, Differ: -50}
)

// Score weighs the evidence into a number from 0 to 1. It adds, then
// clamps to [0, 1]:
//
//	name      exact 0.40, swapped 0.35, one edit 0.30; differ: the score is 0
//	birthday  agree 0.20, close 0.10, differ -0.30
//	phone     equal 0.40, one digit or transposed 0.35, two digits 0.25, far -0.30
//	gender    agree 0.05, differ -0.30
//	province  agree 0.05, differ -0.05
//	city      agree 0.05, differ -0.05
//
// Unknown fields weigh nothing. So the same name and birthday with phones
// one digit apart score 0.95, two digits apart 0.85, and without a phone
// to compare 0.60; the default threshold, [DefaultMinScore], keeps the
// first two.
func (e Evidence) Score() float64 {
	w, ok := nameWeights[e.Name]
	if !ok {
		return 0
	}
	w += birthdayWeights[e.Birthday] + phoneWeights[e.Phone] + genderWeights[e.Gender] +
		placeWeights[e.Province] + placeWeights[e.City]
	return float64(min(max(w, 0), 1000)) / 1000
}

// String describes the evidence in words, such as "name exact, birthday
// agree, phone one_digit, city agree". It holds no personal data.
func (e Evidence) String() string {
	parts := []string{"name " + string(e.Name)}
	for _, f := range []struct {
		name, v string
	}{
		{"birthday", string(e.Birthday)}, {"phone", string(e.Phone)}, {"gender", string(e.Gender)},
		{"province", string(e.Province)}, {"city", string(e.City)},
	} {
		if f.v != "" {
			parts = append(parts, f.name+" "+f.v)
		}
	}
	return strings.Join(parts, ", ")
}

// SuggestOptions configure [Store.Suggest] and [Store.SuggestFor]. The
// zero value means the defaults.
type SuggestOptions struct {
	// MinScore is the lowest score reported, from 0 to 1; 0 means
	// [DefaultMinScore].
	MinScore float64
	// MaxBlock is the most profiles a block may hold to be compared; a
	// larger block is skipped, as a placeholder (a name and birthday staff
	// type for everyone) or a name too common to mean anything without a
	// birthday. 0 means [DefaultMaxBlock].
	MaxBlock int
}

// The defaults of [SuggestOptions].
const (
	DefaultMinScore = 0.8
	DefaultMaxBlock = 50
)

// ErrBadSuggestOptions is returned by [Store.Suggest] and
// [Store.SuggestFor] for options out of range.
var ErrBadSuggestOptions = errors.New("store: bad suggest options")

func (o SuggestOptions) withDefaults() (SuggestOptions, error) {
	if o.MinScore < 0 || o.MinScore > 1 || o.MaxBlock < 0 {
		return o, fmt.Errorf("%w: MinScore must be within 0 and 1, MaxBlock not negative", ErrBadSuggestOptions)
	}
	if o.MinScore == 0 {
		o.MinScore = DefaultMinScore
	}
	if o.MaxBlock == 0 {
		o.MaxBlock = DefaultMaxBlock
	}
	return o, nil
}

// Suggest streams every pair of profiles that may be the same person and
// scores at least opts.MinScore, each pair once. It never merges anything:
// an operator reviews each suggestion. To dismiss one, separate two of its
// records ([Store.Separate]): the pair is not suggested again. Merging two
// profiles that share no identifier, on an operator's word, is not an
// operation of this version.
//
// Candidates come from the blocking index (namespace B): profiles that
// share a name (its words in any order), or a birthday and a word of a
// name, among the two best names and birthdays of each. Blocks of more
// than opts.MaxBlock profiles are skipped; pairs an operator separated, or
// that a limit keeps apart, are left out. Suggest reads the index block by
// block, a page per short transaction, and opens only the profiles of
// blocks that hold two or more; it never scans the profiles. Suggestions
// come in the index's order, not by score. A database made before the
// index existed is indexed first, once.
func (s *Store) Suggest(ctx context.Context, opts SuggestOptions) iter.Seq2[Suggestion, error] {
	return func(yield func(Suggestion, error) bool) {
		opts, err := opts.withDefaults()
		if err == nil {
			err = s.ensureBlocksLocked(ctx)
		}
		if err != nil {
			yield(Suggestion{}, err)
			return
		}
		// oversized holds the blocks skipped so far; with the page order
		// it makes a pair that shares several blocks come out in the
		// first one it can come out in.
		oversized := map[string]bool{}
		start := []byte{nsBlock}
		for start != nil {
			blocks, next, err := s.readBlocks(ctx, start, opts.MaxBlock, oversized)
			if err != nil {
				yield(Suggestion{}, err)
				return
			}
			cands, err := s.openCandidates(blocks)
			if err != nil {
				yield(Suggestion{}, err)
				return
			}
			for _, b := range blocks {
				members := make([]*candidate, len(b.members))
				for i, m := range b.members {
					members[i] = cands[m.pid]
				}
				for i, a := range members {
					for _, c := range members[i+1:] {
						if !bytes.Equal(firstShared(a.tags, c.tags, oversized), b.tag) {
							continue // it comes out in another block
						}
						sg, ok := suggest(a, c, opts)
						if ok && !yield(sg, nil) {
							return
						}
					}
				}
			}
			start = next
		}
	}
}

// openCandidates opens the profiles of a page of blocks, each once, on
// every core.
func (s *Store) openCandidates(blocks []rawBlock) (map[ProfileID]*candidate, error) {
	var raw []rawProfile
	seen := map[ProfileID]bool{}
	for _, b := range blocks {
		for _, m := range b.members {
			if !seen[m.pid] {
				seen[m.pid] = true
				raw = append(raw, m)
			}
		}
	}
	out := make([]*candidate, len(raw))
	errs := make([]error, len(raw))
	workers := min(runtime.GOMAXPROCS(0), (len(raw)+15)/16)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(raw); i += workers {
				p, _, _, err := s.openProfile(raw[i].pid, raw[i].wrapped, raw[i].value)
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = newCandidate(p)
				out[i].tags = blockTags(s.kr, blockSourceOf(p))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cands := make(map[ProfileID]*candidate, len(raw))
	for i, r := range raw {
		cands[r.pid] = out[i]
	}
	return cands, nil
}

// ensureBlocksLocked is ensureBlocks under the store's shared lock.
func (s *Store) ensureBlocksLocked(ctx context.Context) error {
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return s.ensureBlocks(ctx)
}

// firstShared returns the smallest tag in both a and b that is not
// oversized; nil if none.
func firstShared(a, b [][]byte, oversized map[string]bool) []byte {
	var first []byte
	for _, x := range a {
		if oversized[string(x)] || (first != nil && bytes.Compare(x, first) >= 0) {
			continue
		}
		if slices.ContainsFunc(b, func(y []byte) bool { return bytes.Equal(x, y) }) {
			first = x
		}
	}
	return first
}

// rawBlock is one block of two or more profiles, still sealed.
type rawBlock struct {
	tag     []byte
	members []rawProfile
}

// readBlocks reads the blocks of the index from start, up to about a page
// of entries, in one short read transaction, ending at a block boundary.
// It returns the blocks of two to maxBlock profiles with their sealed
// profiles, adds the tags of larger blocks to oversized, and returns where
// the next page starts (nil at the end).
func (s *Store) readBlocks(ctx context.Context, start []byte, maxBlock int, oversized map[string]bool) (blocks []rawBlock, next []byte, err error) {
	err = s.read(ctx, func(t *txn) error {
		blocks, next = nil, nil
		var tag []byte
		var ids []ProfileID
		entries := 0
		flush := func() {
			switch {
			case len(ids) > maxBlock:
				oversized[string(tag)] = true
			case len(ids) >= 2:
				blocks = append(blocks, rawBlock{tag: tag, members: make([]rawProfile, len(ids))})
				for i, id := range ids {
					blocks[len(blocks)-1].members[i].pid = id
				}
			}
		}
		for e, err := range t.tx.Scan([]byte{nsBlock}, start, true) {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			btag, id, err := splitBlockKey(e.Key)
			if err != nil {
				return err
			}
			if !bytes.Equal(btag, tag) {
				flush()
				if entries >= pageSize {
					next = bytes.Clone(e.Key)
					tag, ids = nil, nil
					break
				}
				tag, ids = bytes.Clone(btag), ids[:0]
			}
			entries++
			if len(ids) <= maxBlock { // past it, only the count matters
				ids = append(ids, id)
			}
		}
		if tag != nil {
			flush()
		}
		for _, b := range blocks {
			for i := range b.members {
				m := &b.members[i]
				err := getProfile(t.tx, m.pid, func(wrapped, sealed []byte) error {
					m.wrapped, m.value = wrapped, bytes.Clone(sealed)
					return nil
				})
				if errors.Is(err, ErrKeyNotFound) {
					return fmt.Errorf("store: blocking index points at missing profile %v", m.pid)
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	return blocks, next, err
}

// SuggestFor returns the profiles that may be the same person as the
// profile with the given id (following forwards), best score first, with
// the same rules as [Store.Suggest]. It reads the profile, then each of
// its blocks with one prefix scan. It returns [ErrNotFound] for an unknown
// id and [ErrErased] for an erased one.
func (s *Store) SuggestFor(ctx context.Context, id string, opts SuggestOptions) ([]Suggestion, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	pid, err := ParseProfileID(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err := s.ensureBlocksLocked(ctx); err != nil {
		return nil, err
	}
	var out []Suggestion
	err = s.read(ctx, func(t *txn) error {
		out = nil
		p, err := t.byID(pid)
		if err != nil {
			return err
		}
		self, _ := ParseProfileID(p.ID)
		a := newCandidate(p)
		seen := map[ProfileID]bool{self: true}
		for _, tag := range blockTags(t.kr, blockSourceOf(p)) {
			var ids []ProfileID
			for e, err := range t.tx.Scan(key(nsBlock, tag), nil, true) {
				if err != nil {
					return err
				}
				_, id, err := splitBlockKey(e.Key)
				if err != nil {
					return err
				}
				if ids = append(ids, id); len(ids) > opts.MaxBlock {
					break
				}
			}
			if len(ids) > opts.MaxBlock {
				continue
			}
			for _, id := range ids {
				if seen[id] {
					continue
				}
				seen[id] = true
				lp, err := t.profile(id)
				if err != nil {
					return err
				}
				if lp == nil || lp.p == nil {
					return fmt.Errorf("store: blocking index points at missing profile %v", id)
				}
				if sg, ok := suggest(a, newCandidate(lp.p), opts); ok {
					out = append(out, sg)
				}
			}
		}
		return nil
	})
	slices.SortFunc(out, func(x, y Suggestion) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	return out, err
}

// candidate is a profile with what comparisons need, normalised once.
type candidate struct {
	p                      *merge.Profile
	names                  []string   // normalised: words joined by one space
	births                 []string   // YYYY-MM-DD
	phones                 []phoneNum // linking or excluded phones; hubs and blocked values left out
	gender, province, city []string
	tags                   [][]byte // its block tags, for Suggest's order
}

// phoneNum is a phone number split for comparison.
type phoneNum struct {
	cc  int32
	nsn string // national significant number
}

func newCandidate(p *merge.Profile) *candidate {
	c := &candidate{p: p}
	src := blockSourceOf(p)
	for _, n := range src.names {
		if w := nameWords(n); len(w) > 0 && !slices.Contains(c.names, strings.Join(w, " ")) {
			c.names = append(c.names, strings.Join(w, " "))
		}
	}
	for _, b := range src.births {
		if b != "" && !slices.Contains(c.births, b) {
			c.births = append(c.births, b)
		}
	}
	for _, st := range p.Identifiers {
		if st.Identifier.Kind != identity.KindPhone || st.Status == merge.StatusHub || st.Status == merge.StatusBlocked {
			continue
		}
		if n, ok := splitE164(st.Identifier.Value); ok {
			c.phones = append(c.phones, n)
		}
	}
	c.gender = fieldValues(p, merge.FieldGender)
	c.province = fieldValues(p, merge.FieldProvince)
	c.city = fieldValues(p, merge.FieldCity)
	return c
}

// splitE164 splits a number in E.164 form into its country code and
// national significant number. Country codes are prefix-free, so the first
// one to 3 digits that phonenumbers knows as a country code are it.
func splitE164(s string) (phoneNum, bool) {
	if len(s) < 3 || s[0] != '+' {
		return phoneNum{}, false
	}
	for n := 1; n <= 3 && 1+n < len(s); n++ {
		cc, err := strconv.Atoi(s[1 : 1+n])
		if err != nil {
			return phoneNum{}, false
		}
		if phonenumbers.GetRegionCodeForCountryCode(cc) != phonenumbers.UNKNOWN_REGION {
			return phoneNum{cc: int32(cc), nsn: s[1+n:]}, true
		}
	}
	return phoneNum{}, false
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

// suggest compares two candidates and returns their suggestion, if they may
// be the same person and score at least opts.MinScore.
func suggest(a, b *candidate, opts SuggestOptions) (Suggestion, bool) {
	if keptApart(a.p, b.p) || keptApart(b.p, a.p) {
		return Suggestion{}, false
	}
	e := compare(a, b)
	sc := e.Score()
	if sc < opts.MinScore {
		return Suggestion{}, false
	}
	sg := Suggestion{A: a.p.ID, B: b.p.ID, Score: sc, Evidence: e}
	if sg.B < sg.A {
		sg.A, sg.B = sg.B, sg.A
	}
	return sg, true
}

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

// compare gathers the evidence of two candidates.
func compare(a, b *candidate) Evidence {
	e := Evidence{Name: NameDiffer, Phone: PhoneUnknown}
	for _, x := range a.names {
		for _, y := range b.names {
			if m := compareNames(x, y); rankName(m) < rankName(e.Name) {
				e.Name = m
			}
		}
	}
	e.Birthday = agreement(a.births, b.births, birthdaysClose)
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
	e.Gender = agreement(a.gender, b.gender, nil)
	e.Province = agreement(a.province, b.province, nil)
	e.City = agreement(a.city, b.city, nil)
	return e
}

func rankName(m NameMatch) int {
	return slices.Index([]NameMatch{NameExact, NameSwapped, NameOneEdit, NameDiffer}, m)
}

func rankPhone(m PhoneMatch) int {
	return slices.Index([]PhoneMatch{PhoneEqual, PhoneOneDigit, PhoneTransposed, PhoneTwoDigits, PhoneFar}, m)
}

// agreement compares two value lists: agree if they share a value, close
// if close reports two values close, differ otherwise, unknown if either
// is empty.
func agreement(a, b []string, close func(x, y string) bool) Agreement {
	if len(a) == 0 || len(b) == 0 {
		return AgreementUnknown
	}
	for _, x := range a {
		if slices.Contains(b, x) {
			return Agree
		}
	}
	if close != nil {
		for _, x := range a {
			for _, y := range b {
				if close(x, y) {
					return Close
				}
			}
		}
	}
	return Differ
}

// compareNames compares two normalised names (words joined by one space).
func compareNames(x, y string) NameMatch {
	switch {
	case x == y:
		return NameExact
	case slices.Equal(sortedWords(strings.Fields(x)), sortedWords(strings.Fields(y))):
		return NameSwapped
	case oneEditName(x, y):
		return NameOneEdit
	}
	return NameDiffer
}

// minEditLen is the fewest letters a word needs for one edit in it to be
// a typo rather than another name: Jan and Jon, 王伟 and 王玮 are different
// people.
const minEditLen = 5

// oneEditName reports whether two normalised names are one edit apart:
// the same words but one, which is one edit from the other and at least
// minEditLen letters long; or the same letters spaced differently.
func oneEditName(x, y string) bool {
	xs, ys := strings.Fields(x), strings.Fields(y)
	if len(xs) != len(ys) {
		return strings.Join(xs, "") == strings.Join(ys, "")
	}
	edited := -1
	for i := range xs {
		if xs[i] != ys[i] {
			if edited >= 0 {
				return false
			}
			edited = i
		}
	}
	return edited >= 0 && oneEdit([]rune(xs[edited]), []rune(ys[edited]))
}

// oneEdit reports whether a and b, both at least minEditLen letters, are
// one edit apart: a letter inserted, deleted or replaced, or two adjacent
// letters swapped.
func oneEdit(a, b []rune) bool {
	if min(len(a), len(b)) < minEditLen {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		if i == len(a) {
			return false // equal
		}
		if slices.Equal(a[i+1:], b[i+1:]) {
			return true // replaced
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && slices.Equal(a[i+2:], b[i+2:])
	}
	return slices.Equal(a[i:], b[i+1:]) // inserted
}

// comparePhones compares two numbers digit by digit.
func comparePhones(x, y phoneNum) PhoneMatch {
	if x.cc != y.cc || len(x.nsn) != len(y.nsn) {
		return PhoneFar
	}
	var diff []int
	for i := range len(x.nsn) {
		if x.nsn[i] != y.nsn[i] {
			if diff = append(diff, i); len(diff) > 2 {
				return PhoneFar
			}
		}
	}
	switch len(diff) {
	case 0:
		return PhoneEqual
	case 1:
		return PhoneOneDigit
	}
	i, j := diff[0], diff[1]
	if j == i+1 && x.nsn[i] == y.nsn[j] && x.nsn[j] == y.nsn[i] {
		return PhoneTransposed
	}
	return PhoneTwoDigits
}

// birthdaysClose reports whether two birthdays (YYYY-MM-DD) differ in one
// digit, or are the same day with day and month swapped.
func birthdaysClose(x, y string) bool {
	if len(x) != len(y) {
		return false
	}
	diff := 0
	for i := range len(x) {
		if x[i] != y[i] {
			diff++
		}
	}
	if diff == 1 {
		return true
	}
	// YYYY-MM-DD: swap month and day.
	return len(x) == 10 && x[:5] == y[:5] && x[5:7] == y[8:10] && x[8:10] == y[5:7]
}
