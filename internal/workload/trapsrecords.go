package workload

import (
	"bytes"
	"encoding/csv"
	"strconv"
)

// The records of a trap workload, rendered in the native shapes of the
// plain workload's files.

// phoneDigits returns person i's 11 digits.
func (t *trapGen) phoneDigits(i int32) []byte {
	p := &t.w.people[i]
	return appendPhone(nil, p.prefix, p.suffix)
}

// spelledPhone returns person i's number in a random spelling.
func (t *trapGen) spelledPhone(i int32) string {
	p := &t.w.people[i]
	return string(appendSpelled(nil, uint8(spellPick.pick(t.r)), p.prefix, p.suffix))
}

func (t *trapGen) wechat(i int32, lo, hi int64, traps Trap) {
	r, g, p := t.r, t.g, &t.w.people[i]
	at := between(r, lo, hi)
	idx := int(i)
	o := jsonObject{}
	o.num("subscribe", 1)
	o.strFn("openid", func(b []byte) []byte { return g.token(b, "oOAx", idx, saltOpenID) })
	nameTrap := Trap(0)
	o.strFn("nickname", func(b []byte) []byte {
		if chance(r, 0.5) {
			var n string
			n, nameTrap = t.spelledName(i)
			return append(b, n...)
		}
		return append(append(b, givenChars(&person{female: p.female})[p.g1]...), "酱"...)
	})
	sex := int64(1)
	if p.female {
		sex = 2
	}
	o.num("sex", sex)
	o.str("city", regions[p.region].city)
	o.str("province", regions[p.region].province)
	o.str("country", "中国")
	o.num("subscribe_time", at)
	o.strFn("unionid", func(b []byte) []byte { return g.token(b, "oU9r", idx, saltUnionID) })
	o.str("appid", appOA)
	t.emit(fileFollowers, i, nameTrap, at, append(o.end(), '\n'))
	if !chance(r, 0.7) {
		return
	}
	at += day
	m := jsonObject{}
	m.str("appid", appMP)
	m.strFn("openid", func(b []byte) []byte { return g.token(b, "oMPx", idx, saltMPOpenID) })
	m.strFn("unionid", func(b []byte) []byte { return g.token(b, "oU9r", idx, saltUnionID) })
	m.key("phone_info")
	pi := jsonObject{b: m.b}
	pi.strFn("phoneNumber", func(b []byte) []byte { return append(append(b, "+86"...), t.phoneDigits(i)...) })
	pi.strFn("purePhoneNumber", func(b []byte) []byte { return append(b, t.phoneDigits(i)...) })
	pi.str("countryCode", "86")
	pi.key("watermark")
	wm := jsonObject{b: pi.b}
	wm.num("timestamp", at)
	wm.str("appid", appMP)
	pi.b = wm.end()
	m.b = pi.end()
	t.emit(fileMiniProgram, i, traps, at, append(m.end(), '\n'))
}

func (t *trapGen) weibo(i int32, lo, hi int64, traps Trap) {
	r, g, p := t.r, t.g, &t.w.people[i]
	uid := g.weiboUID(int(i))
	fan, lead := true, true
	switch u := r.Float64(); {
	case u < 0.3:
		lead = false
	case u < 0.45:
		fan = false
	}
	partial := fan && lead && chance(r, leadPartialRate)
	created := between(r, 1325347200, 1704038400)
	var inter []int64
	for range 1 + r.IntN(3) {
		inter = append(inter, between(r, lo, hi-10*day))
	}
	slicesSort(inter)
	screen, nameTrap := t.spelledName(i)
	if chance(r, 0.5) {
		screen, nameTrap = string(appendEnglish(nil, &person{female: p.female}, uint8(r.IntN(256))))+strconv.Itoa(int(uid%1000)), 0
	}
	render := func(withInter, withLead, withMobile bool, leadAt int64) []byte {
		o := jsonObject{}
		o.num("id", int64(uid))
		o.str("idstr", strconv.FormatUint(uid, 10))
		o.str("screen_name", screen)
		o.str("location", regions[p.region].province+" "+regions[p.region].city)
		gender := "m"
		if p.female {
			gender = "f"
		}
		o.str("gender", gender)
		o.time("created_at", created, weiboLayout)
		o.key("interactions")
		o.b = append(o.b, '[')
		if withInter {
			for j, at := range inter {
				if j > 0 {
					o.b = append(o.b, ", "...)
				}
				it := jsonObject{b: o.b}
				it.str("type", weiboKinds[j%len(weiboKinds)])
				it.time("created_at", at, weiboLayout)
				it.str("mid", strconv.FormatUint(5_012_000_000_000_000+uint64(i)*8+uint64(j), 10))
				o.b = it.end()
			}
			if withLead {
				it := jsonObject{b: append(o.b, ", "...)}
				it.str("type", "comment")
				it.time("created_at", leadAt, weiboLayout)
				it.str("mid", strconv.FormatUint(5_012_000_000_000_000+uint64(i)*8+7, 10))
				it.str("text", leadTexts[int(uid)%len(leadTexts)])
				o.b = it.end()
			}
		}
		o.b = append(o.b, ']')
		if withMobile {
			o.str("mobile", t.spelledPhone(i))
		}
		return append(o.end(), '\n')
	}
	last := inter[len(inter)-1]
	if fan {
		t.emit(fileFans, i, traps&^TrapRecycled|nameTrap, last, render(true, false, false, 0))
	}
	if lead {
		leadAt := between(r, last+3600, hi)
		if partial {
			// A lead-form export: the uid, the account and the mobile,
			// without interactions or any time of its own.
			t.emit(fileLeads, i, traps|nameTrap|TrapLead, leadAt, render(false, false, true, 0))
		} else {
			t.emit(fileLeads, i, traps|nameTrap, leadAt, render(true, true, true, leadAt))
		}
	}
}

func slicesSort(s []int64) { insertionSort(s, func(x *int64) int64 { return *x }) }

// ecommerce renders person i's Taobao trades or JD orders; some ship to
// someone else.
func (t *trapGen) ecommerce(i int32, lo, hi int64, traps Trap) {
	r, g := t.r, t.g
	jd := chance(r, 0.3)
	n := orderCountPick.pick(r)
	for j := range n {
		created := between(r, lo, hi)
		prod := &products[r.IntN(len(products))]
		qty := int64(1 + r.IntN(2))
		amount := prod.price * qty
		to, lineTraps := i, traps
		if chance(r, giftRate) {
			to, lineTraps = t.receiver(i), traps&^TrapRecycled|TrapGift
			if n == 1 {
				lineTraps |= TrapLoneGift // the account's only order
			}
		}
		q := &t.w.people[to]
		name, nameTrap := t.spelledName(to)
		if q.office {
			name = "前台"
			if chance(r, 0.5) {
				name = companies[int(to)%len(companies)]
			}
			nameTrap = 0
		}
		if to != i {
			nameTrap = 0 // the receiver's spelling, not the buyer's
		}
		var mobile string
		switch {
		case chance(r, maskedRate):
			mobile = string(appendMasked(nil, q.prefix, q.suffix))
			lineTraps = lineTraps&^TrapRecycled | TrapMasked
		default:
			mobile = t.spelledPhone(to)
		}
		lineTraps |= nameTrap
		paid := created + payDelay(created)
		o := jsonObject{}
		if !jd {
			o.num("tid", int64(tid(int(i), j)))
			o.str("status", taobaoPaid[(int(i)+j)%len(taobaoPaid)])
			o.str("buyer_nick", surnames[t.w.people[i].sur].name+"**")
			o.strFn("buyer_open_uid", func(b []byte) []byte { return g.token(b, "AA", int(i), saltBuyer) })
			o.str("receiver_name", name)
			o.str("receiver_mobile", mobile)
			o.str("receiver_state", regions[q.region].full)
			o.str("receiver_city", regions[q.region].city+"市")
			o.str("receiver_address", q.address)
			o.amount("payment", amount)
			o.time("created", created, localLayout)
			o.time("pay_time", paid, localLayout)
			o.time("modified", paid, localLayout)
			o.key("orders")
			it := jsonObject{b: append(o.b, '[')}
			it.num("oid", int64(tid(int(i), j)*10+1))
			it.str("title", prod.title)
			it.num("num", qty)
			it.amount("price", prod.price)
			it.str("cid", prod.cid)
			o.b = append(it.end(), ']')
			t.emit(fileTaobao, i, lineTraps, created, append(o.end(), '\n'))
			t.lines[len(t.lines)-1].recv = to + 1
			continue
		}
		o.str("orderId", string(appendJDOrderID(nil, int(i)+1_000_000_000, j)))
		o.str("venderId", "10086001")
		o.amount("orderTotalPrice", amount)
		o.str("orderState", jdPaid[(int(i)+j)%len(jdPaid)])
		o.time("orderStartTime", created, localLayout)
		o.time("paymentConfirmTime", paid, localLayout)
		o.time("modified", paid, localLayout)
		o.str("pin", "jd_"+strconv.FormatUint(uint64(i), 36)+string(appendBase62(nil, g.hash(int(i), saltBuyer), 6)))
		o.key("consigneeInfo")
		ci := jsonObject{b: o.b}
		ci.str("fullname", name)
		ci.str("mobile", mobile)
		ci.str("province", regions[q.region].province)
		ci.str("city", regions[q.region].city+"市")
		ci.str("fullAddress", q.address)
		o.b = ci.end()
		o.key("itemInfoList")
		it := jsonObject{b: append(o.b, '[')}
		it.str("skuId", prod.sku)
		it.str("skuName", prod.title)
		it.str("itemTotal", strconv.FormatInt(qty, 10))
		it.amount("jdPrice", prod.price)
		o.b = append(it.end(), ']')
		o.amount("orderPayment", amount)
		t.emit(fileJD, i, lineTraps, created, o.end())
		t.lines[len(t.lines)-1].recv = to + 1
	}
}

// pos renders person i's till rows: a member card for most, and the
// mobile as the cashier typed it.
func (t *trapGen) pos(i int32, lo, hi int64, traps Trap) {
	r, p := t.r, &t.w.people[i]
	member := chance(r, 0.7)
	store := string(appendPadded([]byte(regions[p.region].code), uint64(1+int(i)%3), 2))
	for j := range orderCountPick.pick(r) {
		at := between(r, lo, hi)
		lineTraps := traps
		var mobile string
		switch u := r.Float64(); {
		case u < 0.04: // one digit off
			d := t.phoneDigits(i)
			k := 3 + r.IntN(8)
			d[k] = '0' + (d[k]-'0'+byte(1+r.IntN(9)))%10
			mobile, lineTraps = string(d), traps&^TrapRecycled|TrapCashier
		case u < 0.07:
			mobile, lineTraps = "13800000000", traps&^TrapRecycled|TrapCashier
		case u < 0.10:
			mobile, lineTraps = string(appendHub(nil, int(i)%t.w.hubs)), traps&^TrapRecycled|TrapCashier
		case u < 0.15:
			mobile, lineTraps = "", traps&^TrapRecycled
		default:
			mobile = t.spelledPhone(i)
		}
		memberNo := ""
		if member {
			memberNo = string(appendMember(nil, int(i)))
		} else if mobile == "" || mobile == "13800000000" {
			lineTraps |= TrapNoID
		}
		name, nameTrap := t.spelledName(i)
		if chance(r, 0.15) {
			name, nameTrap = "", 0
		}
		receipt := store + "-" + unixTime(at).Format("060102") + "-" + strconv.FormatUint(uint64(i)*64+uint64(j), 36)
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.UseCRLF = true
		w.Write([]string{unixTime(at).Format(localLayout), store, receipt, memberNo, mobile, name,
			string(appendYuan(nil, int64(50+r.IntN(2000))*100)), "CNY", posCategories[r.IntN(len(posCategories))], "paid", ""})
		w.Flush()
		t.emit(filePOS, i, lineTraps|nameTrap, at, buf.Bytes())
	}
}

// csv renders person i's CRM row and survey row.
func (t *trapGen) csv(i int32, lo, hi int64, traps Trap) {
	r, p := t.r, &t.w.people[i]
	if chance(r, 0.7) {
		at := between(r, lo, hi)
		phone, email, lineTraps := t.spelledPhone(i), "", traps
		if chance(r, 0.4) {
			email = string(appendEnglish(nil, &person{female: p.female}, uint8(i))) + strconv.Itoa(int(i)) + "@" + emailDomains[int(i)%len(emailDomains)]
		}
		if chance(r, noIDCRMRate) {
			phone, email, lineTraps = "", "", traps&^TrapRecycled|TrapNoID
		}
		name, nameTrap := t.spelledName(i)
		gender := "男"
		if p.female {
			gender = "女"
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{string(appendPadded([]byte("C"), uint64(i)+1, 8)), phone, name, gender,
			strconv.Itoa(int(p.bYear)) + "-" + string(appendPadded(nil, uint64(p.bMonth), 2)) + "-" + string(appendPadded(nil, uint64(p.bDay), 2)),
			email, regions[p.region].province, regions[p.region].city, "", "", "", unixTime(at).Format(localLayout)})
		w.Flush()
		t.emit(fileCRM, i, lineTraps|nameTrap, at, buf.Bytes())
	}
	if chance(r, 0.5) {
		at := between(r, lo, hi)
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{string(appendPadded([]byte("NPS-"), uint64(i)+1, 8)), unixTime(at).Format(localLayout), t.spelledPhone(i),
			strconv.Itoa(npsPick.pick(r)), "", "", ""})
		w.Flush()
		t.emit(fileSurvey, i, traps, at, buf.Bytes())
	}
}
