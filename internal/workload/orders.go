package workload

import "strconv"

// E-commerce orders and till receipts.

// payDelay is how long after creating an order its buyer paid: one to ten
// minutes, fixed per order.
func payDelay(created int64) int64 { return 60 + created%540 }

// paidStatus picks the paid state an order was exported in.
func paidStatus(i, j int, states []string) string { return states[(i+j)%len(states)] }

var (
	taobaoPaid = []string{"TRADE_FINISHED", "TRADE_FINISHED", "TRADE_FINISHED", "WAIT_SELLER_SEND_GOODS", "WAIT_BUYER_CONFIRM_GOODS"}
	jdPaid     = []string{"FINISHED_L", "FINISHED_L", "FINISHED_L", "WAIT_GOODS_RECEIVE_CONFIRM", "WAIT_SELLER_STOCK_OUT"}
)

// appendReceiver appends the receiver's mobile: masked by the platform,
// or spelled as the buyer typed it.
func appendReceiver(b []byte, p *person, tr *trade) []byte {
	if tr.masked {
		return appendMasked(b, p.prefix, p.suffix)
	}
	return appendSpelled(b, tr.spell, p.prefix, p.suffix)
}

// appendTaobao appends a Taobao trade of p: its first sighting, or the
// second (refunded: TRADE_CLOSED after payment; or paid after being seen
// unpaid), newer by its modified time.
func appendTaobao(b []byte, g *Generator, p *person, j int, second bool) []byte {
	tr := &p.trades[j]
	rg := &regions[p.region]
	o := jsonObject{b: b}
	o.num("tid", int64(tid(p.idx, j)))
	var status string
	paid, modified, closed := int64(0), tr.created, int64(0)
	switch {
	case tr.kind == tradePaid, tr.kind == tradeRefunded && !second:
		status = paidStatus(p.idx, j, taobaoPaid)
		paid = tr.created + payDelay(tr.created)
		modified = paid
	case tr.kind == tradeRefunded:
		status = "TRADE_CLOSED"
		paid = tr.created + payDelay(tr.created)
		modified, closed = tr.later, tr.later
	case tr.kind == tradeUnpaidThenPaid && second:
		status = "WAIT_SELLER_SEND_GOODS"
		paid, modified = tr.later, tr.later
	case tr.kind == tradeCancelled:
		status = "TRADE_CLOSED_BY_TAOBAO"
		modified = tr.created + day
		closed = modified
	default:
		status = "WAIT_BUYER_PAY"
	}
	o.str("status", status)
	o.strFn("buyer_nick", func(b []byte) []byte { return append(append(b, surnames[p.sur].name...), "**"...) })
	o.strFn("buyer_open_uid", func(b []byte) []byte { return g.token(b, "AA", p.idx, saltBuyer) })
	o.strFn("receiver_name", func(b []byte) []byte {
		if tr.phName {
			return appendTitle(b, p, j)
		}
		return appendName(b, p)
	})
	o.strFn("receiver_mobile", func(b []byte) []byte { return appendReceiver(b, p, tr) })
	o.str("receiver_phone", "")
	o.str("receiver_state", rg.full)
	o.strFn("receiver_city", func(b []byte) []byte { return appendCity(b, rg) })
	o.str("receiver_district", "")
	o.str("receiver_address", "**********")
	o.amount("payment", tr.amount())
	o.time("created", tr.created, localLayout)
	if paid != 0 {
		o.time("pay_time", paid, localLayout)
	}
	o.time("modified", modified, localLayout)
	o.key("orders")
	o.b = append(o.b, '[')
	for m, it := range tr.items[:tr.nItems] {
		if m > 0 {
			o.b = append(o.b, ", "...)
		}
		pr := &products[it.prod]
		line := jsonObject{b: o.b}
		line.num("oid", int64(tid(p.idx, j)*10+uint64(m)+1))
		line.str("title", pr.title)
		line.num("num", int64(it.qty))
		line.amount("price", pr.price)
		line.str("cid", pr.cid)
		o.b = line.end()
	}
	o.b = append(o.b, ']')
	if closed != 0 {
		o.time("end_time", closed, localLayout)
	}
	if tr.referrer >= 0 {
		o.strFn("referrer_mobile", func(b []byte) []byte {
			pre, suf := g.phoneOf(int(tr.referrer))
			return appendSpelled(b, tr.spell, pre, suf)
		})
	}
	return o.end()
}

// appendJD appends a JD order of p: its first sighting, or the second of a
// refunded order, cancelled after payment.
func appendJD(b []byte, g *Generator, p *person, j int, second bool) []byte {
	tr := &p.trades[j]
	rg := &regions[p.region]
	o := jsonObject{b: b}
	o.strFn("orderId", func(b []byte) []byte { return appendJDOrderID(b, p.idx, j) })
	o.str("venderId", "10086001")
	o.str("orderType", "22")
	o.str("payType", "4-在线支付")
	total := tr.amount() + tr.discount
	o.amount("orderTotalPrice", total)
	o.amount("orderSellerPrice", total)
	o.str("freightPrice", "0.00")
	state, remark, modified := paidStatus(p.idx, j, jdPaid), "", tr.created
	switch {
	case tr.kind == tradeCancelled:
		state = "TRADE_CANCELED"
	case tr.kind == tradeRefunded && second:
		state, remark, modified = "TRADE_CANCELED", "用户申请退款", tr.later
	}
	o.str("orderState", state)
	o.str("orderStateRemark", remark)
	o.time("orderStartTime", tr.created, localLayout)
	if state != "TRADE_CANCELED" || second {
		o.time("paymentConfirmTime", tr.created+payDelay(tr.created), localLayout)
	}
	o.time("modified", modified, localLayout)
	o.strFn("pin", func(b []byte) []byte {
		b = append(b, "jd_"...)
		var name [16]byte
		for _, c := range appendEnglish(name[:0], p, p.wcNickA) {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return strconv.AppendUint(b, uint64(p.idx), 36)
	})
	o.key("consigneeInfo")
	ci := jsonObject{b: o.b}
	ci.strFn("fullname", func(b []byte) []byte {
		if tr.phName {
			return appendTitle(b, p, j)
		}
		return appendName(b, p)
	})
	ci.str("telephone", "")
	ci.strFn("mobile", func(b []byte) []byte { return appendReceiver(b, p, tr) })
	ci.str("province", rg.province)
	ci.strFn("city", func(b []byte) []byte { return appendCity(b, rg) })
	ci.str("county", "")
	ci.str("fullAddress", "***")
	o.b = ci.end()
	o.key("itemInfoList")
	o.b = append(o.b, '[')
	for m, it := range tr.items[:tr.nItems] {
		if m > 0 {
			o.b = append(o.b, ", "...)
		}
		pr := &products[it.prod]
		line := jsonObject{b: o.b}
		line.str("skuId", pr.sku)
		line.str("skuName", pr.title)
		line.strFn("itemTotal", func(b []byte) []byte { return strconv.AppendUint(b, uint64(it.qty), 10) })
		line.amount("jdPrice", pr.price)
		o.b = line.end()
	}
	o.b = append(o.b, ']')
	o.amount("orderPayment", tr.amount())
	return o.end()
}

// csvRow appends the fields of one CSV row.
type csvRow struct {
	b   []byte
	n   int
	tmp []byte
}

func (r *csvRow) field(fn func([]byte) []byte) {
	if r.n > 0 {
		r.b = append(r.b, ',')
	}
	r.n++
	r.tmp = fn(r.tmp[:0])
	r.b = appendCSV(r.b, r.tmp)
}

func (r *csvRow) str(s string) { r.field(func(b []byte) []byte { return append(b, s...) }) }

// appendRegistration appends p's member sign-up row: no receipt, no amount.
func appendRegistration(b []byte, g *Generator, p *person) []byte {
	var tmp [64]byte
	r := csvRow{b: b, tmp: tmp[:0]}
	r.field(func(b []byte) []byte { return unixTime(p.posRegAt).AppendFormat(b, localLayout) })
	r.field(func(b []byte) []byte { return appendStoreID(b, p) })
	r.str("")
	r.field(func(b []byte) []byte { return appendMember(b, p.idx) })
	r.field(func(b []byte) []byte { return g.appendTyped(b, p.posRegPh, 0, spellPlain, p) })
	r.field(func(b []byte) []byte { return appendName(b, p) })
	r.str("")
	r.str("")
	r.str("")
	r.str("registered")
	r.str("")
	return r.b
}

// appendReceipt appends p's j-th till receipt: the sale, or its refund
// (the same receipt number, later, with a negative amount).
func appendReceipt(b []byte, g *Generator, p *person, j int, refund bool) []byte {
	rc := &p.receipts[j]
	var tmp [64]byte
	r := csvRow{b: b, tmp: tmp[:0]}
	at := rc.at
	if refund {
		at = rc.refundAt
	}
	r.field(func(b []byte) []byte {
		if rc.rfc3339 {
			return unixTime(at).AppendFormat(b, "2006-01-02T15:04:05Z07:00")
		}
		return unixTime(at).AppendFormat(b, localLayout)
	})
	r.field(func(b []byte) []byte { return appendStoreID(b, p) })
	r.field(func(b []byte) []byte { return appendReceiptNo(b, p, j) })
	r.field(func(b []byte) []byte {
		if !p.posMember {
			return b
		}
		return appendMember(b, p.idx)
	})
	r.field(func(b []byte) []byte { return g.appendTyped(b, rc.typed, rc.hub, rc.spell, p) })
	r.field(func(b []byte) []byte {
		switch rc.nameMode {
		case 1:
			return appendTitle(b, p, j)
		case 2:
			return b
		}
		return appendName(b, p)
	})
	r.field(func(b []byte) []byte {
		switch {
		case refund:
			return appendYuan(b, -rc.amount)
		case rc.amount >= 100_000 && (p.idx+j)%3 == 0:
			return appendThousands(b, rc.amount)
		}
		return appendYuan(b, rc.amount)
	})
	if (p.idx+j)%4 == 0 {
		r.str("")
	} else {
		r.str("CNY")
	}
	r.str(posCategories[rc.category])
	if refund {
		r.str("refunded")
	} else {
		r.str("paid")
	}
	r.field(func(b []byte) []byte {
		if rc.referrer < 0 {
			return b
		}
		pre, suf := g.phoneOf(int(rc.referrer))
		return appendSpelled(b, spellPlain, pre, suf)
	})
	return r.b
}
