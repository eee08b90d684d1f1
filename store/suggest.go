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
	"strings"
	"sync"

	"github.com/scv-go/scv/match"
)

// Suggestion says that two profiles may be the same person although no
// identifier links them: the same name and birthday, say, with phones one
// digit apart. A suggestion changes nothing; an operator reviews it and
// acts (see [Store.Suggest]).
type Suggestion struct {
	// A and B are the two profile ids, A < B.
	A string `json:"a"`
	B string `json:"b"`
	// Probability is the probability that A and B are one person, from 0
	// to 1, under the Fellegi-Sunter model estimated from the database
	// itself (see [Store.Suggest]).
	Probability float64 `json:"probability"`
	// MatchWeight is log2 of the odds behind Probability: the prior odds
	// of a candidate pair plus the weight of each field's evidence.
	MatchWeight float64 `json:"match_weight"`
	// Score equals Probability; it keeps the name of the first version,
	// whose hand-weighted score it replaces.
	Score    float64  `json:"score"`
	Evidence Evidence `json:"evidence"`
}

// PhoneMatch says how near the nearest pair of the two profiles' phones
// is, digit by digit ([match.PhoneDistance]).
type PhoneMatch string

// The phone matches, nearest first. The empty PhoneMatch means unknown: a
// profile has no phone to compare.
const (
	PhoneUnknown    PhoneMatch = ""
	PhoneEqual      PhoneMatch = "equal"      // the same number (kept apart by a rule other than do-not-link or a limit, such as a hub)
	PhoneOneDigit   PhoneMatch = "one_digit"  // one digit different
	PhoneTransposed PhoneMatch = "transposed" // two adjacent digits swapped
	PhoneTwoDigits  PhoneMatch = "two_digits" // two digits different
	PhoneFar        PhoneMatch = "far"        // further apart, or of other lengths
)

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
		{"birthday", e.Birthday, e.Birthday != match.Unknown}, {"phone", phoneText(e.Phone), e.Phone != PhoneUnknown},
		{"gender", e.Gender, e.Gender != match.Unknown}, {"province", e.Province, e.Province != match.Unknown},
		{"city", e.City, e.City != match.Unknown},
	} {
		if f.set {
			parts = append(parts, f.name+" "+f.v.String())
		}
	}
	return strings.Join(parts, ", ")
}

type phoneText PhoneMatch

func (p phoneText) String() string { return string(p) }

// SuggestOptions configure [Store.Suggest] and [Store.SuggestFor]. The
// zero value means the defaults.
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
	DefaultMinScore       = DefaultMinProbability // the first version's name
	DefaultMaxBlock       = 50
)

// ErrBadSuggestOptions is returned by [Store.Suggest] and
// [Store.SuggestFor] for options out of range.
var ErrBadSuggestOptions = errors.New("store: bad suggest options")

func (o SuggestOptions) withDefaults() (SuggestOptions, error) {
	if o.MinProbability < 0 || o.MinProbability > 1 || o.MinScore < 0 || o.MinScore > 1 || o.MaxBlock < 0 {
		return o, fmt.Errorf("%w: MinProbability and MinScore must be within 0 and 1, MaxBlock not negative", ErrBadSuggestOptions)
	}
	if o.MinProbability == 0 {
		o.MinProbability = cmp.Or(o.MinScore, DefaultMinProbability)
	}
	if o.MaxBlock == 0 {
		o.MaxBlock = DefaultMaxBlock
	}
	return o, nil
}

// Suggest streams every pair of profiles that may be the same person with
// a match probability of at least opts.MinProbability, each pair once. It
// never merges anything: an operator reviews each suggestion. To dismiss
// one, separate two of its records ([Store.Separate]): the pair is not
// suggested again. Merging two profiles that share no identifier, on an
// operator's word, is not an operation of this version.
//
// Candidates come from the blocking index (namespace B): profiles that
// share a name (its words in any order), or a birthday and a word of a
// name, among the two best names and birthdays of each. Blocks of more
// than opts.MaxBlock profiles are skipped; pairs an operator separated, or
// that a limit keeps apart, are left out, and so are pairs whose names
// differ ([match.Different]: another surname, another given name), which
// only inform the model. Suggest reads the index block by
// block, a page per short transaction, and opens only the profiles of
// blocks that hold two or more; it never scans the profiles. A database
// made before the index existed is indexed first, once.
//
// Each pair is scored by a Fellegi-Sunter model whose weights come from
// the database itself, as Splink estimates them: the u probabilities (how
// often two different people agree on a field at each level) from random
// pairs of profiles drawn from the whole database, the m probabilities (how often one
// person's two profiles do) and the share of matches among candidate pairs
// by expectation maximisation over every candidate pair, and the weight of
// the same name adjusted by that name's frequency among the candidates
// (see [Evidence.NameFrequency]). Suggest therefore compares every
// candidate pair before it yields the first, holding their evidence in
// memory (about 150 bytes a pair); suggestions come in the index's order,
// not by probability. The model is kept for [Store.SuggestFor].
func (s *Store) Suggest(ctx context.Context, opts SuggestOptions) iter.Seq2[Suggestion, error] {
	return func(yield func(Suggestion, error) bool) {
		opts, err := opts.withDefaults()
		if err != nil {
			yield(Suggestion{}, err)
			return
		}
		pairs, mod, err := s.estimate(ctx, opts.MaxBlock)
		if err != nil {
			yield(Suggestion{}, err)
			return
		}
		for _, pr := range pairs {
			if !pr.suggestible() {
				continue
			}
			if sg := mod.suggestion(pr); sg.Probability >= opts.MinProbability && !yield(sg, nil) {
				return
			}
		}
	}
}

// estimate compares every candidate pair of the blocking index, estimates
// the model from them, keeps the model for SuggestFor and returns the
// pairs with it.
func (s *Store) estimate(ctx context.Context, maxBlock int) ([]comparedPair, *suggestModel, error) {
	if err := s.ensureBlocksLocked(ctx); err != nil {
		return nil, nil, err
	}
	// oversized holds the blocks skipped so far; with the page order it
	// makes a pair that shares several blocks come out in the first one it
	// can come out in.
	oversized := map[string]bool{}
	var pairs []comparedPair
	pop := newPopulation()
	start := []byte{nsBlock}
	for start != nil {
		blocks, next, err := s.readBlocks(ctx, start, maxBlock, oversized)
		if err != nil {
			return nil, nil, err
		}
		cands, err := s.openCandidates(blocks)
		if err != nil {
			return nil, nil, err
		}
		for pid, c := range cands {
			pop.add(pid, c)
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
					if pr, ok := comparePair(a, c); ok {
						pairs = append(pairs, pr)
					}
				}
			}
		}
		start = next
	}
	st, err := s.Stats(ctx)
	if err != nil {
		return nil, nil, err
	}
	if pop.sample, err = s.sampleProfiles(ctx, uSampleSize, st.Profiles); err != nil {
		return nil, nil, err
	}
	mod := estimateModel(pairs, pop, st.Profiles)
	s.suggestModel.Store(mod)
	return pairs, mod, nil
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
// profile with the given id (following forwards), most probable first,
// with the same rules as [Store.Suggest]. It reads the profile, then each
// of its blocks with one prefix scan, and scores the pairs with the model
// the last Suggest estimated; when there is none yet, it estimates one
// first, reading the whole blocking index as Suggest does. It returns
// [ErrNotFound] for an unknown id and [ErrErased] for an erased one.
func (s *Store) SuggestFor(ctx context.Context, id string, opts SuggestOptions) ([]Suggestion, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	pid, err := ParseProfileID(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	mod := s.suggestModel.Load()
	if mod == nil {
		if _, mod, err = s.estimate(ctx, opts.MaxBlock); err != nil {
			return nil, err
		}
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
				if pr, ok := comparePair(a, newCandidate(lp.p)); ok && pr.suggestible() {
					if sg := mod.suggestion(pr); sg.Probability >= opts.MinProbability {
						out = append(out, sg)
					}
				}
			}
		}
		return nil
	})
	slices.SortFunc(out, func(x, y Suggestion) int {
		return cmp.Or(cmp.Compare(y.Probability, x.Probability), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	return out, err
}
