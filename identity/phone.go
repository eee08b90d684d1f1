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
