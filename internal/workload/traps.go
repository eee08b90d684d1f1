package workload

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/scv-go/scv/identity"
)

// Trap is a set of the resolution traps of issue 14 that a record of a
// trap workload (Config.Traps) belongs to. The zero value is a plain
// record.
type Trap uint16

// The traps. A record may belong to several.
const (
	// TrapGift is an e-commerce order shipped to someone else: a family
	// member sharing the buyer's surname and address, a friend, an office.
	// The order is the buyer's (its record is the buyer's in the truth);
	// the receiver is a person of their own, some of them customers with
	// records of their own.
	TrapGift Trap = 1 << iota
	// TrapRecycled is a record carrying a reassigned number: the old
	// holder's records from years ago, or the new holder's, a different
	// person with another name and gender, after a long silence.
	TrapRecycled
	// TrapCashier is a till row whose mobile a cashier typed wrong (one
	// digit off) or filled with a placeholder many customers share
	// (13800000000, or an unlisted one such as 13900001111).
	TrapCashier
	// TrapMasked is an order whose receiver mobile the platform masked
	// (138****5678).
	TrapMasked
	// TrapSpelling is a record whose name is spelled otherwise than the
	// person's usual 王芳: 王 芳, Wang Fang, 王女士, a homophone typo
	// (王方), traditional characters (陳), full-width Latin letters.
	TrapSpelling
	// TrapLead is a Weibo lead form without timestamps: a later, partial
	// snapshot of a fan's uid that adds a phone.
	TrapLead
	// TrapFamily is a record of a person who shares a surname and an
	// address with family members who are other people.
	TrapFamily
	// TrapNoID is a record with no usable identifier: a till row without
	// member number and with no phone or a placeholder, a CRM row without
	// phone or e-mail.
	TrapNoID
	// TrapLoneGift is a gift order of a buyer account seen nowhere else:
	// nothing in the data names the buyer, so no resolver can tell the
	// order from one the receiver placed with an account of their own. It
	// always comes with TrapGift.
	TrapLoneGift
)

// AllTraps lists every trap, in the order of their bits.
var AllTraps = []Trap{TrapGift, TrapRecycled, TrapCashier, TrapMasked, TrapSpelling, TrapLead, TrapFamily, TrapNoID, TrapLoneGift}

var trapNames = []string{"gift", "recycled", "cashier", "masked", "spelling", "lead", "family", "noid", "lonegift"}

// String returns the trap names joined by "+" ("gift+spelling"), or ""
// for none.
func (t Trap) String() string {
	var parts []string
	for i, name := range trapNames {
		if t&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	return strings.Join(parts, "+")
}

// Trap rates: shares of orders, receipts, people and records.
const (
	giftRate        = 0.15 // of e-commerce orders
	maskedRate      = 0.20 // of orders to the buyer's own phone
	recycledRate    = 0.03 // of people: a new holder of an old holder's number
	familyRate      = 0.12 // of people: start a household of 2 or 3
	spellingRate    = 0.30 // of named records
	leadPartialRate = 0.6  // of Weibo leads of fans
	noIDCRMRate     = 0.05 // of CRM rows
)

// tPerson is a person of a trap workload.
type tPerson struct {
	female    bool
	sur       uint8
	g1, g2    int8
	region    uint8
	prefix    uint16
	suffix    uint32
	bYear     int16
	bMonth    uint8
	bDay      uint8
	household int32 // index of the first member, or -1
	address   string
	customer  bool // has records of their own
	office    bool // an office's front desk, a receiver only
	oldHolder bool // the first holder of a recycled number
	newHolder bool // its second holder
	recordsN  int32
	channels  chanSet
}

// tLine is one rendered record of a trap workload, before the files are
// ordered.
type tLine struct {
	file   uint8
	person int32
	recv   int32 // an order's receiver, plus one; 0 for none
	traps  Trap
	at     int64
	seq    int32
	body   []byte
}

// trapWorkload is a trap workload, held in memory: the bytes of every
// file and the truth of every line in file order.
type trapWorkload struct {
	people []tPerson
	files  [numFiles][]byte
	truth  [numFiles][]tTruth
	hubs   int
}

// tTruth is the truth of one line: whose it is and its traps.
type tTruth struct {
	person int32
	recv   int32 // as in tLine
	traps  Trap
}

// trapGen holds what generating a trap workload needs.
type trapGen struct {
	g       *Generator
	r       *rand.Rand
	w       *trapWorkload
	lines   []tLine
	offices []int32
	start   int64 // the year of activity
	end     int64
	seq     int32
}

// newTrapWorkload generates a trap workload of n records.
func (g *Generator) newTrapWorkload(n int) *trapWorkload {
	w := &trapWorkload{hubs: max(1, n/5000)}
	t := &trapGen{g: g, r: rand.New(rand.NewPCG(g.seed, 0x7472617073)), w: w, start: g.asOf - 365*day, end: g.asOf - 3600}
	for range max(1, n/400) {
		t.offices = append(t.offices, t.newPerson(false))
	}
	for len(t.lines) < n {
		i := t.newPerson(true)
		switch {
		case chance(t.r, recycledRate):
			t.recycle(i)
		case chance(t.r, familyRate):
			t.household(i)
		}
		t.records(i)
		if p := &w.people[i]; p.household >= 0 {
			for j := i + 1; j < int32(len(w.people)); j++ {
				if w.people[j].customer {
					t.records(j)
				}
			}
		}
	}
	t.lines = t.lines[:n]
	// Each file in time order, as a source exports it.
	slices.SortStableFunc(t.lines, func(a, b tLine) int {
		if c := cmp.Compare(a.file, b.file); c != 0 {
			return c
		}
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	for f := range files {
		w.files[f] = appendHeader(w.files[f], f)
	}
	count := [numFiles]int{}
	for _, l := range t.lines {
		f := int(l.file)
		if f == fileJD && count[f] > 0 {
			w.files[f] = append(w.files[f], ',')
		}
		count[f]++
		if f == fileJD {
			w.files[f] = append(w.files[f], '\n')
		}
		w.files[f] = append(w.files[f], l.body...)
		w.truth[f] = append(w.truth[f], tTruth{person: l.person, recv: l.recv, traps: l.traps})
	}
	for f := range files {
		w.files[f] = appendFooter(w.files[f], f)
	}
	for _, l := range t.lines {
		w.people[l.person].recordsN++
		w.people[l.person].channels |= fileChans(int(l.file))
	}
	return w
}

func fileChans(f int) chanSet {
	switch fileChannel(f) {
	case identity.ChannelWeChat:
		return chWeChat
	case identity.ChannelWeibo:
		return chWeibo
	case identity.ChannelEcommerce:
		return chEcommerce
	case identity.ChannelPOS:
		return chPOS
	}
	return chCSV
}

// newPerson draws a person with a number of their own and returns its
// index.
func (t *trapGen) newPerson(customer bool) int32 {
	r := t.r
	i := int32(len(t.w.people))
	p := tPerson{household: -1, customer: customer}
	p.female = chance(r, 0.62)
	p.sur = uint8(surnamePick.pick(r))
	t.given(&p)
	p.region = uint8(regionPick.pick(r))
	p.prefix, p.suffix = t.g.phoneOf(int(i))
	p.bYear, p.bMonth, p.bDay = int16(1965+r.IntN(40)), uint8(1+r.IntN(12)), uint8(1+r.IntN(28))
	p.address = t.address(p.region)
	if !customer {
		p.office = true
		p.address = t.officeAddress(p.region)
	}
	t.w.people = append(t.w.people, p)
	return i
}

func (t *trapGen) given(p *tPerson) {
	n := len(givenMale)
	if p.female {
		n = len(givenFemale)
	}
	p.g1, p.g2 = int8(t.r.IntN(n)), int8(t.r.IntN(n))
	if chance(t.r, 0.3) {
		p.g2 = -1
	}
}

var (
	roads     = []string{"人民路", "解放路", "中山路", "建设路", "和平路", "科技路", "滨江路", "文化路", "新华路", "长江路"}
	buildings = []string{"国贸大厦", "世纪中心", "环球金融中心", "科技园A座", "万达广场写字楼", "创意园3号楼"}
	companies = []string{"华信科技有限公司", "明德咨询有限公司", "远航贸易有限公司", "星辰传媒有限公司"}
)

// address draws a home address in a region's city.
func (t *trapGen) address(region uint8) string {
	r := t.r
	return fmt.Sprintf("%s%s%s%d号%d栋%d室", regions[region].city, districts[r.IntN(len(districts))], roads[r.IntN(len(roads))],
		1+r.IntN(300), 1+r.IntN(20), 101+r.IntN(30)*100+r.IntN(4))
}

func (t *trapGen) officeAddress(region uint8) string {
	r := t.r
	return fmt.Sprintf("%s%s%d层 %s", regions[region].city, buildings[r.IntN(len(buildings))], 2+r.IntN(40), companies[r.IntN(len(companies))])
}

// recycle makes person i the new holder of a number that an old holder,
// a person of another surname and gender, used years ago.
func (t *trapGen) recycle(i int32) {
	old := t.newPerson(true)
	o, p := &t.w.people[old], &t.w.people[i]
	o.office, o.address = false, t.address(o.region)
	o.female = !p.female
	for o.sur == p.sur {
		o.sur = uint8(surnamePick.pick(t.r))
	}
	t.given(o)
	o.prefix, o.suffix = p.prefix, p.suffix
	o.oldHolder, p.newHolder = true, true
	t.records(old)
}

// household gives person i one or two family members: the same surname
// and address, their own given names and numbers; some are customers.
func (t *trapGen) household(i int32) {
	t.w.people[i].household = i
	for range 1 + t.r.IntN(2) {
		j := t.newPerson(chance(t.r, 0.6))
		p, q := &t.w.people[i], &t.w.people[j]
		q.office = false
		q.sur, q.region, q.address, q.household = p.sur, p.region, p.address, i
		q.bYear = p.bYear + int16(t.r.IntN(60)) - 30
	}
}

// window returns the span person i's records fall in.
func (t *trapGen) window(i int32) (int64, int64) {
	if t.w.people[i].oldHolder {
		return t.g.asOf - 7*365*day, t.g.asOf - 5*365*day
	}
	return t.start, t.end - 2*day
}

// emit renders one line of person i.
func (t *trapGen) emit(file int, i int32, traps Trap, at int64, body []byte) {
	p := &t.w.people[i]
	if p.household >= 0 {
		traps |= TrapFamily
	}
	t.seq++
	t.lines = append(t.lines, tLine{file: uint8(file), person: i, traps: traps, at: at, seq: t.seq, body: body})
}

// records draws and renders every record of customer i.
func (t *trapGen) records(i int32) {
	r := t.r
	p := &t.w.people[i]
	var chans chanSet
	k := channelCountPick.pick(r)
	if p.oldHolder {
		k = 1 + r.IntN(2)
	}
	for n := 0; n < k; {
		c := channelPick[r.IntN(len(channelPick))]
		if p.oldHolder && (c.ch == chWeChat || c.ch == chWeibo) {
			continue // before the brand's social accounts
		}
		if r.IntN(34) < c.weight && chans&c.ch == 0 {
			chans |= c.ch
			n++
		}
	}
	lo, hi := t.window(i)
	recycled := Trap(0)
	if p.oldHolder || p.newHolder {
		recycled = TrapRecycled
	}
	if chans&chWeChat != 0 {
		t.wechat(i, lo, hi, recycled)
	}
	if chans&chWeibo != 0 {
		t.weibo(i, lo, hi, recycled)
	}
	if chans&chEcommerce != 0 {
		t.ecommerce(i, lo, hi, recycled)
	}
	if chans&chPOS != 0 {
		t.pos(i, lo, hi, recycled)
	}
	if chans&chCSV != 0 {
		t.csv(i, lo, hi, recycled)
	}
}

// spelledName returns person i's name as one record writes it, and
// whether it is a variant spelling.
func (t *trapGen) spelledName(i int32) (string, Trap) {
	p := &t.w.people[i]
	if !chance(t.r, spellingRate) {
		return canonicalName(p), 0
	}
	return spellName(p, 1+t.r.IntN(numSpellings-1)), TrapSpelling
}

// receiver picks who a gift order of buyer i ships to.
func (t *trapGen) receiver(i int32) int32 {
	p := &t.w.people[i]
	u := t.r.Float64()
	if p.household >= 0 && u < 0.4 {
		var fam []int32
		for j := p.household; j < int32(len(t.w.people)) && (j == p.household || t.w.people[j].household == p.household); j++ {
			if j != i && t.w.people[j].household == p.household {
				fam = append(fam, j)
			}
		}
		if len(fam) > 0 {
			return fam[t.r.IntN(len(fam))]
		}
	}
	if u < 0.75 {
		for range 8 {
			j := int32(t.r.IntN(len(t.w.people)))
			q := &t.w.people[j]
			if j != i && !q.office && !q.oldHolder && (p.household < 0 || q.household != p.household) {
				return j // a friend, a customer or not
			}
		}
	}
	return t.offices[t.r.IntN(len(t.offices))]
}

// trapLines yields the truth of every line of file f of a trap workload,
// with the key and reason identity.Decode gives the line.
func (g *Generator) trapLines(f int, yield func(Line) bool) {
	truth := g.traps.truth[f]
	n := 0
	for rec, err := range identity.Decode(g.Open(files[f]), files[f].Format, files[f].Options()) {
		if n == len(truth) {
			return
		}
		l := Line{File: files[f].Name, Line: lineNumber(f, n+1), Person: personID(int(truth[n].person)), Traps: truth[n].traps}
		if r := truth[n].recv; r > 0 {
			l.Receiver = personID(int(r - 1))
		}
		var re *identity.RecordError
		switch {
		case err == nil:
			l.Key = rec.Key()
		case errors.As(err, &re):
			l.Key, l.Reason = identity.RecordKey{Channel: re.Channel, Source: re.Source, ID: re.RecordID}, re.Reason
		default:
			return
		}
		n++
		if !yield(l) {
			return
		}
	}
}

// trapPerson is the truth about person i of a trap workload: its ID, own
// number, channels and records; Accepted, PhoneKnown, PaidOrders and
// SpendFen are not computed for trap workloads and stay zero. People who
// only receive gifts have no records.
func (g *Generator) trapPerson(i int) Person {
	if i < 0 || i >= g.people {
		panic(errBadIndex)
	}
	p := &g.traps.people[i]
	t := Person{ID: personID(i), Phone: e164(p.prefix, p.suffix), Records: int(p.recordsN)}
	for k, c := range []chanSet{chWeChat, chWeibo, chEcommerce, chPOS, chCSV} {
		if p.channels&c != 0 {
			t.Channels = append(t.Channels, channelOrder[k])
		}
	}
	return t
}
