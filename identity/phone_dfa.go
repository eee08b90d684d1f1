package identity

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// digitDFA is a deterministic automaton over the ten ASCII digits, compiled
// from one of phonenumbers' metadata patterns. It answers the two questions
// phonenumbers asks its regular expressions about a digit string: does the
// pattern match all of it (^(?:p)$), and which prefixes does it match
// (^(?:p)). Because it is built from the pattern itself by subset
// construction, it accepts exactly the digit strings the pattern accepts.
type digitDFA struct {
	next   []int32 // next[state*10+d]; deadState when no string continues
	accept []bool
}

const deadState = -1

// maxDFAStates bounds the subset construction. The largest pattern in the
// CN metadata (fixed line) needs a few thousand states.
const maxDFAStates = 1 << 16

var errUnsupportedPattern = errors.New("identity: metadata pattern uses unsupported syntax")

// compileDigitDFA compiles pattern, a phonenumbers national-number pattern,
// into a digitDFA. It fails for patterns with anchors or word boundaries,
// which phonenumbers' patterns never contain; the fast path is then off.
func compileDigitDFA(pattern string) (*digitDFA, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth {
			return nil, errUnsupportedPattern
		}
	}
	b := dfaBuilder{prog: prog, index: map[string]int32{}}
	start := b.closure([]uint32{uint32(prog.Start)})
	b.add(start)
	for s := 0; s < len(b.sets); s++ {
		for d := range 10 {
			var moved []uint32
			for _, pc := range b.sets[s] {
				in := &prog.Inst[pc]
				switch in.Op {
				case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
					if in.MatchRune(rune('0' + d)) {
						moved = append(moved, in.Out)
					}
				}
			}
			if len(moved) == 0 {
				b.dfa.next[s*10+d] = deadState
				continue
			}
			id, err := b.add(b.closure(moved))
			if err != nil {
				return nil, err
			}
			b.dfa.next[s*10+d] = id
		}
	}
	return &b.dfa, nil
}

type dfaBuilder struct {
	prog  *syntax.Prog
	sets  [][]uint32
	index map[string]int32
	dfa   digitDFA
}

// closure returns the sorted set of instructions reachable from pcs without
// consuming input, keeping only those that consume a rune or match.
func (b *dfaBuilder) closure(pcs []uint32) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	stack := slices.Clone(pcs)
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pc] {
			continue
		}
		seen[pc] = true
		in := &b.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, in.Out, in.Arg)
		case syntax.InstCapture, syntax.InstNop:
			stack = append(stack, in.Out)
		case syntax.InstFail:
		default:
			out = append(out, pc)
		}
	}
	slices.Sort(out)
	return out
}

func (b *dfaBuilder) add(set []uint32) (int32, error) {
	var key strings.Builder
	for _, pc := range set {
		key.WriteString(strconv.FormatUint(uint64(pc), 36))
		key.WriteByte(',')
	}
	if id, ok := b.index[key.String()]; ok {
		return id, nil
	}
	if len(b.sets) >= maxDFAStates {
		return 0, fmt.Errorf("identity: metadata pattern needs more than %d automaton states", maxDFAStates)
	}
	id := int32(len(b.sets))
	b.index[key.String()] = id
	b.sets = append(b.sets, set)
	accept := false
	for _, pc := range set {
		if b.prog.Inst[pc].Op == syntax.InstMatch {
			accept = true
		}
	}
	b.dfa.accept = append(b.dfa.accept, accept)
	b.dfa.next = append(b.dfa.next, make([]int32, 10)...)
	return id, nil
}

// full reports whether the pattern matches all of s, which holds ASCII
// digits only.
func (a *digitDFA) full(s []byte) bool {
	st := int32(0)
	for _, c := range s {
		st = a.next[int(st)*10+int(c-'0')]
		if st == deadState {
			return false
		}
	}
	return a.accept[st]
}

// prefixes returns the set of lengths n, 0 <= n <= min(len(s), 63), such
// that the pattern matches s[:n], as a bit mask.
func (a *digitDFA) prefixes(s []byte) uint64 {
	var set uint64
	st := int32(0)
	if a.accept[0] {
		set |= 1
	}
	for i, c := range s {
		if i >= 63 {
			break
		}
		st = a.next[int(st)*10+int(c-'0')]
		if st == deadState {
			break
		}
		if a.accept[st] {
			set |= 1 << (i + 1)
		}
	}
	return set
}
