package identity

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
)

// This file holds the reference path: ParsePhone's own rules written as
// plainly as possible on the NFKC-folded input, then phonenumbers for
// everything a numbering plan decides. It is what the fast path in
// phone_fast.go must agree with, and what decides every input the fast
// path hands over.

// parseReference parses raw with defaultRegion region (a canonical region
// code) and the placeholders in extra (see parsePhone).
func parseReference(raw, region string, extra map[string]struct{}) (Phone, error) {
	if len(raw) > maxPhoneInput {
		return Phone{}, errPhoneTooLong
	}
	s := []rune(strings.TrimSpace(norm.NFKC.String(raw)))
	if len(s) == 0 {
		return Phone{}, errPhoneEmpty
	}
	num, ext, marked := splitExtension(s)
	for _, r := range num {
		if !isASCIIDigit(r) && r != '+' && !isSeparator(r) && !isMask(r) {
			return Phone{}, errPhoneCharacter
		}
	}
	if slices.ContainsFunc(num, isMask) {
		return Phone{}, errPhoneMasked
	}
	var extension string
	if marked {
		extension = strings.Trim(string(ext), " \t")
		if extension == "" || len(extension) > maxExtensionDigits || !allDigits(extension) {
			return Phone{}, errPhoneExtension
		}
	}
	plus, digits, err := significantDigits(num)
	if err != nil {
		return Phone{}, err
	}
	if digits == "" {
		return Phone{}, errPhoneNoDigits
	}

	// A final "-123" is an extension only after a landline that is
	// complete without it, and only when the whole is not a valid number.
	if j := lastIndex(num, '-'); !marked && j >= 0 {
		tail := string(num[j+1:])
		if tail != "" && len(tail) <= maxTrailingExtensionDigits && allDigits(tail) {
			whole := referenceCore(plus, digits, region, extra)
			if whole.err == nil || !errors.Is(whole.err, ErrInvalidPhone) {
				return whole.phone, whole.err
			}
			if _, head, err := significantDigits(num[:j]); err == nil && head != "" {
				if pre := referenceCore(plus, head, region, extra); pre.landline {
					if pre.err != nil {
						return Phone{}, pre.err
					}
					pre.phone.ext = tail
					return pre.phone, nil
				}
			}
			return Phone{}, whole.err
		}
	}

	res := referenceCore(plus, digits, region, extra)
	if res.err != nil {
		return Phone{}, res.err
	}
	res.phone.ext = extension
	return res.phone, nil
}

// coreResult is what one digit string turned out to be.
type coreResult struct {
	phone    Phone // valid only when err is nil
	err      error
	landline bool // a valid fixed-line number (even if refused as service or placeholder)
}

// referenceCore decides what the digits of a number (with a leading plus
// sign when plus is set) are, with default region region.
func referenceCore(plus bool, digits, region string, extra map[string]struct{}) coreResult {
	if !plus && region == "CN" {
		digits = digits[ipDialPrefixLen(digits):]
	}
	in := digits
	if plus {
		in = "+" + digits
	}
	n, err := phonenumbers.ParseAndKeepRawInput(in, region)
	if err != nil {
		return coreResult{err: errPhoneNotNumber}
	}
	if n.GetPreferredDomesticCarrierCode() != "" {
		// phonenumbers stripped a carrier code that is not one of our
		// IP-dialling prefixes (or was in a place where we do not strip).
		return coreResult{err: errPhoneCarrier}
	}
	// One number type serves validity too: IsValidNumber is the type
	// helper's UNKNOWN with the same region and metadata.
	typ := phonenumbers.GetNumberType(n)
	valid := typ != phonenumbers.UNKNOWN
	if n.GetCountryCodeSource() == phonenumbers.PhoneNumber_FROM_NUMBER_WITHOUT_PLUS_SIGN &&
		!(valid && (typ == phonenumbers.MOBILE || typ == phonenumbers.FIXED_LINE_OR_MOBILE)) {
		return coreResult{err: errPhoneBareCC}
	}
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	if !valid {
		if phonenumbers.IsValidShortNumber(n) || (n.GetCountryCode() == 86 && cnServiceCode(nsn)) {
			return coreResult{err: errPhoneShortCode}
		}
		return coreResult{err: errPhoneNotValid}
	}
	res := coreResult{landline: typ == phonenumbers.FIXED_LINE || typ == phonenumbers.FIXED_LINE_OR_MOBILE}
	line, ok := lineOf(typ)
	if !ok {
		res.err = errPhoneServiceType
		return res
	}
	if res.landline && n.GetCountryCode() == 86 {
		if ac := cnAreaCodeLen(n); ac > 0 && ac < len(nsn) && cnShortCode(nsn[ac:]) {
			res.err = errPhoneServiceLine
			return res
		}
	}
	// Format returns the raw input for a national number of zero
	// ("+881 000 000 000"); the E.164 form never should.
	n.RawInput = nil
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	if isPlaceholder(e164, line, extra) {
		res.err = errPhonePlaceholder
		return res
	}
	res.phone = Phone{e164: e164, region: phonenumbers.GetRegionCodeForNumber(n), line: line}
	return res
}

// cnAreaCodeLen is phonenumbers.GetLengthOfGeographicalAreaCode for n, a
// parsed mainland fixed line (a CN number of type FIXED_LINE or
// FIXED_LINE_OR_MOBILE), without the three number types it would work out
// again: for such a number it is the length of the first group after the
// country code in the international format, when another group follows.
func cnAreaCodeLen(n *phonenumbers.PhoneNumber) int {
	if metadataByRegion()["CN"].GetNationalPrefix() == "" {
		// A plan without a national prefix has no area codes to
		// phonenumbers: let it say so.
		return phonenumbers.GetLengthOfGeographicalAreaCode(n)
	}
	groups := phonenumbers.NON_DIGITS_PATTERN.Split(phonenumbers.Format(n, phonenumbers.INTERNATIONAL), -1)
	if len(groups) <= 3 {
		return 0
	}
	return len(groups[2])
}

// cnShortCode reports whether sub, the subscriber part of a mainland
// landline, is a service short code: one phonenumbers' short-number
// metadata calls valid, or one of the 10xxx to 12xxx blocks.
func cnShortCode(sub string) bool {
	if cnServiceCode(sub) {
		return true
	}
	if sub == "" || sub[0] == '0' {
		return false
	}
	v, err := strconv.ParseUint(sub, 10, 64)
	if err != nil {
		return false
	}
	cc := int32(86)
	return phonenumbers.IsValidShortNumber(&phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &v})
}

// splitExtension splits s at the first extension marker: "转", "分机",
// "ext" or "ext." in any case, "#", or an "x" that is not part of a run of
// mask characters. It returns what is before the marker, what is after it,
// and whether there was one.
func splitExtension(s []rune) (num, ext []rune, marked bool) {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '转' || s[i] == '#':
			return s[:i], s[i+1:], true
		case s[i] == '分' && i+1 < len(s) && s[i+1] == '机':
			return s[:i], s[i+2:], true
		case i+3 <= len(s) && strings.EqualFold(string(s[i:i+3]), "ext"):
			n := i + 3
			if n < len(s) && s[n] == '.' {
				n++
			}
			return s[:i], s[n:], true
		case (s[i] == 'x' || s[i] == 'X') && (i == 0 || !isMask(s[i-1])) && (i+1 == len(s) || !isMask(s[i+1])):
			return s[:i], s[i+1:], true
		}
	}
	return s, nil, false
}

// significantDigits returns the digits of num, which holds digits, plus
// signs and separators only, and whether a plus sign came first. A plus
// sign anywhere else is an error.
func significantDigits(num []rune) (plus bool, digits string, err error) {
	var b strings.Builder
	for _, r := range num {
		switch {
		case isASCIIDigit(r):
			b.WriteRune(r)
		case r == '+':
			if plus || b.Len() > 0 {
				return false, "", errPhonePlus
			}
			plus = true
		}
	}
	return plus, b.String(), nil
}

func lastIndex(s []rune, r rune) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == r {
			return i
		}
	}
	return -1
}

func isASCIIDigit(r rune) bool { return '0' <= r && r <= '9' }

// isSeparator reports whether r, after NFKC folding, may separate the
// digits of a number.
func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '-', '.', '/', '(', ')', '[', ']',
		'\u2010', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212': // hyphen, dashes, minus
		return true
	}
	return false
}

// isMask reports whether r, after NFKC folding, stands for a digit that
// was hidden.
func isMask(r rune) bool {
	switch r {
	case '*', 'x', 'X',
		'\u00d7', // multiplication sign
		'\u2022', // bullet
		'\u2217', // asterisk operator
		'\u25cf': // black circle
		return true
	}
	return false
}

// lineOf returns the line type of a valid number of phonenumbers type
// typ, and false for the types no person answers (toll-free, premium
// rate, shared cost, VoIP, UAN, voicemail), which ParsePhone refuses.
// The fast paths and the reference share it, so they cannot disagree.
func lineOf(typ phonenumbers.PhoneNumberType) (lineType, bool) {
	switch typ {
	case phonenumbers.MOBILE:
		return lineMobile, true
	case phonenumbers.FIXED_LINE:
		return lineFixed, true
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return lineFixedOrMobile, true
	case phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER:
		return lineOther, true
	}
	return lineUnknown, false
}
