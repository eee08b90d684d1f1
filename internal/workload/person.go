package workload

import (
	"math/rand/v2"
	"sort"

	"github.com/scv-go/scv/identity"
)

// A person is everything the generator decides about one customer: who
// they are, which channels know them and every record each channel holds.
// It is drawn from its own PCG stream, seeded by (seed, person index), so
// that any person can be regenerated on its own, in any order, and a file
// can be produced person by person without holding the others in memory.
//
// A person is a fixed-size value without pointers into the heap: the
// generator reuses one per goroutine, and regenerating costs about a
// microsecond.

// Channel bits of a person.
type chanSet uint8

const (
	chWeChat chanSet = 1 << iota
	chWeibo
	chEcommerce
	chPOS
	chCSV
)

// channelPick is the share of each channel among the channels people are
// seen on.
var channelPick = [...]struct {
	ch     chanSet
	weight int
}{{chEcommerce, 34}, {chPOS, 26}, {chWeChat, 20}, {chWeibo, 12}, {chCSV, 8}}

// What a cashier typed in the mobile column of a till row.
type typed uint8

const (
	typedReal        typed = iota // the customer's own number
	typedEmpty                    // nothing (member customers only)
	typedPlaceholder              // 13800000000, on the default block list
	typedHub                      // an unlisted number typed for many people, such as 13900001111
	typedTypo                     // the customer's number with its last digit missing
)

// How an order went.
type tradeKind uint8

const (
	tradePaid           tradeKind = iota
	tradeUnpaid                   // never paid
	tradeCancelled                // closed before payment
	tradeRefunded                 // paid, then seen again refunded (JD: cancelled after payment)
	tradeUnpaidThenPaid           // seen unpaid, then again paid (Taobao)
)

// twice reports whether the order is seen in two states.
func (k tradeKind) twice() bool { return k == tradeRefunded || k == tradeUnpaidThenPaid }

// finalPaid reports whether the order counts as a purchase in its latest
// state.
func (k tradeKind) finalPaid() bool { return k == tradePaid || k == tradeUnpaidThenPaid }

const (
	maxTrades   = 6
	maxItems    = 3
	maxReceipts = 48 // room for the last person, who takes the remainder of N
	maxInter    = 4
	maxLines    = 64
)

type item struct{ prod, qty uint8 }

type trade struct {
	kind     tradeKind
	created  int64 // unix seconds
	later    int64 // the second sighting, for kinds seen twice
	items    [maxItems]item
	nItems   uint8
	discount int64 // fen off the item total (JD orderPayment < orderTotalPrice)
	masked   bool  // receiver mobile masked by the platform
	resent   bool  // the first sighting is exported twice, byte for byte
	spell    uint8
	referrer int32 // index of the referring person, or -1
	phName   bool  // receiver name is a placeholder such as 王女士
}

// amount is what the buyer paid, in fen.
func (t *trade) amount() int64 {
	var sum int64
	for _, it := range t.items[:t.nItems] {
		sum += products[it.prod].price * int64(it.qty)
	}
	return sum - t.discount
}

type receipt struct {
	refunded bool  // paid, then refunded at the till later
	at       int64 // paid_at
	refundAt int64
	amount   int64
	category uint8
	typed    typed
	hub      int32 // index of the hub number, for typedHub
	spell    uint8
	nameMode uint8 // 0 the name, 1 a placeholder, 2 empty
	resent   bool
	rfc3339  bool // paid_at written as RFC 3339
	referrer int32
}

type inter struct {
	kind uint8 // index into weiboKinds
	at   int64
	text uint8 // index into weiboTexts
}

var weiboKinds = [...]string{"comment", "like", "repost", "mention"}

// line kinds: one per native record shape.
type lineKind uint8

const (
	lineOA lineKind = iota
	lineMP
	lineFan
	lineLead
	lineTaobao
	lineJD
	lineRegistration
	lineReceipt
	lineCRM
	lineSurvey
)

// A line is one record of one file: which shape, which order or receipt
// (ref), which sighting (second), and what Decode is expected to make of it.
type line struct {
	file   uint8
	kind   lineKind
	ref    uint8
	second bool
	at     int64 // sort key within the file: when the source exported it
	reason identity.Reason
}

type person struct {
	idx    int
	female bool
	sur    uint8
	g1, g2 int8 // given-name characters; g2 < 0 for a one-character name
	region uint8
	prefix uint16 // the first three digits of the mobile number
	suffix uint32 // the last eight
	t0     int64  // first contact, unix seconds
	chans  chanSet

	bYear, bMonth, bDay int16

	// WeChat
	wcSub    bool
	wcNick   uint8
	wcNickA  uint8
	wcNickB  uint8
	wcSex    uint8
	wcScene  uint8
	wcTags   uint8
	wcMP     bool
	wcMPForm uint8
	wcSpell  uint8

	// Weibo
	wbFan, wbLead bool
	wbScreen      uint8
	wbNInter      uint8
	wbInter       [maxInter]inter
	wbLeadAt      int64
	wbLeadText    uint8
	wbFollowers   int32
	wbCreated     int64
	wbSpell       uint8

	// E-commerce
	ecJD    bool
	nTrades uint8
	trades  [maxTrades]trade

	// POS
	posStore  uint8 // store number within the city, 1-3
	posMember bool
	posReg    bool
	posRegAt  int64
	posRegPh  typed
	nReceipts uint8
	receipts  [maxReceipts]receipt

	// CSV: CRM and survey
	crm        bool
	crmAt      int64
	crmGender  uint8
	crmBday    uint8 // 0 none, else a date style
	crmEmail   bool
	crmDomain  uint8
	crmConsent [3]int8 // -1 not stated, 0 no, 1 yes
	crmBoolSty uint8
	crmFullReg bool
	crmSpell   uint8
	survey     bool
	surveyAt   int64
	nps        int8 // -1 none
	csat       int8 // -1 none
	fbText     uint8
	svReferrer int32
	svSpell    uint8

	lines  [maxLines]line
	nLines int
}

// picker draws an index with probability proportional to its weight.
type picker struct{ cum []int }

func newPicker(weights ...int) picker {
	p := picker{cum: make([]int, len(weights))}
	t := 0
	for i, w := range weights {
		t += w
		p.cum[i] = t
	}
	return p
}

func (p picker) pick(r *rand.Rand) int {
	n := r.IntN(p.cum[len(p.cum)-1])
	return sort.SearchInts(p.cum, n+1)
}

var (
	surnamePick = func() picker {
		w := make([]int, len(surnames))
		for i, s := range surnames {
			w[i] = s.weight
		}
		return newPicker(w...)
	}()
	regionPick = func() picker {
		w := make([]int, len(regions))
		for i, r := range regions {
			w[i] = r.weight
		}
		return newPicker(w...)
	}()
	prefixPick = func() picker {
		w := make([]int, len(mobilePrefixes))
		for i, p := range mobilePrefixes {
			w[i] = p.weight
		}
		return newPicker(w...)
	}()
	channelCountPick = newPicker(0, 60, 27, 10, 3)            // 1, 2, 3 or 4 channels
	orderCountPick   = newPicker(0, 144, 32, 14, 6, 3, 1)     // 1 to 6 orders or receipts
	spellPick        = newPicker(65, 10, 5, 7, 4, 4, 3, 1, 1) // see spell
	npsPick          = newPicker(2, 1, 2, 3, 4, 6, 7, 15, 20, 18, 22)
)

const day = 24 * 3600

// between returns a uniform time in [a, b).
func between(r *rand.Rand, a, b int64) int64 {
	if b <= a {
		return a
	}
	return a + r.Int64N(b-a)
}

// insertionSort sorts a few values by key, stably and without allocating.
func insertionSort[T any](s []T, key func(*T) int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && key(&s[j]) < key(&s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// generate fills p with person i. It draws every value in a fixed order,
// whatever file is being produced, so that every file sees the same person.
func (g *Generator) generate(p *person, i int, pcg *rand.PCG, r *rand.Rand) {
	pcg.Seed(g.seed, uint64(i)+1)
	*p = person{idx: i}
	end := g.asOf - 3600
	start := g.asOf - 365*day

	p.female = chance(r, 0.62) // a cosmetics brand
	p.sur = uint8(surnamePick.pick(r))
	if p.female {
		p.g1, p.g2 = int8(r.IntN(len(givenFemale))), int8(r.IntN(len(givenFemale)))
	} else {
		p.g1, p.g2 = int8(r.IntN(len(givenMale))), int8(r.IntN(len(givenMale)))
	}
	if chance(r, 0.3) {
		p.g2 = -1
	}
	p.region = uint8(regionPick.pick(r))
	p.prefix, p.suffix = g.phoneOf(i)
	p.t0 = between(r, start, g.asOf-20*day)
	p.bYear, p.bMonth, p.bDay = int16(1965+r.IntN(40)), int16(1+r.IntN(12)), int16(1+r.IntN(28))

	k := channelCountPick.pick(r)
	for n := 0; n < k; {
		c := channelPick[r.IntN(len(channelPick))]
		if r.IntN(34) < c.weight && p.chans&c.ch == 0 {
			p.chans |= c.ch
			n++
		}
	}
	multi := k > 1

	g.drawWeChat(p, r, multi)
	g.drawWeibo(p, r, multi, end)
	g.drawTrades(p, r, i, multi, end)
	g.drawPOS(p, r, i, multi, end)
	g.drawCSV(p, r, i, end)

	if i == g.people-1 && g.lastRecords > 0 {
		g.lastPerson(p, r)
	}
	p.buildLines()
}

// drawWeChat draws p's WeChat records: the official account's follower
// record, and for most of those who used the mini program, its phone
// record.
func (g *Generator) drawWeChat(p *person, r *rand.Rand, multi bool) {
	p.wcSub = chance(r, 0.9)
	p.wcNick = uint8(r.IntN(9))
	p.wcNickA, p.wcNickB = uint8(r.IntN(256)), uint8(r.IntN(256))
	p.wcSex = uint8(r.IntN(10))
	p.wcScene = uint8(r.IntN(len(subscribeScenes)))
	p.wcTags = uint8(r.IntN(4))
	p.wcMP = chance(r, 0.4) || multi && chance(r, 0.85)
	p.wcMPForm = uint8(r.IntN(3))
	p.wcSpell = uint8(r.IntN(4))
}

// drawWeibo draws p's Weibo records: an anonymous fan, a lead (the same
// uid, later, with a mobile), or both.
func (g *Generator) drawWeibo(p *person, r *rand.Rand, multi bool, end int64) {
	switch u := r.Float64(); {
	case multi && u < 0.7, !multi && u < 0.3:
		p.wbFan, p.wbLead = true, true
	case multi && u < 0.9, !multi && u < 0.4:
		p.wbLead = true
	default:
		p.wbFan = true
	}
	p.wbScreen = uint8(r.IntN(8))
	p.wbNInter = uint8(1 + r.IntN(3))
	t := p.t0
	for j := range p.wbInter[:p.wbNInter] {
		t = between(r, t, t+40*day)
		p.wbInter[j] = inter{kind: uint8(r.IntN(len(weiboKinds))), at: min(t, end-2*day), text: uint8(r.IntN(len(weiboTexts)))}
	}
	p.wbLeadAt = between(r, p.wbInter[p.wbNInter-1].at+3600, end)
	p.wbLeadText = uint8(r.IntN(len(leadTexts)))
	p.wbFollowers = int32(r.IntN(5000))
	p.wbCreated = between(r, 1325347200, 1704038400) // 2012 to 2023
	p.wbSpell = uint8(spellPick.pick(r))
}

// drawTrades draws p's e-commerce orders, on Taobao or JD.
func (g *Generator) drawTrades(p *person, r *rand.Rand, i int, multi bool, end int64) {
	p.ecJD = chance(r, 0.3)
	p.nTrades = uint8(orderCountPick.pick(r))
	for j := range p.trades[:p.nTrades] {
		tr := &p.trades[j]
		switch u := r.Float64(); {
		case u < 0.84:
			tr.kind = tradePaid
		case u < 0.88:
			tr.kind = tradeRefunded
		case u < 0.92:
			tr.kind = tradeUnpaid
		case u < 0.95:
			tr.kind = tradeCancelled
		default:
			tr.kind = tradeUnpaidThenPaid
		}
		if p.ecJD && tr.kind == tradeUnpaidThenPaid || p.ecJD && tr.kind == tradeUnpaid {
			tr.kind = tradePaid // JD's export has no unpaid state
		}
		tr.created = between(r, p.t0, end-2*day)
		tr.later = between(r, tr.created+3600, min(tr.created+15*day, end))
		tr.nItems = uint8(1 + r.IntN(maxItems))
		for m := range tr.items[:tr.nItems] {
			tr.items[m] = item{prod: uint8(r.IntN(len(products))), qty: uint8(1 + r.IntN(2)*r.IntN(3))}
		}
		if chance(r, 0.25) {
			tr.discount = int64(5+r.IntN(4)*5) * 100
			if tr.discount >= tr.amount() {
				tr.discount = 0
			}
		}
		tr.masked = chance(r, 0.25) && !(multi && j == 0)
		tr.resent = chance(r, 0.03)
		tr.spell = uint8(spellPick.pick(r))
		tr.referrer = g.referrer(r, i, 0.04)
		tr.phName = chance(r, 0.05)
	}
	insertionSort(p.trades[:p.nTrades], func(t *trade) int64 { return t.created })
}

// drawPOS draws p's POS records: till receipts at the customer's city's
// stores, a member card for most, a member sign-up row for some.
func (g *Generator) drawPOS(p *person, r *rand.Rand, i int, multi bool, end int64) {
	p.posStore = uint8(1 + r.IntN(3))
	p.posMember = chance(r, 0.7)
	p.posReg = p.posMember && chance(r, 0.3)
	p.posRegAt = between(r, p.t0, end-30*day)
	p.posRegPh = typedReal
	if chance(r, 0.1) {
		p.posRegPh = typedPlaceholder
	}
	p.nReceipts = uint8(orderCountPick.pick(r))
	if p.posReg && chance(r, 0.3) {
		p.nReceipts = 0 // signed up, never bought
	}
	for j := range p.receipts[:p.nReceipts] {
		g.drawReceipt(r, &p.receipts[j], p, i, multi && j == 0)
	}
	insertionSort(p.receipts[:p.nReceipts], func(rc *receipt) int64 { return rc.at })
}

// drawCSV draws p's CSV rows: a CRM row with consent statements, a
// survey row with scores.
func (g *Generator) drawCSV(p *person, r *rand.Rand, i int, end int64) {
	p.crm = chance(r, 0.65)
	p.survey = !p.crm || chance(r, 0.45)
	p.crmAt = between(r, p.t0, end)
	p.crmGender = uint8(r.IntN(8))
	p.crmBday = uint8(r.IntN(10))
	p.crmEmail = chance(r, 0.4)
	p.crmDomain = uint8(r.IntN(len(emailDomains)))
	for j := range p.crmConsent {
		p.crmConsent[j] = -1
		if chance(r, 0.7) {
			p.crmConsent[j] = int8(r.IntN(2))
		}
	}
	p.crmBoolSty = uint8(r.IntN(4))
	p.crmFullReg = chance(r, 0.5)
	p.crmSpell = uint8(spellPick.pick(r))
	p.surveyAt = between(r, p.t0, end)
	p.nps = int8(npsPick.pick(r))
	p.csat = -1
	if chance(r, 0.5) {
		p.csat = int8(1 + r.IntN(5))
	}
	p.fbText = uint8(r.IntN(8))
	p.svReferrer = g.referrer(r, i, 0.05)
	p.svSpell = uint8(spellPick.pick(r))
}

// drawReceipt draws one till receipt of p.
func (g *Generator) drawReceipt(r *rand.Rand, rc *receipt, p *person, i int, mustLink bool) {
	end := g.asOf - 3600
	rc.at = between(r, p.t0, end-day)
	rc.refunded = chance(r, 0.05)
	rc.refundAt = between(r, rc.at+3600, min(rc.at+10*day, end))
	rc.amount = int64(50+r.IntN(2000)) * 100 // 50.00 to 2,049.00 yuan
	if chance(r, 0.2) {
		rc.amount += 50 // and some x.50
	}
	rc.category = uint8(r.IntN(len(posCategories)))
	rc.typed = typedReal
	switch u := r.Float64(); {
	case mustLink:
	case u < 0.03:
		rc.typed = typedPlaceholder
	case u < 0.045:
		rc.typed = typedHub
	case u < 0.055:
		rc.typed = typedTypo
	case u < 0.085 && p.posMember:
		rc.typed = typedEmpty
	}
	rc.hub = int32(i % g.hubs)
	rc.spell = uint8(spellPick.pick(r))
	rc.nameMode = 0
	switch u := r.Float64(); {
	case u < 0.05:
		rc.nameMode = 1
	case u < 0.2 && rc.typed != typedHub:
		rc.nameMode = 2
	}
	rc.resent = chance(r, 0.02)
	rc.rfc3339 = chance(r, 0.05)
	rc.referrer = g.referrer(r, i, 0.03)
}

// lastPerson turns the last person into a POS customer with exactly the
// records left to reach N: paid receipts with their own phone.
func (g *Generator) lastPerson(p *person, r *rand.Rand) {
	p.chans = chPOS
	p.posReg = false
	p.nReceipts = uint8(g.lastRecords)
	for j := range p.receipts[:p.nReceipts] {
		g.drawReceipt(r, &p.receipts[j], p, p.idx, true)
		rc := &p.receipts[j]
		rc.refunded, rc.resent = false, false
	}
	insertionSort(p.receipts[:p.nReceipts], func(rc *receipt) int64 { return rc.at })
}

// referrer returns, with probability q, an earlier person who referred
// person i, else -1.
func (g *Generator) referrer(r *rand.Rand, i int, q float64) int32 {
	if i == 0 || !chance(r, q) {
		return -1
	}
	return int32(i - 1 - r.IntN(min(i, 5000)))
}

// buildLines lists p's records file by file, with what Decode should make
// of each.
func (p *person) buildLines() {
	p.nLines = 0
	add := func(f int, k lineKind, ref int, second bool, at int64, reason identity.Reason) {
		p.lines[p.nLines] = line{file: uint8(f), kind: k, ref: uint8(ref), second: second, at: at, reason: reason}
		p.nLines++
	}
	if p.chans&chWeChat != 0 {
		add(fileFollowers, lineOA, 0, false, p.t0, "")
		if p.wcMP {
			add(fileMiniProgram, lineMP, 0, false, p.t0+day, "")
		}
	}
	if p.chans&chWeibo != 0 {
		last := p.wbInter[p.wbNInter-1].at
		if p.wbFan {
			add(fileFans, lineFan, 0, false, last, "")
		}
		if p.wbLead {
			add(fileLeads, lineLead, 0, false, p.wbLeadAt, "")
		}
	}
	if p.chans&chEcommerce != 0 {
		f, k := fileTaobao, lineTaobao
		if p.ecJD {
			f, k = fileJD, lineJD
		}
		for j, tr := range p.trades[:p.nTrades] {
			add(f, k, j, false, tr.created, "")
			if tr.resent {
				add(f, k, j, false, tr.created+7200, "")
			}
			if tr.kind.twice() {
				add(f, k, j, true, tr.later, "")
			}
		}
	}
	if p.chans&chPOS != 0 {
		if p.posReg {
			add(filePOS, lineRegistration, 0, false, p.posRegAt, "")
		}
		// A receipt without a member number whose typed phone is no key
		// is accepted all the same: an anonymous profile of its own.
		for j, rc := range p.receipts[:p.nReceipts] {
			add(filePOS, lineReceipt, j, false, rc.at, "")
			if rc.resent {
				add(filePOS, lineReceipt, j, false, rc.at+1, "")
			}
			if rc.refunded {
				add(filePOS, lineReceipt, j, true, rc.refundAt, "")
			}
		}
	}
	if p.chans&chCSV != 0 {
		if p.crm {
			add(fileCRM, lineCRM, 0, false, p.crmAt, "")
		}
		if p.survey {
			add(fileSurvey, lineSurvey, 0, false, p.surveyAt, "")
		}
	}
}
