package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// This file holds the workload the bank and crash tests ingest: a
// deterministic set of source records for a known set of people, and the
// ground truth the store is checked against.
//
// Every person has one phone, one name and, on the channels they use, one
// identifier of each kind; every record of a person carries the phone or
// an identifier that another record of theirs carries with the phone. Two
// kinds of records link people, as real China data does, and the
// protection rules must undo the link:
//
//   - hub receipts: a cashier typed the shop's number (hubPhones)
//     beside the member card of whoever was at the till; the
//     fourth distinct name flags the number a hub, and the people it
//     merged are recomputed apart (the phone limit refuses some joins
//     before that);
//   - gift orders: a person ordered with the phone of their own and the
//     Tmall buyer account of the next person; an operator keeps the two
//     apart with a do-not-link (separations) between the gift and every
//     record of the account's owner.
//
// And one kind must never link them: family receipts, where the cashier
// scanned a person's member card and then another member's; the limit
// of one member number per source excludes the second from linking, so
// even while writing no profile may join the two.
//
// So whatever order the records and the separations arrive in, they end
// as one profile per person: the final check is strict (no two people in
// one profile, by the ground truth). While writers and the operator are
// still at work, a profile may hold several people only if it holds a
// hub receipt or a gift order.

// workload is the records of a set of people and the ground truth about them.
type workload struct {
	seed   uint64
	people int
	// versions is everything to ingest, in arrival order: every version of
	// every record, and identical re-sends of some of them.
	versions []identity.Record
	phones   []identity.Identifier // person -> phone
	owner    map[identity.RecordKey]int
	// byPrint maps a record key and content fingerprint to the version, so
	// that the record a profile holds can be told apart from the others.
	byPrint map[string]*identity.Record
	latest  map[identity.RecordKey]*identity.Record // the newest version of each record

	hubPhones []identity.Identifier // the shop numbers typed for many people
	hubNames  []map[string]bool     // per shop number, the names typed with it
	hubRecs   [][]identity.RecordKey
	// links are the hub receipts and gift orders: records that link
	// people until the protection rules undo it.
	links map[identity.RecordKey]bool
	// buyerRecs are, per person, the records carrying their buyer id.
	buyerRecs map[int][]identity.RecordKey
	members   map[int]identity.Identifier // per person with a member card
	families  int                         // family receipts
	// separations are the operator's do-not-links: a gift order and a
	// record of the buyer account's owner.
	separations [][2]identity.RecordKey
	// strict makes checkProfile refuse every profile of two people; set
	// by checkFinal.
	strict bool
	// mixed counts the profiles of several people checkProfile saw.
	mixed atomic.Int64
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"}
	given    = []string{"芳", "伟", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞"}
	cities   = [][2]string{{"上海", "上海"}, {"广东", "深圳"}, {"广东", "广州"}, {"北京", "北京"}, {"浙江", "杭州"}, {"四川", "成都"}}
	prefixes = []string{"139", "138", "186", "158", "177", "199", "135", "150"}
)

// newWorkload generates the records of people people from seed. The same
// seed and size give the same records in the same order.
func newWorkload(seed uint64, people int) *workload {
	w := &workload{
		seed: seed, people: people,
		owner:   map[identity.RecordKey]int{},
		byPrint: map[string]*identity.Record{},
		latest:  map[identity.RecordKey]*identity.Record{},

		hubPhones: []identity.Identifier{{Kind: identity.KindPhone, Value: "+8617700000001"}},
		links:     map[identity.RecordKey]bool{},
		buyerRecs: map[int][]identity.RecordKey{},
		members:   map[int]identity.Identifier{},
		hubNames:  []map[string]bool{{}},
		hubRecs:   make([][]identity.RecordKey, 1),
	}
	for p := range people {
		w.phones = append(w.phones, identity.Identifier{
			Kind:  identity.KindPhone,
			Value: "+86" + prefixes[p%len(prefixes)] + fmt.Sprintf("%08d", uint64(p)*9973%100_000_000),
		})
		w.versions = append(w.versions, w.person(p)...)
	}
	// A shop number typed with fewer distinct names than make a hub (the
	// fourth) would merge those people for good: no rule can tell. Such
	// receipts are left out.
	for i, names := range w.hubNames {
		if len(names) > 3 {
			continue
		}
		for _, k := range w.hubRecs[i] {
			delete(w.links, k)
		}
		w.versions = slices.DeleteFunc(w.versions, func(v identity.Record) bool { return slices.Contains(w.hubRecs[i], v.Key()) })
		w.hubRecs[i] = nil
	}
	// About one person in ten orders a gift with the next person's Tmall
	// account.
	for p := range people - 1 {
		g := rand.New(rand.NewPCG(seed, 0x61f7_0000+uint64(p)))
		if g.IntN(100) >= 10 || len(w.buyerRecs[p+1]) == 0 {
			continue
		}
		at := asOf.Add(-time.Duration(1+g.IntN(300)) * merge.Day)
		id := fmt.Sprintf("G#%d", p)
		// The order names its receiver, the person: without the name,
		// the phone used long after the person's own records by someone
		// the account names otherwise would be a recycled number.
		var name string
		for i := range w.versions {
			if v := &w.versions[i]; personOf(v) == p && v.Attributes.Name != "" {
				name = v.Attributes.Name
				break
			}
		}
		if name == "" {
			continue // nothing would tell the order's receiver is the person
		}
		gift := identity.Record{
			Channel: identity.ChannelEcommerce, Source: "tmall-gift", ID: id, Observed: at,
			Identifiers: []identity.Identifier{w.phones[p], {Kind: identity.KindBuyer, Scope: "tmall", Value: fmt.Sprintf("tb%08d", p+1)}},
			Attributes:  identity.Attributes{Name: name},
			Orders:      []identity.Order{{Platform: "tmall", ID: id, Status: identity.OrderPaid, AmountFen: int64(50+g.IntN(500)) * 100, Currency: "CNY", Time: at}},
		}
		w.links[gift.Key()] = true
		for _, k := range w.buyerRecs[p+1] {
			w.separations = append(w.separations, [2]identity.RecordKey{gift.Key(), k})
		}
		w.versions = append(w.versions, gift)
	}
	// About one member in ten shows the next member's card too.
	var members []int
	for p := range people {
		if _, ok := w.members[p]; ok {
			members = append(members, p)
		}
	}
	for i := 0; i+1 < len(members); i++ {
		p := members[i]
		g := rand.New(rand.NewPCG(seed, 0xfa31_0000+uint64(p)))
		if g.IntN(100) >= 10 {
			continue
		}
		mine, theirs := w.members[p], w.members[members[i+1]]
		at := asOf.Add(-time.Duration(1+g.IntN(300)) * merge.Day)
		id := fmt.Sprintf("pos-f#%d", p)
		w.versions = append(w.versions, identity.Record{
			Channel: identity.ChannelPOS, Source: "pos", ID: id, Observed: at,
			Identifiers: []identity.Identifier{w.phones[p], mine, theirs},
			Orders:      []identity.Order{{Platform: "pos", ID: id, Status: identity.OrderPaid, AmountFen: int64(20+g.IntN(500)) * 100, Currency: "CNY", Time: at}},
		})
		w.families++
	}
	// Re-send about 15% of the versions unchanged, then shuffle: records
	// of one person arrive in any order, updates before what they update.
	r := rand.New(rand.NewPCG(seed, 0x5ca1ab1e))
	for i := range len(w.versions) {
		if r.IntN(100) < 15 {
			w.versions = append(w.versions, w.versions[i])
		}
	}
	r.Shuffle(len(w.versions), func(i, j int) { w.versions[i], w.versions[j] = w.versions[j], w.versions[i] })
	for i := range w.versions {
		v := &w.versions[i]
		k := v.Key()
		w.byPrint[k.String()+"\x00"+merge.Fingerprint(v)] = v
		if l := w.latest[k]; l == nil || v.Observed.After(l.Observed) {
			w.latest[k] = v
		}
		w.owner[k] = personOf(v)
	}
	return w
}

// personOf returns the person a generated record belongs to: every record
// id the generator makes ends in "#person".
func personOf(rec *identity.Record) int {
	for i := len(rec.ID) - 1; i >= 0; i-- {
		if rec.ID[i] == '#' {
			n := 0
			for _, c := range rec.ID[i+1:] {
				n = n*10 + int(c-'0')
			}
			return n
		}
	}
	return -1
}

// person returns every version of every record of person p.
func (w *workload) person(p int) []identity.Record {
	r := rand.New(rand.NewPCG(w.seed, uint64(p)+1))
	phone := w.phones[p]
	name := surnames[r.IntN(len(surnames))] + given[r.IntN(len(given))]
	loc := cities[r.IntN(len(cities))]
	tag := fmt.Sprintf("#%d", p)
	// Records are dated from about two years before asOf, a few days apart,
	// and never after asOf.
	t := asOf.Add(-700*merge.Day + time.Duration(r.IntN(300))*merge.Day)
	next := func() time.Time {
		t = t.Add(time.Duration(1+r.IntN(20))*merge.Day + time.Duration(r.IntN(86400))*time.Second)
		return t
	}
	fen := func() int64 { return int64(20+r.IntN(2000)) * 100 }

	// About 40% of people are seen on two or more channels.
	channels := []identity.Channel{identity.ChannelPOS, identity.ChannelWeChat, identity.ChannelWeibo, identity.ChannelEcommerce}
	r.Shuffle(len(channels), func(i, j int) { channels[i], channels[j] = channels[j], channels[i] })
	n := 1
	switch x := r.IntN(100); {
	case x < 5:
		n = 4
	case x < 15:
		n = 3
	case x < 40:
		n = 2
	}
	var out []identity.Record
	for _, ch := range channels[:n] {
		switch ch {
		case identity.ChannelPOS:
			member := identity.Identifier{Kind: identity.KindMember, Scope: "pos", Value: fmt.Sprintf("M%07d", p)}
			w.members[p] = member
			for k := range 1 + r.IntN(6) {
				id := fmt.Sprintf("pos-%d%s", k, tag)
				rec := identity.Record{
					Channel: identity.ChannelPOS, Source: "pos", ID: id, Observed: next(),
					Identifiers: []identity.Identifier{phone, member},
					Attributes:  identity.Attributes{Name: name, Province: loc[0], City: loc[1]},
				}
				if k > 0 && r.IntN(100) < 30 {
					// The cashier scanned the member card and typed the
					// shop's placeholder number.
					rec.Identifiers = []identity.Identifier{member}
					rec.Withheld = []identity.Withheld{{Field: "mobile", Reason: identity.ReasonPlaceholderPhone, Value: "+8613800000000"}}
				}
				rec.Orders = []identity.Order{{
					Platform: "pos", ID: id, Status: identity.OrderPaid, AmountFen: fen(), Currency: "CNY",
					Time: rec.Observed, Store: fmt.Sprintf("SH%03d", r.IntN(40)),
				}}
				out = append(out, rec)
			}
			if r.IntN(100) < 30 {
				// The cashier typed the shop's number.
				id := "pos-h" + tag
				rec := identity.Record{
					Channel: identity.ChannelPOS, Source: "pos", ID: id, Observed: next(),
					Identifiers: []identity.Identifier{w.hubPhones[p%len(w.hubPhones)], member},
					Attributes:  identity.Attributes{Name: name},
				}
				rec.Orders = []identity.Order{{Platform: "pos", ID: id, Status: identity.OrderPaid, AmountFen: fen(), Currency: "CNY", Time: rec.Observed}}
				w.links[rec.Key()] = true
				w.hubNames[p%len(w.hubPhones)][name] = true
				w.hubRecs[p%len(w.hubPhones)] = append(w.hubRecs[p%len(w.hubPhones)], rec.Key())
				out = append(out, rec)
			}
		case identity.ChannelWeChat:
			union := identity.Identifier{Kind: identity.KindUnionID, Value: fmt.Sprintf("oU%010d", p)}
			follower := identity.Record{
				Channel: identity.ChannelWeChat, Source: "wx-brand", ID: "wx-brand/oF" + tag, Observed: next(),
				Identifiers:  []identity.Identifier{{Kind: identity.KindOpenID, Scope: "wx-brand", Value: fmt.Sprintf("oF%010d", p)}, union},
				Attributes:   identity.Attributes{Nickname: "小" + given[r.IntN(len(given))], Province: loc[0], City: loc[1]},
				Interactions: []identity.Interaction{{Type: identity.InteractionFollow, Time: t}},
			}
			if r.IntN(100) < 30 {
				follower.Feedback = []identity.Feedback{{Kind: identity.FeedbackNPS, Score: r.IntN(11), Time: t}}
			}
			bound := r.IntN(2) == 0
			if bound {
				follower.Identifiers = append(follower.Identifiers, phone)
			}
			out = append(out, follower)
			if r.IntN(100) < 20 {
				// A later version: the follower changed nickname.
				v := follower
				v.Observed = next()
				v.Attributes.Nickname = "阿" + given[r.IntN(len(given))]
				out = append(out, v)
			}
			if !bound || r.IntN(100) < 30 {
				// A mini-program sign-up binds the unionid to the phone.
				mini := identity.Record{
					Channel: identity.ChannelWeChat, Source: "wx-mini", ID: "wx-mini/oM" + tag, Observed: next(),
					Identifiers:  []identity.Identifier{{Kind: identity.KindOpenID, Scope: "wx-mini", Value: fmt.Sprintf("oM%010d", p)}, union, phone},
					Attributes:   identity.Attributes{Name: name},
					Interactions: []identity.Interaction{{Type: identity.InteractionRegistration, Time: t}},
				}
				if r.IntN(2) == 0 {
					mini.Orders = []identity.Order{{Platform: "wx-mini", ID: "MP" + tag, Status: identity.OrderPaid, AmountFen: fen(), Currency: "CNY", Time: t}}
				}
				out = append(out, mini)
			}
		case identity.ChannelWeibo:
			uid := identity.Identifier{Kind: identity.KindWeiboUID, Value: fmt.Sprintf("%d", 5_000_000_000+p)}
			// An anonymous fan, bound to a phone later by a lead form.
			fan := identity.Record{
				Channel: identity.ChannelWeibo, Source: "weibo", ID: "u" + tag, Observed: next(),
				Identifiers: []identity.Identifier{uid},
				Attributes:  identity.Attributes{Nickname: "微博" + given[r.IntN(len(given))], Followers: r.IntN(5000)},
			}
			for k := range 1 + r.IntN(3) {
				typ := []identity.InteractionType{identity.InteractionRepost, identity.InteractionComment, identity.InteractionMention}[r.IntN(3)]
				fan.Interactions = append(fan.Interactions, identity.Interaction{Type: typ, ID: fmt.Sprintf("mid%d-%d", p, k), Time: t})
			}
			lead := identity.Record{
				Channel: identity.ChannelWeibo, Source: "weibo-leads", ID: "lead" + tag, Observed: next(),
				Identifiers:  []identity.Identifier{uid, phone},
				Attributes:   identity.Attributes{Name: name},
				Interactions: []identity.Interaction{{Type: identity.InteractionLeadForm, Time: t}},
			}
			out = append(out, fan, lead)
		case identity.ChannelEcommerce:
			buyer := identity.Identifier{Kind: identity.KindBuyer, Scope: "tmall", Value: fmt.Sprintf("tb%08d", p)}
			for k := range 1 + r.IntN(4) {
				tid := fmt.Sprintf("T%d%s", k, tag)
				rec := identity.Record{
					Channel: identity.ChannelEcommerce, Source: "tmall", ID: tid, Observed: next(),
					Identifiers: []identity.Identifier{buyer, phone},
					Attributes:  identity.Attributes{Name: name, Province: loc[0], City: loc[1]},
				}
				if k > 0 && r.IntN(100) < 30 {
					// The platform masked the receiver's number.
					rec.Identifiers = []identity.Identifier{buyer}
					rec.Withheld = []identity.Withheld{{Field: "receiver_mobile", Reason: identity.ReasonMaskedPhone, Value: "138****5678"}}
				}
				order := identity.Order{Platform: "tmall", ID: tid, Status: identity.OrderPaid, AmountFen: fen(), Currency: "CNY", Time: rec.Observed, Category: "50010788"}
				rec.Orders = []identity.Order{order}
				out = append(out, rec)
				w.buyerRecs[p] = append(w.buyerRecs[p], rec.Key())
				if r.IntN(100) < 10 {
					// The shop's ERP sends the same order again, under its
					// own record id.
					erp := identity.Record{
						Channel: identity.ChannelEcommerce, Source: "erp", ID: tid, Observed: next(),
						Identifiers: []identity.Identifier{buyer},
						Orders:      []identity.Order{order},
					}
					out = append(out, erp)
					w.buyerRecs[p] = append(w.buyerRecs[p], erp.Key())
				}
				if r.IntN(100) < 25 {
					// Refunded later: a new version of the same record.
					v := rec
					v.Observed = next()
					v.Orders = []identity.Order{order}
					v.Orders[0].Status = identity.OrderRefunded
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// orderKey is an order's identity: platform and order id.
type orderKey struct{ platform, id string }

// orderStates folds the orders of record versions by (platform, id), each
// in the state of the most recently observed version naming it; at equal
// times refunded and cancelled win over paid, and paid over unpaid, as
// package merge documents.
func orderStates(recs []*identity.Record) map[orderKey]identity.Order {
	rank := func(s identity.OrderStatus) int {
		switch s {
		case identity.OrderRefunded, identity.OrderCancelled:
			return 2
		case identity.OrderPaid:
			return 1
		}
		return 0
	}
	out := map[orderKey]identity.Order{}
	when := map[orderKey]time.Time{}
	for _, rec := range recs {
		for _, o := range rec.Orders {
			k := orderKey{o.Platform, o.ID}
			prev, seen := out[k]
			if !seen || rec.Observed.After(when[k]) || (rec.Observed.Equal(when[k]) && rank(o.Status) > rank(prev.Status)) {
				out[k], when[k] = o, rec.Observed
			}
		}
	}
	return out
}

// truth returns the ground truth: one profile per person, and the paid
// orders of the newest versions of the records, each counted once.
func (w *workload) truth() totals {
	var recs []*identity.Record
	for _, v := range w.latest {
		recs = append(recs, v)
	}
	tr := totals{Profiles: w.people, Records: len(w.latest)}
	for _, o := range orderStates(recs) {
		if o.Status == identity.OrderPaid {
			tr.PaidOrders++
			tr.SpendFen += o.AmountFen
		}
	}
	return tr
}

// several is the person checkProfile returns for a profile that holds
// records of several people while that is allowed (see w.strict).
const several = -2

// checkProfile checks one profile against the workload: its records are
// versions the workload made, all of one person (or, unless w.strict, of
// several linked by a hub receipt or a gift order: it then returns
// several); its orders are exactly the orders of those versions, each
// once and in the state of the newest version naming it; its paid-order
// count and spend are what those orders say; and its stage is what the
// ladder gives for them. It returns the person.
func (w *workload) checkProfile(p *merge.Profile) (int, error) {
	if len(p.Records) == 0 {
		return -1, fmt.Errorf("profile %s holds no record", p.ID)
	}
	person := -1
	mixed, linked := false, false
	var recs []*identity.Record
	for _, ref := range p.Records {
		v := w.byPrint[ref.Key.String()+"\x00"+ref.Fingerprint]
		if v == nil {
			return -1, fmt.Errorf("profile %s: record %v holds content the workload never sent (fingerprint %s)", p.ID, ref.Key, ref.Fingerprint)
		}
		if !ref.Observed.Equal(v.Observed) {
			return -1, fmt.Errorf("profile %s: record %v observed %v, sent %v", p.ID, ref.Key, ref.Observed, v.Observed)
		}
		who := w.owner[ref.Key]
		linked = linked || w.links[ref.Key]
		if person >= 0 && who != person {
			mixed = true
			if w.strict {
				return -1, fmt.Errorf("profile %s: false merge: records of people %d and %d", p.ID, person, who)
			}
		}
		person = who
		recs = append(recs, v)
	}
	if mixed && !linked {
		return -1, fmt.Errorf("profile %s: false merge of several people, none of whose records links people", p.ID)
	}
	if mixed {
		person = several
		w.mixed.Add(1)
	}

	want := orderStates(recs)
	if len(p.Orders) != len(want) {
		return person, fmt.Errorf("profile %s lists %d orders, its records name %d", p.ID, len(p.Orders), len(want))
	}
	paid, windowed := 0, 0
	var spend int64
	intent := false
	for _, o := range p.Orders {
		wo, ok := want[orderKey{o.Platform, o.ID}]
		if !ok {
			return person, fmt.Errorf("profile %s lists order %s/%s that none of its records names", p.ID, o.Platform, o.ID)
		}
		if o.Status != wo.Status || o.AmountFen != wo.AmountFen || o.Currency != wo.Currency {
			return person, fmt.Errorf("profile %s: order %s/%s is %s %d %s, its newest record says %s %d %s",
				p.ID, o.Platform, o.ID, o.Status, o.AmountFen, o.Currency, wo.Status, wo.AmountFen, wo.Currency)
		}
		if o.Status != identity.OrderPaid {
			intent = true
			continue
		}
		paid++
		spend += o.AmountFen
		if o.Time.After(p.AsOf.Add(-365 * merge.Day)) {
			windowed++
		}
	}
	if p.Metrics.PaidOrders != paid || p.Metrics.OrdersInWindow != windowed {
		return person, fmt.Errorf("profile %s: metrics say %d paid orders (%d in window), its orders say %d (%d)",
			p.ID, p.Metrics.PaidOrders, p.Metrics.OrdersInWindow, paid, windowed)
	}
	if got := spendCNY(p); got != spend {
		return person, fmt.Errorf("profile %s: metrics say %d fen spent, its paid orders say %d", p.ID, got, spend)
	}

	promotes := false
	for _, id := range p.Identifiers {
		intent = intent || id.Identifier.Kind == identity.KindMember
	}
	for _, e := range p.Events {
		intent = intent || e.Type.Intent()
		promotes = promotes || e.Type == identity.InteractionRepost || e.Type == identity.InteractionMention
	}
	var stage merge.Stage
	switch {
	case paid == 0 && intent:
		stage = merge.StageTarget
	case paid == 0:
		stage = merge.StagePotential
	case paid == 1:
		stage = merge.StageFirstPurchase
	case p.Metrics.NPS != nil && p.Metrics.NPS.Score >= 9 && promotes:
		stage = merge.StageAdvocate
	case windowed >= 5:
		stage = merge.StageLoyal
	default:
		stage = merge.StageRepeat
	}
	if p.Stage != stage {
		return person, fmt.Errorf("profile %s is in stage %s, its content says %s", p.ID, p.Stage, stage)
	}
	return person, nil
}

// spendCNY returns the profile's total paid spend in CNY fen.
func spendCNY(p *merge.Profile) int64 {
	for _, s := range p.Metrics.Spend {
		if s.Currency == "CNY" {
			return s.TotalFen
		}
	}
	return 0
}

// totals are what a set of profiles adds up to, or the ground truth of what
// they must add up to.
type totals struct {
	Profiles   int
	Records    int
	PaidOrders int
	SpendFen   int64
}

// checkProfiles checks a set of profiles read in one snapshot: each one by
// [workload.checkProfile]; no profile id, record or order in two profiles;
// and every record in acked (the newest version of each record
// acknowledged before the snapshot began) held at that version or a newer
// one. It returns what the profiles add up to.
func (w *workload) checkProfiles(profiles []*merge.Profile, acked map[identity.RecordKey]time.Time) (totals, error) {
	var tot totals
	var errs []error
	fail := func(err error) {
		if len(errs) < 10 {
			errs = append(errs, err)
		}
	}
	ids := map[string]bool{}
	held := map[identity.RecordKey]time.Time{}
	orders := map[orderKey]string{}
	for _, p := range profiles {
		tot.Profiles++
		tot.Records += len(p.Records)
		tot.PaidOrders += p.Metrics.PaidOrders
		tot.SpendFen += spendCNY(p)
		if ids[p.ID] {
			fail(fmt.Errorf("profile %s listed twice", p.ID))
		}
		ids[p.ID] = true
		if _, err := w.checkProfile(p); err != nil {
			fail(err)
		}
		for _, ref := range p.Records {
			if _, dup := held[ref.Key]; dup {
				fail(fmt.Errorf("record %v in two profiles", ref.Key))
			}
			held[ref.Key] = ref.Observed
		}
		for _, o := range p.Orders {
			k := orderKey{o.Platform, o.ID}
			if other, dup := orders[k]; dup {
				fail(fmt.Errorf("order %s/%s counted in profiles %s and %s", o.Platform, o.ID, other, p.ID))
			}
			orders[k] = p.ID
		}
	}
	lost := 0
	for k, at := range acked {
		got, ok := held[k]
		switch {
		case !ok:
			lost++
			fail(fmt.Errorf("acknowledged record %v is held by no profile", k))
		case got.Before(at):
			lost++
			fail(fmt.Errorf("record %v held at version %v, older than the acknowledged %v", k, got, at))
		}
	}
	if lost > 0 {
		errs = append(errs, fmt.Errorf("%d acknowledged records lost or rolled back in all", lost))
	}
	return tot, errors.Join(errs...)
}

// snapshot reads every profile in one snapshot ([Store.Snapshot]).
func snapshot(ctx context.Context, s *Store) ([]*merge.Profile, error) {
	var out []*merge.Profile
	err := s.Snapshot(ctx, func(p *merge.Profile) error {
		out = append(out, p)
		return nil
	})
	return out, err
}

// newest returns, for each record in versions, its newest observed time.
func newest(versions []identity.Record) map[identity.RecordKey]time.Time {
	out := map[identity.RecordKey]time.Time{}
	for i := range versions {
		k := versions[i].Key()
		if at, ok := out[k]; !ok || versions[i].Observed.After(at) {
			out[k] = versions[i].Observed
		}
	}
	return out
}

// checkFinal checks a store that has ingested the whole workload: Verify
// is clean; the profiles pass [workload.checkProfiles] with every record
// at its newest version; there is one profile per person, holding all of
// that person's records and found by their phone; and paid orders and
// spend add up to the ground truth, each order counted once.
func (w *workload) checkFinal(ctx context.Context, s *Store) (totals, error) {
	w.strict = true
	defer func() { w.strict = false }()
	rep, err := s.Verify(ctx)
	if err != nil {
		return totals{}, err
	}
	if !rep.OK() {
		return totals{}, fmt.Errorf("Verify found %d problems, first: %s", len(rep.Problems), rep.Problems[0])
	}
	profiles, err := snapshot(ctx, s)
	if err != nil {
		return totals{}, err
	}
	tot, err := w.checkProfiles(profiles, newest(w.versions))
	if err != nil {
		return tot, err
	}
	tr := w.truth()
	if tot != tr {
		return tot, fmt.Errorf("profiles add up to %+v, the ground truth is %+v", tot, tr)
	}
	if rep.Profiles != tr.Profiles || rep.Records != tr.Records {
		return tot, fmt.Errorf("Verify counted %d profiles and %d records, the ground truth is %d and %d", rep.Profiles, rep.Records, tr.Profiles, tr.Records)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		return tot, err
	}
	if st.Profiles != tr.Profiles || st.Records != tr.Records {
		return tot, fmt.Errorf("Stats counts %d profiles and %d records, the ground truth is %d and %d", st.Profiles, st.Records, tr.Profiles, tr.Records)
	}
	// One profile per person: N profiles, each of one person, holding
	// every record between them, leave one per person; check it by phone
	// all the same, the way a user looks a customer up.
	holder := map[int]string{}
	for _, p := range profiles {
		person, _ := w.checkProfile(p)
		if other, ok := holder[person]; ok {
			return tot, fmt.Errorf("person %d split across profiles %s and %s", person, other, p.ID)
		}
		holder[person] = p.ID
	}
	for person, phone := range w.phones {
		p, err := s.ByIdentifier(ctx, phone)
		if err != nil {
			return tot, fmt.Errorf("person %d by phone: %w", person, err)
		}
		if p.ID != holder[person] {
			return tot, fmt.Errorf("person %d: phone finds profile %s, their records are in %s", person, p.ID, holder[person])
		}
	}
	for i, h := range w.hubPhones {
		if _, err := s.ByIdentifier(ctx, h); len(w.hubRecs[i]) > 0 && !errors.Is(err, ErrHub) {
			return tot, fmt.Errorf("a shop number typed for many people: %v, want ErrHub", err)
		}
	}
	return tot, nil
}

// separate applies the operator's separations whose two records are
// acknowledged (all of them with acked nil) and returns those left.
func (w *workload) separate(ctx context.Context, s *Store, pending [][2]identity.RecordKey, acked func(identity.RecordKey) bool) ([][2]identity.RecordKey, error) {
	var left [][2]identity.RecordKey
	for _, sp := range pending {
		if acked != nil && (!acked(sp[0]) || !acked(sp[1])) {
			left = append(left, sp)
			continue
		}
		if _, err := s.Separate(ctx, sp[0], sp[1]); err != nil {
			return nil, fmt.Errorf("separate %v and %v: %w", sp[0], sp[1], err)
		}
	}
	return left, nil
}
