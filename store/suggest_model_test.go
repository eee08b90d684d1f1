package store

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/scv-go/scv/match"
)

// evidenceOf returns evidence of the given levels (-1: unknown).
func evidenceOf(l [nFields]int8) Evidence {
	agr := []match.Agreement{match.Exact, match.Close, match.Compatible, match.Different}
	two := []match.Agreement{match.Exact, match.Different}
	phone := []PhoneMatch{PhoneEqual, PhoneOneDigit, PhoneTwoDigits, PhoneFar}
	var e Evidence
	pick := func(l int8, from []match.Agreement) match.Agreement {
		if l < 0 {
			return match.Unknown
		}
		return from[l]
	}
	e.Name, e.Birthday = pick(l[fieldName], agr), pick(l[fieldBirthday], agr)
	if l[fieldPhone] >= 0 {
		e.Phone = phone[l[fieldPhone]]
	}
	e.Gender, e.Province, e.City = pick(l[fieldGender], two), pick(l[fieldProvince], two), pick(l[fieldCity], two)
	return e
}

func TestLevelsRoundTrip(t *testing.T) {
	for _, l := range [][nFields]int8{{0, 1, 2, 0, 1, -1}, {3, 3, 3, 1, 1, 1}, {-1, -1, -1, -1, -1, -1}, {1, 2, 1, 0, 0, 0}} {
		if got := levels(evidenceOf(l)); got != l {
			t.Errorf("levels(evidenceOf(%v)) = %v", l, got)
		}
	}
}

// TestFitRecoversM draws pairs from a known model (30% matches) and checks
// that EM, with u known, recovers m and the share of matches.
func TestFitRecoversM(t *testing.T) {
	trueM := [nFields][maxLevels]float64{
		{0.70, 0.15, 0.10, 0.05},
		{0.80, 0.10, 0.02, 0.08},
		{0.10, 0.50, 0.15, 0.25},
		{0.97, 0.03},
		{0.90, 0.10},
		{0.80, 0.20},
	}
	trueU := [nFields][maxLevels]float64{
		{0.05, 0.05, 0.10, 0.80},
		{0.01, 0.04, 0.01, 0.94},
		{0.001, 0.004, 0.02, 0.975},
		{0.5, 0.5},
		{0.3, 0.7},
		{0.05, 0.95},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	draw := func(p [maxLevels]float64) int8 {
		x := rng.Float64()
		for l, v := range p {
			if x < v {
				return int8(l)
			}
			x -= v
		}
		return int8(len(p) - 1)
	}
	const n, share = 20000, 0.3
	var pairs []comparedPair
	for i := range n {
		dist := trueU
		if float64(i) < share*n {
			dist = trueM
		}
		var l [nFields]int8
		for f := range nFields {
			l[f] = draw(dist[f])
		}
		pairs = append(pairs, comparedPair{e: evidenceOf(l)})
	}
	mod := &suggestModel{m: defaultM, u: trueU, lambda: defaultLambda, total: 100_000}
	mod.fit(pairs)
	if math.Abs(mod.lambda-share) > 0.02 {
		t.Errorf("share of matches %.4f, want %.2f", mod.lambda, share)
	}
	for f := range nFields {
		for l := range fieldLevels[f] {
			if math.Abs(mod.m[f][l]-trueM[f][l]) > 0.03 {
				t.Errorf("m[%d][%d] = %.4f, want %.2f", f, l, mod.m[f][l], trueM[f][l])
			}
		}
	}
	// The prior that scores is the expected matches over all pairs.
	if want := share * n / (100_000 * 99_999 / 2); math.Abs(mod.prior-want)/want > 0.1 {
		t.Errorf("prior %.3g, want about %.3g", mod.prior, want)
	}
}

// TestNameFrequency checks the term-frequency adjustment: the same
// evidence weighs less on a common name than on a rare one, and a name's
// frequency is reported.
func TestNameFrequency(t *testing.T) {
	const common, rare = 11, 22
	mod := &suggestModel{m: defaultM, u: defaultU, lambda: defaultLambda, total: 10_000,
		names: map[uint64]int{common: 200, rare: 2}}
	mod.fit(nil)
	l := [nFields]int8{0, 0, 3, 0, -1, -1}
	pc := mod.suggestion(comparedPair{e: evidenceOf(l), nameKey: common})
	pr := mod.suggestion(comparedPair{e: evidenceOf(l), nameKey: rare})
	if !(pc.MatchWeight < pr.MatchWeight) {
		t.Errorf("match weight of a common name %.2f, of a rare one %.2f: want the common one lower", pc.MatchWeight, pr.MatchWeight)
	}
	if want := math.Log2(199.0 / 1); math.Abs(pr.MatchWeight-pc.MatchWeight-want) > 1e-9 {
		t.Errorf("weights differ by %.4f bits, want log2(199/1) = %.4f", pr.MatchWeight-pc.MatchWeight, want)
	}
	if pc.Evidence.NameFrequency != 0.02 || pr.Evidence.NameFrequency != 0.0002 {
		t.Errorf("name frequencies %v and %v, want 0.02 and 0.0002", pc.Evidence.NameFrequency, pr.Evidence.NameFrequency)
	}
	// Without the same name, the frequency does not count.
	l[fieldName] = 1
	if a, b := mod.suggestion(comparedPair{e: evidenceOf(l), nameKey: 0}), mod.suggestion(comparedPair{e: evidenceOf(l), nameKey: 0}); a.MatchWeight != b.MatchWeight {
		t.Errorf("close names: weights %v and %v differ", a.MatchWeight, b.MatchWeight)
	}
}

// TestWeightsMonotone checks that a weaker level never outweighs a
// stronger one, whatever EM learnt.
func TestWeightsMonotone(t *testing.T) {
	mod := &suggestModel{m: defaultM, u: defaultU, lambda: defaultLambda, total: 100}
	// Pairs that make phones two digits apart look better than one.
	var pairs []comparedPair
	for range 50 {
		pairs = append(pairs, comparedPair{e: evidenceOf([nFields]int8{0, 0, 2, -1, -1, -1})})
	}
	mod.fit(pairs)
	for f := range nFields {
		for l := 1; l < fieldLevels[f]; l++ {
			if mod.weight[f][l] > mod.weight[f][l-1] {
				t.Errorf("field %d: level %d weighs %.3f, more than level %d's %.3f", f, l, mod.weight[f][l], l-1, mod.weight[f][l-1])
			}
		}
	}
}
