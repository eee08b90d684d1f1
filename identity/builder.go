package identity

import (
	"slices"
	"time"
)

// builder collects one record as an adapter reads it: identifiers, withheld
// values, warnings and, at most, one reason to quarantine the record.
type builder struct {
	c         *config
	rec       Record
	fail      *RecordError
	refFields []string // the source field of each referral, in order
}

func (c *config) newBuilder(line int) *builder {
	return &builder{c: c, rec: Record{Channel: c.channel, Source: c.source, Line: line}}
}

// quarantine marks the record as unusable. The first reason wins: it is the
// one nearest the root cause.
func (b *builder) quarantine(field string, reason Reason, err error) {
	if b.fail == nil {
		b.fail = &RecordError{Field: field, Reason: reason, Err: err}
	}
}

// warn records that an optional field was dropped.
func (b *builder) warn(field string, reason Reason) {
	b.rec.Warnings = append(b.rec.Warnings, Warning{Field: field, Reason: reason})
}

// identifier adds an identifier unless value is empty or already present.
func (b *builder) identifier(kind Kind, scope, value string) {
	if value == "" {
		return
	}
	id := Identifier{Kind: kind, Scope: scope, Value: value}
	if !kind.Scoped() {
		id.Scope = ""
	}
	if !slices.Contains(b.rec.Identifiers, id) {
		b.rec.Identifiers = append(b.rec.Identifiers, id)
	}
}

// phone parses raw as the record's phone number. A usable number becomes an
// identifier; any other non-empty value is kept in Withheld with its reason.
func (b *builder) phone(field, raw string) {
	raw = cleanText(raw)
	if raw == "" {
		return
	}
	p, err := b.c.phones.Parse(raw)
	if err != nil {
		w := Withheld{Field: field, Reason: PhoneReason(err), Value: raw}
		if !slices.Contains(b.rec.Withheld, w) {
			b.rec.Withheld = append(b.rec.Withheld, w)
		}
		return
	}
	b.identifier(KindPhone, "", p.String())
}

// receiverPhone is phone for the phone of an order's receiver, who may be
// someone other than the buyer: the identifier is also listed in
// Record.Receivers.
func (b *builder) receiverPhone(field, raw string) {
	n := len(b.rec.Identifiers)
	b.phone(field, raw)
	for _, id := range b.rec.Identifiers[n:] {
		if !slices.Contains(b.rec.Receivers, id) {
			b.rec.Receivers = append(b.rec.Receivers, id)
		}
	}
}

// referral adds a referral by the owner of the phone raw. An unusable
// referrer number is dropped with a warning giving the phone's reason.
func (b *builder) referral(field, raw string, t time.Time) {
	raw = cleanText(raw)
	if raw == "" {
		return
	}
	p, err := b.c.phones.Parse(raw)
	if err != nil {
		b.warn(field, PhoneReason(err))
		return
	}
	b.rec.Referrals = append(b.rec.Referrals, Referral{Referrer: p, Time: t})
	b.refFields = append(b.refFields, field)
}

// email adds an e-mail identifier, or warns that the value is not one.
func (b *builder) email(field, raw string) {
	if cleanText(raw) == "" {
		return
	}
	e, err := NormaliseEmail(raw)
	if err != nil {
		b.warn(field, ReasonInvalidEmail)
		return
	}
	b.identifier(KindEmail, "", e)
}

// observe moves the record's observed time forward to t.
func (b *builder) observe(t time.Time) {
	if t.After(b.rec.Observed) {
		b.rec.Observed = t
	}
}

// name sets the personal name, dropping placeholders with a warning.
func (b *builder) name(field, raw string) {
	n, reason := normaliseName(raw)
	if reason != "" {
		b.warn(field, reason)
	}
	if n != "" {
		b.rec.Attributes.Name = n
	}
}

// nickname sets the display name, dropping placeholders with a warning.
func (b *builder) nickname(field, raw string) {
	n, reason := normaliseNickname(raw)
	if reason != "" {
		b.warn(field, reason)
	}
	if n != "" {
		b.rec.Attributes.Nickname = n
	}
}

// region sets the province and city from separate values.
func (b *builder) region(province, city string) {
	if p := NormaliseProvince(province); p != "" {
		b.rec.Attributes.Province = p
	}
	if c := NormaliseCity(city); c != "" {
		b.rec.Attributes.City = c
	}
}

// localTime parses a timestamp written in the source's local form; a bad
// value, or one more than a year after the decoding (a year-9999 order),
// is dropped with a warning and returns the zero time.
func (b *builder) localTime(field, raw string) time.Time {
	if cleanText(raw) == "" {
		return time.Time{}
	}
	t, err := parseLocalTime(raw, b.c.loc)
	if err != nil {
		b.warn(field, ReasonInvalidTime)
		return time.Time{}
	}
	if t.After(b.c.horizon) {
		b.warn(field, ReasonFutureTime)
		return time.Time{}
	}
	return t
}

// finish returns the record, or the reason it is quarantined.
func (b *builder) finish() (Record, error) {
	r := &b.rec
	if b.fail == nil && r.ID == "" {
		b.quarantine("", ReasonMissingID, nil)
	}
	if b.fail == nil && len(r.Identifiers) == 0 {
		// A record that no identifier keys is still a customer: it becomes
		// an anonymous profile of its own, which suggestions and later
		// versions of the record can reach. The warning says why no key
		// joins it to anything.
		b.warn("", ReasonNoIdentifier)
	}
	if b.fail != nil {
		e := b.fail
		e.Source, e.Line, e.RecordID = b.c.source, r.Line, r.ID
		return Record{}, e
	}
	// A customer cannot refer themselves: such a referral would make the
	// customer their own advocate.
	var refs []Referral
	for i, ref := range r.Referrals {
		if slices.Contains(r.Identifiers, Identifier{Kind: KindPhone, Value: ref.Referrer.String()}) {
			b.warn(b.refFields[i], ReasonInvalidValue)
			continue
		}
		refs = append(refs, ref)
	}
	r.Referrals = refs
	return b.rec, nil
}
