package identity

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phone is a normalised phone number. The zero Phone is no number.
//
// Phone is comparable, and two Phones parsed from different spellings of
// the same number are equal. Its String is E.164 and is the key a customer
// is found by; an extension, when the input had one, is kept apart in
// [Phone.Extension] and is not part of the key. A Phone is personal data:
// never log it.
type Phone struct {
	e164   string
	ext    string
	region string   // CLDR region of the number, such as "CN"
	line   lineType // what kind of line the number is
}

// lineType is the kind of line a valid personal number belongs to.
type lineType uint8

const (
	lineUnknown       lineType = iota // the zero Phone
	lineMobile                        // phonenumbers MOBILE
	lineFixed                         // phonenumbers FIXED_LINE
	lineFixedOrMobile                 // phonenumbers FIXED_LINE_OR_MOBILE (NANPA and a few others)
	lineOther                         // PERSONAL_NUMBER or PAGER
)

// String returns the number in E.164 form, such as "+8613812345678", or ""
// for the zero Phone. It parses back to the same Phone (without its
// extension) with [ParsePhone] and any default region.
func (p Phone) String() string { return p.e164 }

// Extension returns the extension the input carried, as ASCII digits, or "".
func (p Phone) Extension() string { return p.ext }

// IsZero reports whether p is the zero Phone.
func (p Phone) IsZero() bool { return p.e164 == "" }

// Region returns the CLDR region the number belongs to, such as "CN" or
// "HK", or "" for the zero Phone. It is the region of the number, not the
// default region it was parsed with.
func (p Phone) Region() string { return p.region }

// Mobile reports whether the number is a mobile number. It is false for
// fixed lines and for numbers whose plan does not tell mobiles from fixed
// lines (the North American plan, for one).
func (p Phone) Mobile() bool { return p.line == lineMobile }

// MarshalText returns the E.164 form, followed by ";ext=" and the extension
// when there is one (the RFC 3966 spelling). The zero Phone marshals to an
// empty text.
func (p Phone) MarshalText() ([]byte, error) {
	if p.ext == "" {
		return []byte(p.e164), nil
	}
	return []byte(p.e164 + ";ext=" + p.ext), nil
}

// UnmarshalText parses the form written by [Phone.MarshalText]. It does not
// consult any placeholder list, so that a number stored once stays
// readable when the defaults change.
func (p *Phone) UnmarshalText(text []byte) error {
	s := string(text)
	if s == "" {
		*p = Phone{}
		return nil
	}
	num, ext, hasExt := strings.Cut(s, ";ext=")
	if !strings.HasPrefix(num, "+") || (hasExt && (ext == "" || len(ext) > maxExtensionDigits || !allDigits(ext))) {
		return errPhoneText
	}
	ph, err := parsePhone(num, "CN", nil)
	if err != nil || ph.e164 != num {
		return errPhoneText
	}
	ph.ext = ext
	*p = ph
	return nil
}

// ParsePhone normalises raw, a phone number as people and systems write
// it, to a [Phone]. Numbers written without a country code belong to
// defaultRegion, a CLDR region code such as "CN" or "AU"; the empty region
// means "CN". Numbers on the default placeholder list
// ([DefaultPlaceholderPhones]) are refused; use [NewPhoneParser] to refuse
// more.
//
// # What it accepts
//
// Full-width digits and punctuation and the ideographic space (the input
// is NFKC-folded), spaces, dots, dashes, slashes and brackets anywhere; a
// leading "+86", "(+86)" or "0086"; a bare "86" only in front of an
// 11-digit mobile number ("8613812345678"); the trunk "0" in front of an
// area code or a mobile number; a Chinese IP-dialling carrier prefix
// (17951, 12593, 17911, 10193, 17901, ... see below) in front of a
// mobile number or in front of a landline with its trunk "0"
// ("17951 010 12345678"). An extension follows "转", "分机", "ext",
// "ext.", "x" or "#", or a final "-123" after a landline that is complete
// without it ("010-12345678-123"); it is returned in [Phone.Extension].
//
// # What it refuses
//
// Every refusal wraps one of four errors, testable with [errors.Is] and
// mapped to a [Reason] by [PhoneReason]: [ErrMaskedPhone] for numbers with
// mask characters ("138****5678", "138xxxx5678", "138＊＊＊＊5678");
// [ErrServicePhone] for toll-free, shared-cost, premium-rate, UAN, VoIP and
// voicemail numbers (400 and 800 numbers), for short codes (10086, 95588,
// 96xxx, 12315 and the rest of the 10xxx to 12xxx service blocks), and for
// a short code dialled behind an area code ("021-95588");
// [ErrPlaceholderPhone] for placeholder values; and [ErrInvalidPhone] for
// anything else that is not a valid number of its region by phonenumbers'
// metadata, including a dialling prefix the list below does not name and a
// bare country code in front of a number that is not a mobile. Error texts
// never contain the number.
//
// # The reference and the fast path
//
// github.com/nyaruka/phonenumbers is the reference: after the rules above,
// phonenumbers decides the country code, the national number, validity and
// the number type. Mainland numbers in every spelling above (mobiles,
// landlines, service numbers and short codes, invalid numbers), valid
// numbers written with a plus sign and another country code, and masked,
// malformed and junk values take a fast path that does not call
// phonenumbers but runs automata compiled from phonenumbers' own metadata
// (its CN short-number metadata and number formats included, and other
// regions' metadata on first use); it gives exactly the reference's
// result (a differential test over a million inputs, one over the
// workload's phone mix, and a fuzz target check this), and hands every
// input it is not sure about to the reference. The fast path allocates at
// most the E.164 string (none when the input is already E.164) and a
// full-width extension, and for the few regions whose national prefix is
// no automaton (Japan's) a regexp match.
//
// # IP-dialling prefixes
//
// The prefixes stripped are those of China Mobile (17950, 17951, 12593),
// China Unicom (17910, 17911, 10193) and China Telecom (17900, 17901,
// 17908, 17909), and 11808, 17931, 17960, 17961, 17968, 17969 and 96435,
// which dialler software used in mainland China strips as well. They are
// stripped only with the default region CN. phonenumbers' CN metadata
// treats every 11xxx, 12xxx and 179xx prefix as a carrier code; those not
// listed here are refused as invalid rather than guessed at.
func ParsePhone(raw, defaultRegion string) (Phone, error) {
	region, err := canonicalRegion(defaultRegion)
	if err != nil {
		return Phone{}, err
	}
	return parsePhone(raw, region, defaultPlaceholdersOnly)
}

// PhoneParser normalises phone numbers like [ParsePhone], with a default
// region and a placeholder list of its own on top of the default one.
// A PhoneParser is immutable and safe for concurrent use by multiple
// goroutines.
type PhoneParser struct {
	region       string
	placeholders map[string]struct{} // E.164 forms, besides the defaults
}

// NewPhoneParser returns a parser for defaultRegion ("" means "CN") that
// refuses with [ErrPlaceholderPhone], besides the default placeholders,
// every number in placeholders. Each placeholder may be written in any
// form [ParsePhone] accepts and is read with defaultRegion; extensions are
// ignored. NewPhoneParser fails for an unknown region and for a
// placeholder that is not a valid number, naming the placeholder by its
// index only.
func NewPhoneParser(defaultRegion string, placeholders []string) (*PhoneParser, error) {
	region, err := canonicalRegion(defaultRegion)
	if err != nil {
		return nil, err
	}
	p := &PhoneParser{region: region, placeholders: make(map[string]struct{}, len(placeholders))}
	for i, raw := range placeholders {
		ph, err := parsePhone(raw, region, nil)
		if err != nil {
			return nil, fmt.Errorf("identity: placeholder %d: %w", i, err)
		}
		p.placeholders[ph.e164] = struct{}{}
	}
	return p, nil
}

// Parse normalises raw like [ParsePhone], with the parser's default region
// and placeholders.
func (p *PhoneParser) Parse(raw string) (Phone, error) {
	return parsePhone(raw, p.region, p.placeholders)
}

// Region returns the parser's default region.
func (p *PhoneParser) Region() string { return p.region }

// parsePhone tries the fast path and falls back to the reference path.
// extra holds placeholders besides the defaults; a nil extra turns the
// placeholder check off altogether.
func parsePhone(raw, region string, extra map[string]struct{}) (Phone, error) {
	if region == "CN" {
		if ph, err, ok := parseFast(raw, extra); ok {
			return ph, err
		}
	}
	return parseReference(raw, region, extra)
}

// defaultPlaceholdersOnly is the empty list of extra placeholders: with
// it, only the defaults are refused.
var defaultPlaceholdersOnly = map[string]struct{}{}

// canonicalRegion returns the CLDR code phonenumbers knows for region, in
// upper case; "" means "CN".
func canonicalRegion(region string) (string, error) {
	switch region {
	case "", "CN":
		return "CN", nil
	}
	if phonenumbers.GetSupportedRegions()[region] {
		return region, nil
	}
	if up := strings.ToUpper(region); phonenumbers.GetSupportedRegions()[up] {
		return up, nil
	}
	return "", fmt.Errorf("identity: unknown phone region %q", region)
}

// DefaultPlaceholderPhones returns, in E.164 form, the numbers that
// [ParsePhone] and every [PhoneParser] refuse as placeholders. The caller
// owns the returned slice.
//
// The list holds the values staff type when a form insists on a mobile
// number and the customer gives none: China Mobile's customer-service
// number 13800138000, the all-zero 13800000000, and the counting sequence
// 13812345678. Besides the list, every mainland mobile whose last eight
// digits are one digit repeated (139 9999 9999, 186 0000 0000) is a
// placeholder.
//
// A list only catches values someone thought of. The store's own phone, a
// cashier's mobile typed for every walk-in, a number passed around a
// training class: these are valid, unlisted and shared by many people, and
// only the merge step sees them, because only it sees one number arrive
// with many different names, member cards and addresses. Its hub detector
// treats such a number as a placeholder; add the ones it finds to a
// [PhoneParser] to refuse them at the door.
func DefaultPlaceholderPhones() []string {
	return []string{
		"+8613800000000",
		"+8613800138000",
		"+8613812345678",
	}
}

var defaultPlaceholders = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, s := range DefaultPlaceholderPhones() {
		m[s] = struct{}{}
	}
	return m
}()

// isPlaceholder reports whether a valid number with E.164 form e164 and
// line type line is a placeholder: listed by default or in extra, or a
// mainland mobile whose eight subscriber digits are all the same. With a
// nil extra, nothing is a placeholder.
func isPlaceholder(e164 string, line lineType, extra map[string]struct{}) bool {
	if extra == nil {
		return false
	}
	if _, ok := defaultPlaceholders[e164]; ok {
		return true
	}
	if _, ok := extra[e164]; ok {
		return true
	}
	if line != lineMobile || len(e164) != len("+8613800000000") || !strings.HasPrefix(e164, "+86") {
		return false
	}
	sub := e164[len(e164)-8:]
	for i := 1; i < len(sub); i++ {
		if sub[i] != sub[0] {
			return false
		}
	}
	return true
}

// The limits of what ParsePhone reads.
const (
	// maxPhoneInput is the longest input, in bytes, that ParsePhone reads;
	// a full-width number with an extension fits well within it.
	maxPhoneInput = 128
	// maxExtensionDigits is the longest extension after a marker.
	maxExtensionDigits = 10
	// maxTrailingExtensionDigits is the longest "-123" extension after a
	// landline.
	maxTrailingExtensionDigits = 6
)

// ipDialPrefixes are the IP-dialling carrier prefixes ParsePhone strips
// with the default region CN, by numeric value. See ParsePhone.
var ipDialPrefixes = map[int]bool{
	17950: true, 17951: true, 12593: true, // China Mobile
	17910: true, 17911: true, 10193: true, // China Unicom
	17900: true, 17901: true, 17908: true, 17909: true, // China Telecom
	11808: true, 17931: true, 17960: true, 17961: true, 17968: true, 17969: true, 96435: true,
}

// ipDialPrefixLen returns 5 if d, the digits of a number written without
// a plus sign, starts with an IP-dialling prefix followed by an 11-digit
// number starting with 1 (a mobile) or by a trunk 0 and an area code, and
// 0 otherwise.
func ipDialPrefixLen[T string | []byte](d T) int {
	if len(d) < 5+3 {
		return 0
	}
	v := 0
	for i := range 5 {
		v = v*10 + int(d[i]-'0')
	}
	if !ipDialPrefixes[v] {
		return 0
	}
	rest := d[5:]
	if (len(rest) == 11 && rest[0] == '1') || (rest[0] == '0' && rest[1] != '0') {
		return 5
	}
	return 0
}

// cnServiceCode reports whether nsn is a five-digit code of the 10xxx,
// 11xxx and 12xxx blocks, which the Chinese numbering plan gives to
// carrier service lines (10086, 10010) and public-service hotlines
// (12315, 12345, 12306). phonenumbers' short-number metadata knows only
// some of them.
func cnServiceCode[T string | []byte](nsn T) bool {
	if len(nsn) != 5 || nsn[0] != '1' || nsn[1] < '0' || nsn[1] > '2' {
		return false
	}
	for i := 2; i < 5; i++ {
		if nsn[i] < '0' || nsn[i] > '9' {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// The details of the phone errors. Their texts name no digit at all, so
// that no part of a number can leak through them.
var (
	errPhoneTooLong     = fmt.Errorf("%w: input too long", ErrInvalidPhone)
	errPhoneEmpty       = fmt.Errorf("%w: empty", ErrInvalidPhone)
	errPhoneCharacter   = fmt.Errorf("%w: unexpected character", ErrInvalidPhone)
	errPhoneExtension   = fmt.Errorf("%w: malformed extension", ErrInvalidPhone)
	errPhonePlus        = fmt.Errorf("%w: misplaced plus sign", ErrInvalidPhone)
	errPhoneNoDigits    = fmt.Errorf("%w: no digits", ErrInvalidPhone)
	errPhoneNotNumber   = fmt.Errorf("%w: not a phone number", ErrInvalidPhone)
	errPhoneCarrier     = fmt.Errorf("%w: unknown dialling prefix", ErrInvalidPhone)
	errPhoneBareCC      = fmt.Errorf("%w: country code without plus sign before a number that is not a mobile", ErrInvalidPhone)
	errPhoneNotValid    = fmt.Errorf("%w: not a valid number of its region", ErrInvalidPhone)
	errPhoneText        = fmt.Errorf("%w: not in the form Phone.MarshalText writes", ErrInvalidPhone)
	errPhoneMasked      = fmt.Errorf("%w: digits replaced by mask characters", ErrMaskedPhone)
	errPhoneServiceType = fmt.Errorf("%w: toll-free, shared-cost or other non-personal number", ErrServicePhone)
	errPhoneShortCode   = fmt.Errorf("%w: short code", ErrServicePhone)
	errPhoneServiceLine = fmt.Errorf("%w: short code behind an area code", ErrServicePhone)
	errPhonePlaceholder = fmt.Errorf("%w: on the placeholder list or all one digit", ErrPlaceholderPhone)
)
