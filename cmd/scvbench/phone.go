package main

import (
	"errors"
	"strings"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

// phoneRun compares the two phone parsers.
type phoneRun struct {
	inputs, calls int
	fast, ref     time.Duration
	// refused counts inputs identity.ParsePhone refuses, by kind: masked,
	// placeholder, service, invalid.
	refused map[string]int
	// disagree counts inputs identity.ParsePhone accepts and phonenumbers
	// refuses or formats otherwise.
	disagree int
}

func (r phoneRun) fastNs() float64 { return float64(r.fast.Nanoseconds()) / float64(r.calls) }
func (r phoneRun) refNs() float64  { return float64(r.ref.Nanoseconds()) / float64(r.calls) }

// phones times identity.ParsePhone against phonenumbers.Parse and Format
// over the workload's mix of phone values (its mobiles in their spellings,
// and the masked numbers, typos, placeholders, landlines, foreign numbers,
// service numbers and junk that phone columns also hold: see
// workload.PhoneMix), after checking that where ParsePhone accepts a value
// the reference gives the same number.
func phones(g *workload.Generator, n int) phoneRun {
	inputs := g.PhoneMix(min(n, 100_000))
	run := phoneRun{inputs: len(inputs), refused: map[string]int{}}
	reps := max(1, min(10*n, 1_000_000)/len(inputs))
	run.calls = reps * len(inputs)
	var fastLen, refLen int // what each timed loop must add up, per pass
	for _, s := range inputs {
		if e, err := referenceParse(s); err == nil {
			refLen += len(e)
		}
		fast, ferr := identity.ParsePhone(s, "CN")
		if ferr != nil {
			run.refused[refusal(ferr)]++
			continue
		}
		ref, rerr := referenceParse(s)
		if head, _, ok := strings.Cut(s, "转"); ok && rerr != nil && fast.Extension() != "" {
			// phonenumbers does not read 转 (extension) as ParsePhone
			// does: it gets the number before it.
			ref, rerr = referenceParse(head)
		}
		if rerr != nil || ref != fast.String() {
			run.disagree++
		}
		fastLen += len(fast.String())
	}
	// Each timed loop adds up the lengths of the E.164 strings it made, so
	// that neither can be optimised away, and gets what the checks above
	// got.
	timeIt := func(want int, parse func(string) int) time.Duration {
		sum := 0
		start := time.Now()
		for range reps {
			for _, s := range inputs {
				sum += parse(s)
			}
		}
		took := time.Since(start)
		if sum != reps*want {
			run.disagree = max(run.disagree, 1)
		}
		return took
	}
	run.fast = timeIt(fastLen, func(s string) int {
		p, err := identity.ParsePhone(s, "CN")
		if err != nil {
			return 0
		}
		return len(p.String())
	})
	run.ref = timeIt(refLen, func(s string) int {
		e, err := referenceParse(s)
		if err != nil {
			return 0
		}
		return len(e)
	})
	return run
}

// refusal names the kind of a ParsePhone error.
func refusal(err error) string {
	switch {
	case errors.Is(err, identity.ErrMaskedPhone):
		return "masked"
	case errors.Is(err, identity.ErrPlaceholderPhone):
		return "placeholder"
	case errors.Is(err, identity.ErrServicePhone):
		return "service"
	}
	return "invalid"
}
