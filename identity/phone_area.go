package identity

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// This file holds what the fast path knows of the area codes of mainland
// landlines: phonenumbers' GetLengthOfGeographicalAreaCode, replayed with
// automata compiled from the international number formats of the CN
// metadata.

// areaFormat is one of phonenumbers' number formats, reduced to what
// decides the area code: which numbers it applies to and how long the
// first group it writes is.
type areaFormat struct {
	leading *digitDFA // its last leading-digits pattern; nil if none
	pattern *digitDFA // its pattern, which must match the whole number
	// first is the length of the number's first group in the
	// international format, or -1 when the format is not understood.
	first int
}

// newAreaFormats compiles the formats phonenumbers uses to write numbers
// of md in the international format. It returns nil when a pattern does
// not compile to an automaton, and the fast path then leaves landlines to
// the reference; and nil for a plan without a national prefix, where
// phonenumbers assumes no area codes.
func newAreaFormats(md *phonenumbers.PhoneMetadata) []areaFormat {
	if md.GetNationalPrefix() == "" {
		return nil
	}
	avail := md.GetIntlNumberFormat()
	if len(avail) == 0 {
		avail = md.GetNumberFormat()
	}
	formats := make([]areaFormat, 0, len(avail))
	for _, f := range avail {
		var af areaFormat
		var err error
		if af.pattern, err = compileDigitDFA(f.GetPattern()); err != nil {
			return nil
		}
		if ld := f.GetLeadingDigitsPattern(); len(ld) > 0 {
			if af.leading, err = compileDigitDFA(ld[len(ld)-1]); err != nil {
				return nil
			}
		}
		af.first = firstGroupLen(f.GetPattern(), f.GetFormat())
		formats = append(formats, af)
	}
	return formats
}

// firstGroupLen returns the length of the first group of digits a number
// format writes, when the format starts with "$1" and a character that
// is neither a digit nor "$" and the pattern's first group has a fixed
// length; and -1 otherwise.
func firstGroupLen(pattern, format string) int {
	rest, ok := strings.CutPrefix(format, "$1")
	if !ok || rest == "" {
		return -1
	}
	if r, _ := utf8.DecodeRuneInString(rest); r == '$' || ('0' <= r && r <= '9') {
		return -1
	}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return -1
	}
	g := findCapture(re.Simplify(), 1)
	if g == nil {
		return -1
	}
	n, ok := fixedLen(g)
	if !ok || n == 0 {
		return -1
	}
	return n
}

// findCapture returns the capture group numbered n in re, or nil.
func findCapture(re *syntax.Regexp, n int) *syntax.Regexp {
	if re.Op == syntax.OpCapture && re.Cap == n {
		return re
	}
	for _, sub := range re.Sub {
		if c := findCapture(sub, n); c != nil {
			return c
		}
	}
	return nil
}

// fixedLen returns the number of runes every match of re has, and whether
// all its matches have the same number.
func fixedLen(re *syntax.Regexp) (int, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune), true
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1, true
	case syntax.OpEmptyMatch:
		return 0, true
	case syntax.OpCapture:
		return fixedLen(re.Sub[0])
	case syntax.OpConcat:
		total := 0
		for _, sub := range re.Sub {
			n, ok := fixedLen(sub)
			if !ok {
				return 0, false
			}
			total += n
		}
		return total, true
	case syntax.OpAlternate:
		first := -1
		for _, sub := range re.Sub {
			n, ok := fixedLen(sub)
			if !ok || (first >= 0 && n != first) {
				return 0, false
			}
			first = n
		}
		return first, first >= 0
	case syntax.OpRepeat:
		if re.Min != re.Max {
			return 0, false
		}
		n, ok := fixedLen(re.Sub[0])
		return n * re.Min, ok
	}
	return 0, false
}

// areaCodeLen is GetLengthOfGeographicalAreaCode for a fixed line of +86
// with national significant number nsn: the length of the first group
// after the country code when phonenumbers writes the number in the
// international format, or 0 when it writes no group. It reports false
// when it cannot tell.
func (t *fastTables) areaCodeLen(nsn []byte) (int, bool) {
	if t.formats == nil {
		return 0, false
	}
	for i := range t.formats {
		f := &t.formats[i]
		if (f.leading == nil || f.leading.prefixes(nsn) != 0) && f.pattern.full(nsn) {
			return f.first, f.first >= 0
		}
	}
	// No format applies: phonenumbers writes the number as one group.
	return 0, true
}
