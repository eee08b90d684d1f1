package identity

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phone is a normalised phone number. The zero Phone is no number.
//
// Phone is comparable. Its String is E.164; an extension, when the input had
// one, is kept apart in Extension and is not part of the key.
type Phone struct {
	e164 string
	ext  string
}

// String returns the number in E.164 form, such as "+8613812345678".
func (p Phone) String() string { return p.e164 }

// Extension returns the extension the input carried, or "".
func (p Phone) Extension() string { return p.ext }

// IsZero reports whether p is the zero Phone.
func (p Phone) IsZero() bool { return p.e164 == "" }

// ParsePhone normalises raw to a Phone. An empty defaultRegion means "CN".
//
// TEMPORARY reference-only implementation: to be replaced by the fast path.
func ParsePhone(raw, defaultRegion string) (Phone, error) {
	if defaultRegion == "" {
		defaultRegion = "CN"
	}
	if strings.ContainsAny(raw, "*xX") {
		return Phone{}, ErrMaskedPhone
	}
	n, err := phonenumbers.Parse(raw, defaultRegion)
	if err != nil {
		return Phone{}, fmt.Errorf("%w: does not parse", ErrInvalidPhone)
	}
	if !phonenumbers.IsValidNumber(n) {
		return Phone{}, ErrInvalidPhone
	}
	return Phone{e164: phonenumbers.Format(n, phonenumbers.E164), ext: n.GetExtension()}, nil
}

// PhoneParser normalises phone numbers with a default region and a
// placeholder blocklist. A PhoneParser is safe for concurrent use.
//
// TEMPORARY: to be replaced together with ParsePhone.
type PhoneParser struct {
	region       string
	placeholders map[string]bool
}

// NewPhoneParser returns a parser for defaultRegion ("" means "CN") that
// refuses, besides the default placeholders, every number in placeholders
// (given in any form ParsePhone accepts).
func NewPhoneParser(defaultRegion string, placeholders []string) (*PhoneParser, error) {
	p := &PhoneParser{region: defaultRegion, placeholders: map[string]bool{}}
	for i, raw := range placeholders {
		ph, err := ParsePhone(raw, defaultRegion)
		if err != nil {
			return nil, fmt.Errorf("identity: placeholder %d: %w", i, err)
		}
		p.placeholders[ph.String()] = true
	}
	return p, nil
}

// Parse normalises raw like [ParsePhone], with the parser's region and
// placeholders.
func (p *PhoneParser) Parse(raw string) (Phone, error) {
	ph, err := ParsePhone(raw, p.region)
	if err != nil {
		return Phone{}, err
	}
	if p.placeholders[ph.String()] {
		return Phone{}, ErrPlaceholderPhone
	}
	return ph, nil
}
