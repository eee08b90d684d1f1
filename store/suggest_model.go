package store

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/scv-go/scv/match"
)

// The suggestion model is a Fellegi-Sunter model, estimated as Splink
// (moj-analytical-services/splink) estimates one. Each field of a compared
// pair falls in a level (or is null: a profile states nothing); m[f][l] is
// the probability of level l when the two profiles are one person, u[f][l]
// when they are two. A pair's match weight is
//
//	log2(λ/(1-λ)) + Σ log2(m[f][l] / u[f][l])   over the non-null fields
//
// and its probability 2^w / (1 + 2^w), where λ is the probability that two
// profiles drawn at random are one person. u comes from random pairs of
// the candidate profiles (nearly all of them two people); m from
// expectation maximisation over the candidate pairs with u held fixed,
// during which λ is the share of matches among candidate pairs. The λ
// that scores is the matches EM expects among the candidate pairs over
// all pairs of the database's profiles: blocking selects pairs that agree
// on a name or a birthday, and scoring them with the share among blocked
// pairs would count that agreement twice (a shared common name would be
// nearly proof). As in Splink, the m of the fields blocking selects on
// (names, birthdays) are learnt from blocked pairs and so lean to
// agreement: a little overconfident where they agree. Both are
// smoothed towards defaults (defaultM, defaultU) by a few pseudo-pairs, so
// that a small database, with few pairs to learn from, gets sane weights.
// The same name's u is its term frequency instead: the share of profiles
// whose name has that key, so that agreeing on 王伟 weighs less than
// agreeing on a rare name.

// The fields of the model, and their levels (index 0 the strongest).
const (
	fieldName     = iota // exact or same, close, compatible, different
	fieldBirthday        // exact or same, close, compatible (a year alone), different
	fieldPhone           // equal, one digit or transposed, two digits, far
	fieldGender          // equal, different
	fieldProvince        // equal, different
	fieldCity            // equal, different
	nFields
)

// maxLevels is the most levels a field has.
const maxLevels = 4

// fieldLevels is the number of levels of each field.
var fieldLevels = [nFields]int{4, 4, 4, 2, 2, 2}

// defaultM and defaultU are the priors of m and u: what one person's
// profiles and two people's look like in typical customer data.
var (
	defaultM = [nFields][maxLevels]float64{
		{0.85, 0.08, 0.04, 0.03},
		{0.85, 0.08, 0.02, 0.05},
		{0.05, 0.45, 0.15, 0.35},
		{0.95, 0.05},
		{0.90, 0.10},
		{0.85, 0.15},
	}
	defaultU = [nFields][maxLevels]float64{
		{0.001, 0.002, 0.01, 0.987},
		{0.0005, 0.004, 0.0005, 0.995},
		{0.0001, 0.0005, 0.002, 0.9974},
		{0.5, 0.5},
		{0.3, 0.7},
		{0.02, 0.98},
	}
)

const (
	priorPairs    = 10     // pseudo-pairs of the priors of m and u
	defaultLambda = 0.3    // the prior share of matches among candidate pairs
	uSampleSize   = 2000   // profiles drawn to make random pairs of
	uPairs        = 50_000 // random pairs drawn for u
	emRounds      = 100
	emTolerance   = 1e-7
)

// levels returns the level of each field of e; -1 where null.
func levels(e Evidence) [nFields]int8 {
	agr := func(a match.Agreement) int8 {
		switch a {
		case match.Exact, match.Same:
			return 0
		case match.Close:
			return 1
		case match.Compatible:
			return 2
		case match.Different:
			return 3
		}
		return -1
	}
	two := func(a match.Agreement) int8 {
		switch {
		case a == match.Unknown:
			return -1
		case a == match.Different:
			return 1
		}
		return 0
	}
	var l [nFields]int8
	l[fieldName] = agr(e.Name)
	l[fieldBirthday] = agr(e.Birthday)
	switch e.Phone {
	case PhoneEqual:
		l[fieldPhone] = 0
	case PhoneOneDigit, PhoneTransposed:
		l[fieldPhone] = 1
	case PhoneTwoDigits:
		l[fieldPhone] = 2
	case PhoneFar:
		l[fieldPhone] = 3
	default:
		l[fieldPhone] = -1
	}
	l[fieldGender] = two(e.Gender)
	l[fieldProvince] = two(e.Province)
	l[fieldCity] = two(e.City)
	return l
}

// population is what Suggest learns of the profiles: a random sample to
// draw random pairs from, and how many of the candidates have each name
// key (a name's profiles share a block, so they are candidates unless
// the block is oversized).
type population struct {
	seen   map[ProfileID]bool
	sample []*candidate   // profiles drawn at random from the whole database
	names  map[uint64]int // hashed name key -> candidate profiles
	n      int            // candidates seen
}

func newPopulation() *population {
	return &population{seen: map[ProfileID]bool{}, names: map[uint64]int{}}
}

// add counts a candidate once.
func (p *population) add(pid ProfileID, c *candidate) {
	if p.seen[pid] {
		return
	}
	p.seen[pid] = true
	p.n++
	if c.nameKey != 0 {
		p.names[c.nameKey]++
	}
}

// sampleProfiles draws up to n distinct profiles at random from the whole
// database of total profiles: each draw seeks to a random profile id and
// takes the profile at or after it (ids are random, so every profile is
// about as likely). A database of n profiles or fewer gives them all.
// The seed is fixed, so that a database gives the same model every time.
func (s *Store) sampleProfiles(ctx context.Context, n, total int) ([]*candidate, error) {
	var out []*candidate
	err := s.read(ctx, func(t *txn) error {
		out = nil
		if total <= n { // a small database: every profile
			var ids []ProfileID
			for e, err := range t.tx.Scan([]byte{nsProfile}, nil, true) {
				if err != nil {
					return err
				}
				if len(e.Key) != 1+ProfileIDSize {
					return fmt.Errorf("store: profile key of %d bytes", len(e.Key))
				}
				ids = append(ids, ProfileID(e.Key[1:]))
			}
			for _, pid := range ids {
				lp, err := t.profile(pid)
				if err != nil {
					return err
				}
				if lp != nil && lp.p != nil {
					out = append(out, newCandidate(lp.p))
				}
			}
			return nil
		}
		rng := rand.New(rand.NewPCG(5, 6))
		seen := map[ProfileID]bool{}
		first := func(start []byte) (ProfileID, bool, error) {
			for e, err := range t.tx.Scan([]byte{nsProfile}, start, true) {
				if err != nil {
					return ProfileID{}, false, err
				}
				var pid ProfileID
				if len(e.Key) != 1+ProfileIDSize {
					return pid, false, fmt.Errorf("store: profile key of %d bytes", len(e.Key))
				}
				copy(pid[:], e.Key[1:])
				return pid, true, nil
			}
			return ProfileID{}, false, nil
		}
		for range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rid ProfileID
			for i := range rid {
				rid[i] = byte(rng.Uint32())
			}
			pid, ok, err := first(profileKey(rid))
			if err == nil && !ok {
				pid, ok, err = first(nil) // past the last: wrap around
			}
			if err != nil {
				return err
			}
			if !ok {
				return nil // no profiles
			}
			if seen[pid] {
				continue
			}
			seen[pid] = true
			lp, err := t.profile(pid)
			if err != nil {
				return err
			}
			if lp != nil && lp.p != nil {
				out = append(out, newCandidate(lp.p))
			}
		}
		return nil
	})
	return out, err
}

// suggestModel is an estimated model; it is read-only once made, safe for
// concurrent use.
type suggestModel struct {
	lambda float64 // the share of matches among candidate pairs, as EM ends
	prior  float64 // λ: the probability that two random profiles match
	// weight is log(m/u) of each level, made monotone: a level never
	// weighs more than a stronger one (a few pairs can invert them, and
	// phones two digits apart are never better evidence than one).
	weight  [nFields][maxLevels]float64
	m, u    [nFields][maxLevels]float64
	names   map[uint64]int // hashed name key -> profiles
	total   int            // the profiles names counts among
	pairs   int            // candidate pairs it learned from
	uDrawn  int            // random pairs drawn for u
	emSteps int
}

// estimateModel estimates the model from the candidate pairs and the
// population of candidate profiles; total is the number of profiles in
// the database (the denominator of name frequencies).
func estimateModel(pairs []comparedPair, pop *population, total int) *suggestModel {
	mod := &suggestModel{m: defaultM, u: defaultU, lambda: defaultLambda, names: pop.names,
		total: max(total, pop.n, 1)}
	mod.estimateU(pop)
	mod.fit(pairs)
	return mod
}

// fit estimates m and the share of matches by EM over the candidate pairs,
// with u fixed, then the weights and the prior that score.
func (mod *suggestModel) fit(pairs []comparedPair) {
	mod.pairs = len(pairs)
	lv := make([][nFields]int8, len(pairs))
	for i, pr := range pairs {
		lv[i] = levels(pr.e)
	}
	post := make([]float64, len(pairs))
	for mod.emSteps = 1; mod.emSteps <= emRounds && len(pairs) > 0; mod.emSteps++ {
		// E: the probability that each pair is a match.
		sum := 0.0
		for i, pr := range pairs {
			post[i] = sigmoid(mod.logOdds(lv[i], pr.nameKey))
			sum += post[i]
		}
		// M: m and λ from the expected matches, with the priors'
		// pseudo-pairs.
		var count [nFields][maxLevels]float64
		var total [nFields]float64
		for i := range pairs {
			for f, l := range lv[i] {
				if l >= 0 {
					count[f][l] += post[i]
					total[f] += post[i]
				}
			}
		}
		change := 0.0
		for f := range nFields {
			for l := range fieldLevels[f] {
				v := (count[f][l] + priorPairs*defaultM[f][l]) / (total[f] + priorPairs)
				change = max(change, math.Abs(v-mod.m[f][l]))
				mod.m[f][l] = v
			}
		}
		lambda := (sum + priorPairs*defaultLambda) / (float64(len(pairs)) + priorPairs)
		change = max(change, math.Abs(lambda-mod.lambda))
		mod.lambda = lambda
		if change < emTolerance {
			break
		}
	}
	for f := range nFields {
		for l := range fieldLevels[f] {
			mod.weight[f][l] = math.Log(mod.m[f][l] / mod.u[f][l])
			if l > 0 {
				mod.weight[f][l] = min(mod.weight[f][l], mod.weight[f][l-1])
			}
		}
	}
	expected := 0.0
	for i, pr := range pairs {
		expected += sigmoid(mod.logOdds(lv[i], pr.nameKey))
	}
	all := float64(mod.total) * float64(mod.total-1) / 2
	mod.prior = min(max(expected, 1)/max(all, 1), 0.5)
}

// estimateU sets u from random pairs of the sampled profiles: all pairs
// when there are few, else uPairs drawn at random.
func (mod *suggestModel) estimateU(pop *population) {
	var count [nFields][maxLevels]float64
	var total [nFields]float64
	add := func(a, b *candidate) {
		for f, l := range levels(compare(a, b)) {
			if l >= 0 {
				count[f][l]++
				total[f]++
			}
		}
		mod.uDrawn++
	}
	s := pop.sample
	if n := len(s); n*(n-1)/2 <= uPairs {
		for i := range s {
			for j := i + 1; j < len(s); j++ {
				add(s[i], s[j])
			}
		}
	} else {
		rng := rand.New(rand.NewPCG(3, 4))
		for range uPairs {
			i, j := rng.IntN(n), rng.IntN(n-1)
			if j >= i {
				j++
			}
			add(s[i], s[j])
		}
	}
	for f := range nFields {
		for l := range fieldLevels[f] {
			mod.u[f][l] = (count[f][l] + priorPairs*defaultU[f][l]) / (total[f] + priorPairs)
		}
	}
}

// logOdds returns the natural log of the posterior odds that a candidate
// pair of these levels is a match, with the prior of candidate pairs and
// the m and u of this round (for EM).
func (mod *suggestModel) logOdds(lv [nFields]int8, nameKey uint64) float64 {
	w := math.Log(mod.lambda / (1 - mod.lambda))
	for f, l := range lv {
		if l >= 0 {
			w += math.Log(mod.m[f][l] / mod.u[f][l])
		}
	}
	return w + mod.nameAdjustment(lv, nameKey, math.Log(mod.m[fieldName][0]/mod.u[fieldName][0]))
}

// evidence returns the natural log of the Bayes factor of a pair's
// levels, with the estimated (monotone) weights.
func (mod *suggestModel) evidence(lv [nFields]int8, nameKey uint64) float64 {
	w := 0.0
	for f, l := range lv {
		if l >= 0 {
			w += mod.weight[f][l]
		}
	}
	return w + mod.nameAdjustment(lv, nameKey, mod.weight[fieldName][0])
}

// nameAdjustment returns what the term frequency of the name changes in
// the weight w0 of the same name: log(m/tf) instead of log(m/u).
func (mod *suggestModel) nameAdjustment(lv [nFields]int8, nameKey uint64, w0 float64) float64 {
	if lv[fieldName] != 0 {
		return 0
	}
	tf, ok := mod.nameFrequency(nameKey)
	if !ok {
		return 0
	}
	return math.Log(mod.m[fieldName][0]/tf) - w0
}

// nameFrequency returns the chance that another profile has the name of
// key: the profiles with that key but one, among all profiles; false for
// a key not counted.
func (mod *suggestModel) nameFrequency(key uint64) (float64, bool) {
	n, ok := mod.names[key]
	if key == 0 || !ok {
		return 0, false
	}
	return float64(max(n-1, 1)) / float64(mod.total), true
}

// suggestion scores a compared pair.
func (mod *suggestModel) suggestion(pr comparedPair) Suggestion {
	lo := math.Log(mod.prior/(1-mod.prior)) + mod.evidence(levels(pr.e), pr.nameKey)
	p := sigmoid(lo)
	e := pr.e
	if n, ok := mod.names[pr.nameKey]; ok && pr.nameKey != 0 {
		e.NameFrequency = float64(n) / float64(mod.total)
	}
	return Suggestion{A: pr.a, B: pr.b, Probability: p, Score: p, MatchWeight: lo / math.Ln2, Evidence: e}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
