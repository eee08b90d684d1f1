package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// CSVFields lists the fields a generic CSV file can map, in the order
// [Decode] documents them. [Options.Mapping] keys must be among them.
var CSVFields = []string{
	"record_id", "phone", "name", "given_name", "family_name", "gender", "birthday",
	"email", "member_no", "province", "city",
	"order_id", "amount", "currency", "ordered_at", "status", "category",
	"nps", "csat", "feedback_text", "referrer_phone",
	"consent_marketing", "consent_personalisation", "consent_third_party",
	"observed_at",
}

func isCSVField(s string) bool { return slices.Contains(CSVFields, s) }

// csvStatus maps the order statuses a generic CSV may state; empty means
// paid (a plain orders export lists purchases).
var csvStatus = map[string]OrderStatus{
	"": OrderPaid, "paid": OrderPaid, "refunded": OrderRefunded,
	"cancelled": OrderCancelled, "canceled": OrderCancelled, "unpaid": OrderUnpaid,
}

// consentFields maps the consent columns to their purposes.
var consentFields = []struct {
	field   string
	purpose Purpose
}{
	{"consent_marketing", PurposeMarketing},
	{"consent_personalisation", PurposePersonalisation},
	{"consent_third_party", PurposeThirdParty},
}

// decodeCSVRow maps one row of a generic CSV through the column mapping, as
// the package documentation describes. The content hash that stands in for
// a missing record_id makes re-importing the same row idempotent; like any
// unkeyed hash of personal data it is not a pseudonym, and the record id is
// personal data.
func decodeCSVRow(b *builder, row csvRow) {
	id := cleanText(row.get("record_id"))
	if id == "" {
		id = rowHash(row)
	}
	b.rec.ID = id

	b.phone("phone", row.get("phone"))
	b.email("email", row.get("email"))
	b.identifier(KindMember, b.c.source, cleanText(row.get("member_no")))
	if name := row.get("name"); cleanText(name) != "" {
		b.name("name", name)
	} else if full := joinName(row.get("given_name"), row.get("family_name")); full != "" {
		b.name("given_name", full)
	}
	if g := row.get("gender"); g != "" {
		gender, reason := parseGender(g, tableGender)
		if reason != "" {
			b.warn("gender", reason)
		}
		b.rec.Attributes.Gender = gender
	}
	if bd := row.get("birthday"); cleanText(bd) != "" {
		d, err := ParseDate(bd)
		if err != nil {
			b.warn("birthday", ReasonInvalidDate)
		}
		b.rec.Attributes.Birthday = d
	}
	b.region(row.get("province"), row.get("city"))

	observed := b.localTime("observed_at", row.get("observed_at"))
	ordered := b.localTime("ordered_at", row.get("ordered_at"))
	b.observe(observed)
	b.observe(ordered)
	when := b.rec.Observed // the time of feedback, referrals and consent

	orderID, amount := cleanText(row.get("order_id")), row.get("amount")
	if orderID != "" || cleanText(amount) != "" {
		if orderID == "" {
			orderID = id
		}
		order := Order{Platform: b.c.source, ID: orderID, Time: ordered, Category: cleanText(row.get("category"))}
		status, known := csvStatus[strings.ToLower(cleanText(row.get("status")))]
		order.Status = status
		order.AmountFen = b.amountText("amount", amount, false)
		order.Currency = b.currency("currency", row.get("currency"))
		if known {
			b.rec.Orders = append(b.rec.Orders, order)
		} else {
			b.warn("status", ReasonInvalidStatus)
		}
	}

	text := cleanFreeText(row.get("feedback_text"))
	b.score("nps", row.get("nps"), FeedbackNPS, 0, 10, text, when)
	b.score("csat", row.get("csat"), FeedbackCSAT, 1, 5, text, when)
	b.referral("referrer_phone", row.get("referrer_phone"), when)
	for _, cf := range consentFields {
		v := row.get(cf.field)
		if cleanText(v) == "" {
			continue
		}
		granted, ok := parseBool(v)
		if !ok {
			b.warn(cf.field, ReasonInvalidValue)
			continue
		}
		b.rec.Consent = append(b.rec.Consent, Consent{Purpose: cf.purpose, Granted: granted, Time: when})
	}
}

// score adds a feedback score, or warns that it is out of range.
func (b *builder) score(field, raw string, kind FeedbackKind, lo, hi int, text string, t time.Time) {
	if cleanText(raw) == "" {
		return
	}
	n, ok := parseScore(raw, lo, hi)
	if !ok {
		b.warn(field, ReasonInvalidScore)
		return
	}
	b.rec.Feedback = append(b.rec.Feedback, Feedback{Kind: kind, Score: n, Text: text, Time: t})
}

// rowHash is a stable id for a row without a record id: a hash of its
// mapped fields and their cleaned values, in field order, so that column
// order and surrounding white space do not change it.
func rowHash(row csvRow) string {
	h := sha256.New()
	for _, f := range CSVFields {
		if _, ok := row.cols[f]; !ok {
			continue
		}
		h.Write([]byte(f))
		h.Write([]byte{0})
		h.Write([]byte(cleanText(row.get(f))))
		h.Write([]byte{0})
	}
	return "sha256-" + hex.EncodeToString(h.Sum(nil)[:16])
}
