package identity

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The e-commerce platforms, used as Order.Platform and as the scope of
// buyer identifiers.
const (
	PlatformTaobao = "taobao" // Taobao and Tmall
	PlatformJD     = "jd"
)

// taobaoStatus maps Taobao trade statuses. TRADE_CLOSED is handled apart:
// Taobao closes a trade both when it is refunded after payment and when it
// is closed before payment.
var taobaoStatus = map[string]OrderStatus{
	"TRADE_FINISHED":           OrderPaid,
	"WAIT_SELLER_SEND_GOODS":   OrderPaid,
	"WAIT_BUYER_CONFIRM_GOODS": OrderPaid,
	"TRADE_BUYER_SIGNED":       OrderPaid,
	"SELLER_CONSIGNED_PART":    OrderPaid,
	"PAID_FORBID_CONSIGN":      OrderPaid,
	"WAIT_BUYER_PAY":           OrderUnpaid,
	"TRADE_NO_CREATE_PAY":      OrderUnpaid,
	"PAY_PENDING":              OrderUnpaid,
	"WAIT_PRE_AUTH_CONFIRM":    OrderUnpaid,
	"TRADE_CLOSED_BY_TAOBAO":   OrderCancelled,
}

// jdStatus maps JD order states.
var jdStatus = map[string]OrderStatus{
	"FINISHED_L":                 OrderPaid,
	"WAIT_GOODS_RECEIVE_CONFIRM": OrderPaid,
	"WAIT_SELLER_STOCK_OUT":      OrderPaid,
	"WAIT_SELLER_DELIVERY":       OrderPaid,
	"TRADE_CANCELED":             OrderCancelled,
}

// decodeEcommerce tells a Taobao trade (it has tid) from a JD order (it has
// orderId) and maps it.
func decodeEcommerce(b *builder, o jsonObject) {
	switch {
	case o.has("tid"):
		decodeTaobao(b, o)
	case o.has("orderId"):
		decodeJD(b, o)
	default:
		b.quarantine("tid", ReasonMissingID, errors.New("neither a Taobao tid nor a JD orderId"))
	}
}

// decodeTaobao maps a Taobao/Tmall trade, as the package documentation
// describes. Its observed time is the latest of created, pay_time, modified
// and end_time, so that a trade seen again refunded is newer than its first
// sighting.
func decodeTaobao(b *builder, o jsonObject) {
	tid := b.orderID(o, "tid")
	b.rec.ID = tid
	b.platformSource(PlatformTaobao)

	// Taobao masks buyer_nick (王**) when it gives buyer_open_uid; a masked
	// nick says nothing and is dropped, with a warning only when it was the
	// buyer's only id.
	nick := cleanText(b.text(o, "buyer_nick"))
	masked := strings.Contains(nick, "*")
	openUID := cleanText(b.text(o, "buyer_open_uid"))
	switch {
	case openUID != "":
		b.identifier(KindBuyer, PlatformTaobao, openUID)
	case masked:
		b.warn("buyer_nick", ReasonMaskedValue)
	default:
		b.identifier(KindBuyer, PlatformTaobao, nick)
	}
	if !masked {
		b.nickname("buyer_nick", nick)
	}
	b.name("receiver_name", b.text(o, "receiver_name"))
	b.receiverPhone("receiver_mobile", b.text(o, "receiver_mobile"))
	b.receiverPhone("receiver_phone", b.text(o, "receiver_phone"))
	b.region(b.text(o, "receiver_state"), b.text(o, "receiver_city"))
	b.rec.Attributes.District = cleanText(b.text(o, "receiver_district"))

	order := Order{Platform: PlatformTaobao, ID: tid, Currency: "CNY"}
	created := b.localTime("created", b.text(o, "created"))
	paid := b.localTime("pay_time", b.text(o, "pay_time"))
	order.Time = paid
	if order.Time.IsZero() {
		order.Time = created
	}
	for _, t := range []time.Time{created, paid, b.localTime("modified", b.text(o, "modified")), b.localTime("end_time", b.text(o, "end_time"))} {
		b.observe(t)
	}
	order.AmountFen = b.amount(o, "payment", false)

	status := cleanText(b.text(o, "status"))
	var known bool
	order.Status, known = taobaoStatus[status]
	if status == "TRADE_CLOSED" {
		order.Status, known = OrderCancelled, true
		if !paid.IsZero() {
			order.Status = OrderRefunded
		}
	}

	lines, ok := o.array("orders")
	if !ok {
		b.warn("orders", ReasonInvalidValue)
	}
	for i, raw := range lines {
		prefix := fmt.Sprintf("orders[%d].", i)
		line, ok := parseObject(raw)
		if !ok {
			b.warn(prefix[:len(prefix)-1], ReasonInvalidValue)
			continue
		}
		it := Item{
			ID:       cleanText(b.textIn(line, prefix, "oid")),
			Title:    cleanText(b.textIn(line, prefix, "title")),
			Category: cleanText(b.textIn(line, prefix, "cid")),
		}
		if num := b.textIn(line, prefix, "num"); num != "" {
			n, ok := parseScore(num, 1, 1_000_000)
			if !ok {
				b.warn(prefix+"num", ReasonInvalidValue)
			}
			it.Quantity = n
		}
		if price := b.textIn(line, prefix, "price"); price != "" {
			fen, err := ParseAmount(price)
			if err != nil {
				b.warn(prefix+"price", ReasonInvalidAmount)
			}
			it.PriceFen = fen
		}
		order.Items = append(order.Items, it)
	}
	if len(order.Items) > 0 {
		order.Category = order.Items[0].Category
	}
	if !known {
		b.warn("status", ReasonInvalidStatus)
	} else {
		b.rec.Orders = append(b.rec.Orders, order)
	}
	b.referral("referrer_mobile", b.text(o, "referrer_mobile"), order.Time)
}

// decodeJD maps a JD order, as the package documentation describes. The
// amount is orderPayment, what the buyer paid after discounts, when the
// order has it.
func decodeJD(b *builder, o jsonObject) {
	id := b.orderID(o, "orderId")
	b.rec.ID = id
	b.platformSource(PlatformJD)
	pin := cleanText(b.text(o, "pin"))
	if strings.Contains(pin, "*") {
		b.warn("pin", ReasonMaskedValue)
	} else {
		b.identifier(KindBuyer, PlatformJD, pin)
	}

	ci, ok := o.object("consigneeInfo")
	if !ok {
		b.warn("consigneeInfo", ReasonInvalidValue)
	}
	if ci != nil {
		const p = "consigneeInfo."
		b.name(p+"fullname", b.textIn(ci, p, "fullname"))
		b.receiverPhone(p+"mobile", b.textIn(ci, p, "mobile"))
		b.receiverPhone(p+"telephone", b.textIn(ci, p, "telephone"))
		b.region(b.textIn(ci, p, "province"), b.textIn(ci, p, "city"))
		b.rec.Attributes.District = cleanText(b.textIn(ci, p, "county"))
	}

	order := Order{Platform: PlatformJD, ID: id, Currency: "CNY"}
	order.Time = b.localTime("orderStartTime", b.text(o, "orderStartTime"))
	b.observe(order.Time)
	for _, f := range []string{"paymentConfirmTime", "modified", "orderEndTime"} {
		b.observe(b.localTime(f, b.text(o, f)))
	}
	if o.has("orderPayment") {
		order.AmountFen = b.amount(o, "orderPayment", false)
	} else {
		order.AmountFen = b.amount(o, "orderTotalPrice", false)
	}

	items, ok := o.array("itemInfoList")
	if !ok {
		b.warn("itemInfoList", ReasonInvalidValue)
	}
	for i, raw := range items {
		prefix := fmt.Sprintf("itemInfoList[%d].", i)
		line, ok := parseObject(raw)
		if !ok {
			b.warn(prefix[:len(prefix)-1], ReasonInvalidValue)
			continue
		}
		it := Item{ID: cleanText(b.textIn(line, prefix, "skuId")), Title: cleanText(b.textIn(line, prefix, "skuName"))}
		if num := b.textIn(line, prefix, "itemTotal"); num != "" {
			n, ok := parseScore(num, 1, 1_000_000)
			if !ok {
				b.warn(prefix+"itemTotal", ReasonInvalidValue)
			}
			it.Quantity = n
		}
		if price := b.textIn(line, prefix, "jdPrice"); price != "" {
			fen, err := ParseAmount(price)
			if err != nil {
				b.warn(prefix+"jdPrice", ReasonInvalidAmount)
			}
			it.PriceFen = fen
		}
		order.Items = append(order.Items, it)
	}

	status, known := jdStatus[cleanText(b.text(o, "orderState"))]
	if !known {
		b.warn("orderState", ReasonInvalidStatus)
		return
	}
	order.Status = status
	b.rec.Orders = append(b.rec.Orders, order)
}

// orderID returns a Taobao tid or a JD orderId: both platforms number
// their orders with positive integers (up to 2^63-1), written as a JSON
// number or string. Anything else (1e30, -1, 3.5, "abc", 0, a leading
// zero) quarantines the record with ReasonInvalidID.
func (b *builder) orderID(o jsonObject, key string) string {
	id := b.requiredID(o, key)
	if id == "" {
		return ""
	}
	if n, ok := parseInt(id); !ok || n <= 0 || id[0] < '1' || id[0] > '9' {
		b.quarantine(key, ReasonInvalidID, errors.New("not a positive integer"))
	}
	return id
}

// platformSource makes the platform the record's source when the caller
// named none, so that its key names the platform.
func (b *builder) platformSource(platform string) {
	if !b.c.given {
		b.rec.Source = platform
	}
}

// amount reads the required order amount in field key; a missing or
// unparseable amount quarantines the record.
func (b *builder) amount(o jsonObject, key string, allowNegative bool) int64 {
	s, ok := o.str(key)
	if !ok {
		b.quarantine(key, ReasonInvalidAmount, errAmountSyntax)
		return 0
	}
	return b.amountText(key, s, allowNegative)
}

// amountText is amount for a value already read.
func (b *builder) amountText(field, s string, allowNegative bool) int64 {
	if cleanText(s) == "" {
		b.quarantine(field, ReasonMissingField, nil)
		return 0
	}
	fen, err := parseFen(s, allowNegative)
	if err != nil {
		b.quarantine(field, ReasonInvalidAmount, err)
	}
	return fen
}
