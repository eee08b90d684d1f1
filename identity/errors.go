package identity

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Reason says why a record was quarantined, or why a field was withheld or
// dropped. Reasons are stable snake_case words, fit to count by and to show
// an operator; they never contain the offending value.
type Reason string

// The reasons adapters report.
const (
	ReasonMalformed        Reason = "malformed"         // the record as a whole cannot be parsed
	ReasonMissingID        Reason = "missing_id"        // the record has no source record id
	ReasonNoIdentifier     Reason = "no_identifier"     // no usable identifier at all: a warning, the record is anonymous
	ReasonMaskedPhone      Reason = "masked_phone"      // 138****5678
	ReasonInvalidPhone     Reason = "invalid_phone"     // not a valid number for its region
	ReasonServicePhone     Reason = "service_phone"     // 400/800, 95xxx, 10xxx and other non-personal numbers
	ReasonPlaceholderPhone Reason = "placeholder_phone" // 13800000000 and other values staff type
	ReasonInvalidEmail     Reason = "invalid_email"
	ReasonInvalidAmount    Reason = "invalid_amount"
	ReasonInvalidTime      Reason = "invalid_time"
	ReasonInvalidDate      Reason = "invalid_date"
	ReasonInvalidGender    Reason = "invalid_gender"
	ReasonInvalidScore     Reason = "invalid_score"
	ReasonInvalidStatus    Reason = "invalid_status"
	ReasonInvalidValue     Reason = "invalid_value" // any other field that does not parse
	ReasonPlaceholderName  Reason = "placeholder_name"
	ReasonMissingField     Reason = "missing_field"    // a field the record needs is absent or empty
	ReasonInvalidEncoding  Reason = "invalid_encoding" // not valid UTF-8; input must be UTF-8 (convert GBK first)
	ReasonMaskedValue      Reason = "masked_value"     // a masked value other than a phone, such as a buyer nick 张**
	ReasonTooLarge         Reason = "too_large"        // the record is longer than [MaxRecordBytes]; it is skipped, not held
	ReasonInvalidID        Reason = "invalid_id"       // a record id of the wrong form for its platform, such as a tid that is not a positive integer
	ReasonFutureTime       Reason = "future_time"      // a time more than a year after the decoding, such as a year-9999 order
	ReasonUnread           Reason = "unread"           // the input breaks at [RecordError.Offset] in a way that cannot be skipped; the rest was not read
)

// The phone errors, returned (wrapped) by [ParsePhone] and testable with
// [errors.Is]. Their texts never contain the number.
var (
	ErrInvalidPhone     = errors.New("identity: invalid phone number")
	ErrMaskedPhone      = errors.New("identity: masked phone number")
	ErrServicePhone     = errors.New("identity: service or shared-cost number")
	ErrPlaceholderPhone = errors.New("identity: placeholder phone number")
)

// The errors that end a [Decode] at the header of a CSV file, testable with
// [errors.Is]. ErrNoMapping is also an ErrHeader.
var (
	// ErrHeader is a header row that does not fit the format: it lacks
	// columns the format needs, has two columns of one name, or does not
	// parse.
	ErrHeader = errors.New("identity: the header does not fit the format")
	// ErrNoMapping is a generic CSV file read without [Options.Mapping]
	// none of whose columns is named as a field.
	ErrNoMapping = errors.New("identity: no column is named as a csv field and there is no mapping")
)

// headerError is an error wrapping [ErrHeader], and [ErrNoMapping] when
// noMapping is set, with its own text.
type headerError struct {
	msg       string
	noMapping bool
}

func headerErr(noMapping bool, format string, args ...any) error {
	return &headerError{msg: fmt.Sprintf(format, args...), noMapping: noMapping}
}

func (e *headerError) Error() string { return e.msg }

func (e *headerError) Is(target error) bool {
	return target == ErrHeader || e.noMapping && target == ErrNoMapping
}

// PhoneReason returns the [Reason] for an error returned by [ParsePhone].
func PhoneReason(err error) Reason {
	switch {
	case errors.Is(err, ErrMaskedPhone):
		return ReasonMaskedPhone
	case errors.Is(err, ErrServicePhone):
		return ReasonServicePhone
	case errors.Is(err, ErrPlaceholderPhone):
		return ReasonPlaceholderPhone
	default:
		return ReasonInvalidPhone
	}
}

// RecordError reports a record that was quarantined: where it was read,
// which field made it unusable and why. Its text names the source, line,
// record id and field, never a phone number or a name.
type RecordError struct {
	Channel  Channel // the channel of the format read
	Source   string  // source name
	Line     int     // 1-based line or element; 0 if unknown
	RecordID string  // source record id, if it could be read
	Field    string  // the field at fault; empty for a malformed record
	Reason   Reason
	Err      error // the underlying error, if any; it carries no personal data
	// Offset is the byte offset in the input at which a [ReasonUnread]
	// entry stopped reading; 0 for other reasons.
	Offset int64
	// Raw is the record as read, for a retry after a fix: the JSON line or
	// element, or the CSV header and row. It is personal data: never log or
	// print it. It is nil for records over [MaxRecordBytes], for unread
	// input and for records refused after decoding.
	Raw []byte
}

// Error returns a one-line description free of personal data.
func (e *RecordError) Error() string {
	var b strings.Builder
	b.WriteString("identity: ")
	b.WriteString(e.Source)
	if e.Line > 0 {
		b.WriteString(" line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.RecordID != "" {
		b.WriteString(" record ")
		b.WriteString(strconv.Quote(e.RecordID))
	}
	if e.Field != "" {
		b.WriteString(" field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(string(e.Reason))
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *RecordError) Unwrap() error { return e.Err }
