package identity

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
)

// This file holds the fast path for mainland numbers. It reads the input
// in one pass over its bytes, applies ParsePhone's rules exactly as
// parseReference does, and then replays what phonenumbers does with the
// digits (international prefix, country code, trunk prefix, number type)
// with automata compiled from phonenumbers' CN metadata (and its CN
// short-number metadata). It decides malformed, masked and junk inputs and
// every number that phonenumbers reads as a national number of +86: valid
// mobiles and fixed lines, service numbers, short codes and invalid
// numbers. It hands everything else (foreign numbers, numbers with a
// carrier code or a leading zero, a short code possibly dialled behind an
// area code) to the reference path.

// parseFast parses raw with the default region CN. When ok is false it has
// decided nothing and the reference path must.
func parseFast(raw string, extra map[string]struct{}) (ph Phone, err error, ok bool) {
	t, _ := cnFastTables()
	if t == nil {
		return Phone{}, nil, false
	}
	if len(raw) > maxPhoneInput {
		return Phone{}, errPhoneTooLong, true
	}

	var tok [maxPhoneInput]byte
	var pos [maxPhoneInput + 1]uint8 // byte offset of each token in raw
	n, ok := tokenize(raw, &tok, &pos)
	if !ok {
		return Phone{}, nil, false
	}

	lo, hi := 0, n
	for lo < hi && (tok[lo] == ' ' || tok[lo] == '\n') {
		lo++
	}
	for hi > lo && (tok[hi-1] == ' ' || tok[hi-1] == '\n') {
		hi--
	}
	if lo == hi {
		return Phone{}, errPhoneEmpty, true
	}
	for i := lo; i < hi; i++ {
		if tok[i] == '\n' {
			tok[i] = '?' // white space inside is no separator
		}
	}

	// The first extension marker ends the number.
	m, marked := hi, false
	for i := lo; i < hi && !marked; i++ {
		switch tok[i] {
		case 'z', '#', 'E':
			m, marked = i, true
		case 'x':
			if (i == lo || !isMaskToken(tok[i-1])) && (i+1 == hi || !isMaskToken(tok[i+1])) {
				m, marked = i, true
			}
		}
	}
	for i := lo; i < m; i++ {
		if tok[i] == '?' {
			return Phone{}, errPhoneCharacter, true
		}
	}
	for i := lo; i < m; i++ {
		if isMaskToken(tok[i]) {
			return Phone{}, errPhoneMasked, true
		}
	}
	var ext string
	if marked {
		a, b := m+1, hi
		for a < b && tok[a] == ' ' {
			a++
		}
		if a == b || b-a > maxExtensionDigits {
			return Phone{}, errPhoneExtension, true
		}
		contiguous := true
		for i := a; i < b; i++ {
			if tok[i] < '0' || tok[i] > '9' {
				return Phone{}, errPhoneExtension, true
			}
			contiguous = contiguous && pos[i+1]-pos[i] == 1
		}
		if contiguous {
			ext = raw[pos[a]:pos[b]]
		} else {
			ext = string(tok[a:b])
		}
	}

	var digits [maxPhoneInput]byte
	nd, plus := 0, false
	dash, headDigits := -1, 0 // the last '-' and the digits before it
	for i := lo; i < m; i++ {
		switch c := tok[i]; c {
		case '+':
			if plus || nd > 0 {
				return Phone{}, errPhonePlus, true
			}
			plus = true
		case '-':
			dash, headDigits = i, nd
		case ' ', '.', 's':
		default:
			digits[nd] = c
			nd++
		}
	}
	if nd == 0 {
		return Phone{}, errPhoneNoDigits, true
	}
	// A number typed as bare ASCII digits is its own E.164 candidate.
	var canon string
	if !marked && pos[hi]-pos[lo] == uint8(hi-lo) && hi-lo == nd+btoi(plus) {
		canon = raw[pos[lo]:pos[hi]]
	}

	whole := t.core(plus, digits[:nd], canon, extra)
	if !whole.decided {
		return Phone{}, nil, false
	}
	// A final "-123" is an extension only after a landline that is
	// complete without it, and only when the whole is not a valid number
	// (see parseReference).
	if tail := hi - dash - 1; !marked && dash >= 0 && tail > 0 && tail <= maxTrailingExtensionDigits &&
		nd-headDigits == tail && whole.err != nil && errors.Is(whole.err, ErrInvalidPhone) {
		if headDigits == 0 {
			return Phone{}, whole.err, true
		}
		pre := t.core(plus, digits[:headDigits], "", extra)
		switch {
		case !pre.decided:
			return Phone{}, nil, false
		case !pre.landline:
			return Phone{}, whole.err, true
		case pre.err != nil:
			return Phone{}, pre.err, true
		}
		pre.phone.ext = string(digits[headDigits:nd])
		return pre.phone, nil, true
	}
	if whole.err != nil {
		return Phone{}, whole.err, true
	}
	whole.phone.ext = ext
	return whole.phone, nil, true
}

// tokenize folds raw to one token per rune, as NFKC and ParsePhone's rules
// see it, and records where each token starts in raw. The tokens are
// '0'-'9', '+', ' ' (a space), '\n' (other white space, which only
// TrimSpace removes), '-', '.', 's' (another separator), '*' (a mask
// character other than x), 'x' (x or X), '#', 'z' (转 or 分机), 'E'
// ("ext" or "ext." in any case) and '?' (any other rune that NFKC leaves
// as it is and that composes with nothing before it, which the reference
// refuses wherever it stands). It reports false for any other rune (white
// space outside the list, a rune that NFKC changes or that may compose
// with the one before, invalid UTF-8), which the reference must judge.
func tokenize(raw string, tok *[maxPhoneInput]byte, pos *[maxPhoneInput + 1]uint8) (int, bool) {
	n := 0
	for i := 0; i < len(raw); {
		c, size := raw[i], 1
		var k byte
		if c < utf8.RuneSelf {
			switch c {
			case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '-', '.', '*', '#':
				k = c
			case ' ', '\t':
				k = ' '
			case '\n', '\v', '\f', '\r':
				k = '\n'
			case '/', '(', ')', '[', ']':
				k = 's'
			case 'x', 'X':
				k = 'x'
			case 'e', 'E':
				k = 'e'
			case 't', 'T':
				k = 't'
			default:
				k = '?'
			}
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(raw[i:])
			switch {
			case '０' <= r && r <= '９':
				k = byte('0' + r - '０')
			case r == '＋':
				k = '+'
			case r == '－', r == '\ufe63': // full-width and small hyphen-minus
				k = '-'
			case r == '．', r == '\ufe52': // full-width and small full stop
				k = '.'
			case r == '＊', r == '\ufe61', r == '×', r == '•', r == '●', r == '∗':
				k = '*'
			case r == '＃', r == '\ufe5f':
				k = '#'
			case r == '\u3000', r == '\u00a0':
				k = ' '
			case r == '／', r == '（', r == '）', r == '［', r == '］',
				'\u2010' <= r && r <= '\u2015', r == '\u2212', r == '\ufe58':
				k = 's'
			case r == 'ｘ', r == 'Ｘ':
				k = 'x'
			case r == 'ｅ', r == 'Ｅ':
				k = 'e'
			case r == 'ｔ', r == 'Ｔ':
				k = 't'
			case r == '转':
				k = 'z'
			case r == '分':
				k = 'F'
			case r == '机':
				k = 'J'
			case isOtherRune(raw[i:], r, size):
				k = '?'
			default:
				return 0, false
			}
		}
		tok[n], pos[n] = k, uint8(i)
		n++
		i += size
	}
	pos[n] = uint8(len(raw))

	// Merge the markers spelled with more than one rune.
	w := 0
	for r := 0; r < n; w++ {
		tok[w], pos[w] = tok[r], pos[r]
		switch tok[r] {
		case 'e':
			if r+2 >= n || tok[r+1] != 'x' || tok[r+2] != 't' {
				tok[w] = '?'
				r++
				break
			}
			tok[w] = 'E'
			r += 3
			if r < n && tok[r] == '.' {
				r++
			}
		case 'F':
			if r+1 >= n || tok[r+1] != 'J' {
				tok[w] = '?'
				r++
				break
			}
			tok[w] = 'z'
			r += 2
		case 't', 'J':
			tok[w] = '?'
			r++
		default:
			r++
		}
	}
	pos[w] = uint8(len(raw))
	return w, true
}

// isOtherRune reports whether r, the first rune of s and size bytes long,
// is a rune that NFKC leaves as it is whatever surrounds it, provided the
// rune after it is one as well or one of tokenize's own: it has no
// decomposition and does not compose with the rune before it. It must not
// be white space, which TrimSpace would remove.
func isOtherRune(s string, r rune, size int) bool {
	if r == utf8.RuneError && size == 1 || unicode.IsSpace(r) {
		return false
	}
	p := norm.NFKC.PropertiesString(s)
	return p.BoundaryBefore() && len(p.Decomposition()) == 0
}

func isMaskToken(k byte) bool { return k == '*' || k == 'x' }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fastResult is what core made of a digit string: a coreResult, and
// whether it is decided at all.
type fastResult struct {
	coreResult
	decided bool
}

// core replays phonenumbers and referenceCore on d, the digits of a number
// (after a plus sign when plus is set), for the default region CN. It
// decides every number that phonenumbers reads as a national number of
// +86 the automata can classify, except a landline that might end in a
// short code behind its area code. canon, if not empty, is the input
// itself when it might already be the E.164 form.
func (t *fastTables) core(plus bool, d []byte, canon string, extra map[string]struct{}) fastResult {
	if !plus {
		d = d[ipDialPrefixLen(d):]
	} else if len(d) < 2 || d[0] != '8' || d[1] != '6' {
		return foreign(d, canon, extra)
	}
	nsn, bareCC, carrier, ok := t.national(plus, d)
	if !ok {
		return fastResult{}
	}
	if carrier {
		return fastResult{coreResult{err: errPhoneCarrier}, true}
	}
	typ := t.numberType(nsn)
	valid := typ != phonenumbers.UNKNOWN
	if bareCC && !(valid && (typ == phonenumbers.MOBILE || typ == phonenumbers.FIXED_LINE_OR_MOBILE)) {
		return fastResult{coreResult{err: errPhoneBareCC}, true}
	}
	if !valid {
		if cnServiceCode(nsn) || t.isShortCode(nsn) {
			return fastResult{coreResult{err: errPhoneShortCode}, true}
		}
		return fastResult{coreResult{err: errPhoneNotValid}, true}
	}
	res := coreResult{landline: typ == phonenumbers.FIXED_LINE || typ == phonenumbers.FIXED_LINE_OR_MOBILE}
	line, ok := lineOf(typ)
	if !ok {
		res.err = errPhoneServiceType
		return fastResult{res, true}
	}
	if res.landline {
		// The reference refuses a landline whose subscriber part, after
		// the area code phonenumbers finds by formatting the number, is
		// a short code.
		ac, ok := t.areaCodeLen(nsn)
		if !ok {
			return fastResult{}
		}
		if sub := nsn[ac:]; ac > 0 && ac < len(nsn) && (cnServiceCode(sub) || (sub[0] != '0' && t.isShortCode(sub))) {
			res.err = errPhoneServiceLine
			return fastResult{res, true}
		}
	}
	var e164 string
	if len(canon) == 3+len(nsn) && canon[:3] == "+86" && canon[3:] == string(nsn) {
		e164 = canon
	} else {
		var b [3 + maxPhoneInput]byte
		e164 = string(append(append(b[:0], "+86"...), nsn...))
	}
	if isPlaceholder(e164, line, extra) {
		res.err = errPhonePlaceholder
		return fastResult{res, true}
	}
	res.phone = Phone{e164: e164, region: "CN", line: line}
	return fastResult{res, true}
}

// isShortCode is phonenumbers' IsValidShortNumber for a number of +86
// with national significant number nsn.
func (t *fastTables) isShortCode(nsn []byte) bool {
	return t.shortGeneral.matches(nsn) && t.shortCode.matches(nsn)
}

// fastTables is what the fast path knows of the CN metadata.
type fastTables struct {
	// The number descriptions getNumberTypeHelper tests, in its order.
	general, premium, tollFree, shared, voip, personal, pager, uan, voicemail, fixed, mobile numberDesc
	// The short-number descriptions IsValidShortNumber tests.
	shortGeneral, shortCode numberDesc
	// The formats phonenumbers chooses from to write a number in the
	// international format, which GetLengthOfGeographicalAreaCode
	// reads the area code from; nil when they are not understood.
	formats []areaFormat

	sameMobileAndFixed bool
	possible           []int32 // the general description's possible lengths
	localOnly          []int32 // and its local-only lengths

	idd       *digitDFA      // international prefix
	leading   *digitDFA      // the region's leading digits, for a shared country code; nil if none
	npfp      *digitDFA      // national prefix for parsing; nil if none or no automaton
	prefixRE  *regexp.Regexp // the same, anchored, as phonenumbers compiles it; nil if none
	transform bool           // the region has a national prefix transform rule
	trunk     string         // the national prefix, when npfp strips it plainly; else ""
}

// numberDesc is one of phonenumbers' number descriptions: possible
// lengths and a national-number pattern.
type numberDesc struct {
	anyLength bool   // no lengths listed: the pattern alone decides
	lengths   uint64 // bit n set: length n is possible
	dfa       *digitDFA
}

func newNumberDesc(d *phonenumbers.PhoneNumberDesc) (numberDesc, error) {
	dfa, err := compileDigitDFA(d.GetNationalNumberPattern())
	if err != nil {
		return numberDesc{}, err
	}
	nd := numberDesc{anyLength: len(d.GetPossibleLength()) == 0, dfa: dfa}
	for _, l := range d.GetPossibleLength() {
		if 0 <= l && l < 64 {
			nd.lengths |= 1 << l
		}
	}
	return nd, nil
}

// matches is phonenumbers' isNumberMatchingDesc.
func (d *numberDesc) matches(nsn []byte) bool {
	if !d.anyLength && (len(nsn) >= 64 || d.lengths&(1<<len(nsn)) == 0) {
		return false
	}
	return d.dfa.full(nsn)
}

// cnFastTables builds the fast path's tables from phonenumbers' CN
// metadata, once. A nil result (with the reason) turns the fast path off.
var cnFastTables = sync.OnceValues(func() (*fastTables, error) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, err
	}
	var md *phonenumbers.PhoneMetadata
	for _, m := range coll.GetMetadata() {
		if m.GetId() == "CN" {
			md = m
			break
		}
	}
	if md == nil {
		return nil, errors.New("identity: no CN phone metadata")
	}
	// The fast path reads "86" as the country code and assumes "8" is
	// none, as extractCountryCode does, and that +86 is CN alone.
	if md.GetCountryCode() != 86 || len(phonenumbers.GetRegionCodesForCountryCode(8)) != 0 {
		return nil, errors.New("identity: CN metadata: unexpected country code")
	}
	if r := phonenumbers.GetRegionCodesForCountryCode(86); len(r) != 1 || r[0] != "CN" {
		return nil, errors.New("identity: CN metadata: +86 is shared")
	}

	t, err := newFastTables(md)
	if err != nil {
		return nil, err
	}
	if t.idd == nil || t.npfp == nil {
		return nil, errors.New("identity: CN metadata: prefixes are no automata")
	}
	short, err := phonenumbers.ShortNumberMetadataCollection()
	if err != nil {
		return nil, err
	}
	var smd *phonenumbers.PhoneMetadata
	for _, m := range short.GetMetadata() {
		if m.GetId() == "CN" {
			smd = m
			break
		}
	}
	if smd == nil {
		return nil, errors.New("identity: no CN short-number metadata")
	}
	if t.shortGeneral, err = newNumberDesc(smd.GetGeneralDesc()); err != nil {
		return nil, fmt.Errorf("identity: CN short-number metadata: %w", err)
	}
	if t.shortCode, err = newNumberDesc(smd.GetShortCode()); err != nil {
		return nil, fmt.Errorf("identity: CN short-number metadata: %w", err)
	}
	t.formats = newAreaFormats(md)
	return t, nil
})

// national replays phonenumbers' parse of d (with a leading plus sign when
// plus is set) up to the national significant number, for the default
// region CN. bareCC reports that phonenumbers read a leading "86" as the
// country code without a plus sign (FROM_NUMBER_WITHOUT_PLUS_SIGN), and
// carrier that it recorded a carrier code (PreferredDomesticCarrierCode). It
// reports false whenever the result would not be a national number of +86
// that the automata can classify, or when it cannot be sure.
func (t *fastTables) national(plus bool, d []byte) (nsn []byte, bareCC, carrier, ok bool) {
	var nat []byte
	switch {
	case plus:
		// maybeStripInternationalPrefixAndNormalize, then
		// extractCountryCode: "8" is no country code, "86" is.
		if len(d) <= 2 || d[0] != '8' || d[1] != '6' {
			return nil, false, false, false
		}
		nat = d[2:]
	default:
		l, ok := t.iddLen(d)
		switch {
		case !ok:
			return nil, false, false, false
		case l > 0:
			full := d[l:]
			if len(full) <= 2 || full[0] != '8' || full[1] != '6' {
				return nil, false, false, false
			}
			nat = full[2:]
		case len(d) >= 2 && d[0] == '8' && d[1] == '6':
			// The default country code without a plus sign: strip it if
			// the number is not valid with it but is without it, or is
			// too long with it.
			// The carrier code is not recorded here.
			pot, _, ok := t.stripTrunk(d[2:])
			if !ok {
				return nil, false, false, false
			}
			if (!t.general.dfa.full(d) && t.general.dfa.full(pot)) || t.testLength(d) == phonenumbers.TOO_LONG {
				nat, bareCC = pot, true
			} else {
				nat = d
			}
		default:
			nat = d
		}
	}
	if len(nat) < phonenumbers.MIN_LENGTH_FOR_NSN {
		return nil, false, false, false
	}
	// parseHelper strips the trunk prefix only if what remains has a
	// possible length.
	if pot, cc, ok := t.stripTrunk(nat); !ok {
		return nil, false, false, false
	} else if len(pot) != len(nat) {
		switch t.testLength(pot) {
		case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY, phonenumbers.INVALID_LENGTH:
		default:
			nat, carrier = pot, cc
		}
	}
	// A national number with leading zeros keeps them: phonenumbers
	// records them as Italian leading zeros and writes them back in
	// front of the rest, so its national significant number is nat.
	if len(nat) < phonenumbers.MIN_LENGTH_FOR_NSN || len(nat) > phonenumbers.MAX_LENGTH_FOR_NSN {
		return nil, false, false, false
	}
	return nat, bareCC, carrier, true
}

// iddLen returns the length of the international prefix d starts with, or
// 0 if it starts with none, as parsePrefixAsIdd decides. It reports false
// when more than one prefix of d matches, where the regexp's preference
// would decide.
func (t *fastTables) iddLen(d []byte) (int, bool) {
	set := t.idd.prefixes(d)
	if set == 0 {
		return 0, true
	}
	if set&(set-1) != 0 || set&1 != 0 {
		return 0, false
	}
	l := 0
	for set>>(l+1) != 0 {
		l++
	}
	if l < len(d) && d[l] == '0' {
		return 0, true // a country code never starts with 0: no IDD
	}
	return l, true
}

// stripTrunk is maybeStripNationalPrefixAndCarrierCode: it returns n
// without its national prefix when phonenumbers would strip it, and
// whether phonenumbers would record a carrier code. A plainly stripped
// trunk prefix is decided by the automaton; anything else by
// phonenumbers' own regexp. It reports false when the prefix would be
// rewritten by the region's transform rule.
func (t *fastTables) stripTrunk(n []byte) (rest []byte, carrier bool, ok bool) {
	if len(n) == 0 || t.prefixRE == nil {
		return n, false, true
	}
	if t.npfp != nil {
		set := t.npfp.prefixes(n)
		if set == 0 {
			return n, false, true
		}
		if t.trunk != "" && set == 1<<len(t.trunk) && string(n[:len(t.trunk)]) == t.trunk {
			rest := n[len(t.trunk):]
			if t.general.dfa.full(n) && !t.general.dfa.full(rest) {
				return n, false, true
			}
			return rest, false, true
		}
	}
	// A copy: the regexp keeps its input where escape analysis cannot
	// follow, which would move every caller's digit buffer to the heap
	// (one allocation per ParsePhone) for this rare path's sake.
	loc := t.prefixRE.FindSubmatchIndex(bytes.Clone(n))
	if loc == nil {
		return n, false, true
	}
	groups := len(loc)/2 - 1
	if t.transform && loc[2*groups] >= 0 {
		return nil, false, false
	}
	if t.general.dfa.full(n) && !t.general.dfa.full(n[loc[1]:]) {
		return n, false, true
	}
	return n[loc[1]:], groups > 0 && loc[2] >= 0 && loc[3] > loc[2], true
}

// testLength is phonenumbers' testNumberLength for an unknown type.
func (t *fastTables) testLength(n []byte) phonenumbers.ValidationResult {
	if t.possible[0] == -1 {
		return phonenumbers.INVALID_LENGTH
	}
	l := int32(len(n))
	for _, x := range t.localOnly {
		if x == l {
			return phonenumbers.IS_POSSIBLE_LOCAL_ONLY
		}
	}
	switch {
	case t.possible[0] == l:
		return phonenumbers.IS_POSSIBLE
	case t.possible[0] > l:
		return phonenumbers.TOO_SHORT
	case t.possible[len(t.possible)-1] < l:
		return phonenumbers.TOO_LONG
	}
	for _, x := range t.possible[1:] {
		if x == l {
			return phonenumbers.IS_POSSIBLE
		}
	}
	return phonenumbers.INVALID_LENGTH
}

// numberType is phonenumbers' getNumberTypeHelper.
func (t *fastTables) numberType(nsn []byte) phonenumbers.PhoneNumberType {
	switch {
	case !t.general.matches(nsn):
		return phonenumbers.UNKNOWN
	case t.premium.matches(nsn):
		return phonenumbers.PREMIUM_RATE
	case t.tollFree.matches(nsn):
		return phonenumbers.TOLL_FREE
	case t.shared.matches(nsn):
		return phonenumbers.SHARED_COST
	case t.voip.matches(nsn):
		return phonenumbers.VOIP
	case t.personal.matches(nsn):
		return phonenumbers.PERSONAL_NUMBER
	case t.pager.matches(nsn):
		return phonenumbers.PAGER
	case t.uan.matches(nsn):
		return phonenumbers.UAN
	case t.voicemail.matches(nsn):
		return phonenumbers.VOICEMAIL
	case t.fixed.matches(nsn):
		if t.sameMobileAndFixed || t.mobile.matches(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	case !t.sameMobileAndFixed && t.mobile.matches(nsn):
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}
