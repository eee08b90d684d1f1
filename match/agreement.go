package match

import "fmt"

// Agreement says how far two values agree, weakest first; a larger
// Agreement is stronger evidence that the values describe one person.
type Agreement int8

// The agreements, weakest first.
const (
	Unknown    Agreement = iota // a side says nothing (empty or placeholder): no evidence
	Different                   // cannot be one person
	Compatible                  // consistent but partial: an honorific or a surname alone and a full name of that surname; a name whose words are among the other's; a year-only date
	Close                       // one typo apart: a homophone or one-character typo in a given name, Latin words a typo apart, one digit or two adjacent ones swapped in a phone or date, day and month swapped
	Same                        // equal after normalisation: width and case, spaces, traditional and simplified characters, pinyin and Han characters, word order
	Exact                       // equal as given
)

var agreementNames = [...]string{"unknown", "different", "compatible", "close", "same", "exact"}

// String returns the agreement's name in lower case, such as "close"; it
// parses back with [ParseAgreement].
func (a Agreement) String() string {
	if a < 0 || int(a) >= len(agreementNames) {
		return fmt.Sprintf("Agreement(%d)", int8(a))
	}
	return agreementNames[a]
}

// ParseAgreement returns the agreement named s, as [Agreement.String]
// writes it.
func ParseAgreement(s string) (Agreement, error) {
	for i, n := range agreementNames {
		if n == s {
			return Agreement(i), nil
		}
	}
	return Unknown, fmt.Errorf("match: unknown agreement %q", s)
}

// MarshalText returns the agreement's name, so that JSON shows "close"
// rather than 3.
func (a Agreement) MarshalText() ([]byte, error) {
	if a < 0 || int(a) >= len(agreementNames) {
		return nil, fmt.Errorf("match: invalid agreement %d", int8(a))
	}
	return []byte(agreementNames[a]), nil
}

// UnmarshalText reads an agreement's name, as MarshalText writes it.
func (a *Agreement) UnmarshalText(b []byte) error {
	v, err := ParseAgreement(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
