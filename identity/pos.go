package identity

import (
	"strings"
)

// posFields are the columns of a POS export; column names are matched
// case-insensitively, other columns are ignored.
var posFields = []string{
	"store_id", "receipt_no", "member_no", "mobile", "customer_name", "amount",
	"currency", "paid_at", "category", "status", "referrer_mobile",
}

// posRequired are the columns a POS header must have.
var posRequired = []string{"store_id", "receipt_no", "mobile", "amount", "paid_at", "status"}

// decodePOS maps one till row, as the package documentation describes. A
// refunded row may state the amount as negative, as tills print refunds;
// the order keeps the positive amount and the refunded status.
func decodePOS(b *builder, row csvRow) {
	store := cleanText(row.get("store_id"))
	receipt := cleanText(row.get("receipt_no"))
	member := cleanText(row.get("member_no"))
	status := strings.ToLower(cleanText(row.get("status")))
	switch {
	case store == "":
		b.quarantine("store_id", ReasonMissingID, nil)
	case receipt != "":
		b.rec.ID = store + "/" + receipt
	case status == "registered" && member != "":
		b.rec.ID = store + "/member/" + member
	default:
		b.quarantine("receipt_no", ReasonMissingID, nil)
	}
	b.identifier(KindMember, b.c.source, member)
	b.phone("mobile", row.get("mobile"))
	b.name("customer_name", row.get("customer_name"))

	at := b.localTime("paid_at", row.get("paid_at"))
	b.observe(at)
	switch status {
	case "registered":
		b.rec.Interactions = append(b.rec.Interactions, Interaction{Type: InteractionRegistration, ID: receipt, Time: at})
	case "paid", "refunded":
		order := Order{
			Platform: b.c.source,
			ID:       receipt,
			Status:   OrderStatus(status),
			Time:     at,
			Category: cleanText(row.get("category")),
			Store:    store,
		}
		order.AmountFen = b.amountText("amount", row.get("amount"), status == "refunded")
		order.Currency = b.currency("currency", row.get("currency"))
		b.rec.Orders = append(b.rec.Orders, order)
	default:
		b.warn("status", ReasonInvalidStatus)
	}
	b.referral("referrer_mobile", row.get("referrer_mobile"), at)
}

// currency reads an ISO 4217 code; empty means CNY. An amount in a currency
// that cannot be read cannot be counted, so a bad code quarantines the
// record.
func (b *builder) currency(field, raw string) string {
	s := strings.ToUpper(cleanText(raw))
	switch {
	case s == "" || s == "RMB" || s == "¥":
		return "CNY"
	case len(s) == 3 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "":
		return s
	}
	b.quarantine(field, ReasonInvalidValue, nil)
	return ""
}
