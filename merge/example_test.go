package merge_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// memory is a store kept in maps: what a real store keeps in Badger,
// sealed and blind-indexed, in one transaction per change.
type memory struct {
	records  map[identity.RecordKey]identity.Record
	holder   map[identity.RecordKey]string           // record key -> profile id
	profiles map[string][]byte                       // profile id -> profile (sealed, in a real store)
	decoded  map[string]*merge.Profile               // profile id -> profile, opened
	index    map[identity.Identifier]map[string]bool // identifier -> profile ids
	hubs     map[identity.Identifier]bool
	pending  map[identity.Identifier][]merge.Credit // referrer phone -> credits waiting for it
	forwards map[string]string                      // merged-away id -> survivor
	ids      int
}

func newMemory() *memory {
	return &memory{
		records: map[identity.RecordKey]identity.Record{}, holder: map[identity.RecordKey]string{},
		profiles: map[string][]byte{}, decoded: map[string]*merge.Profile{}, index: map[identity.Identifier]map[string]bool{},
		hubs: map[identity.Identifier]bool{}, pending: map[identity.Identifier][]merge.Credit{},
		forwards: map[string]string{},
	}
}

// profile returns a copy of the profile with the id.
func (m *memory) profile(id string) *merge.Profile { return m.decoded[id].Clone() }

// Holder, Lookup, Records and Pending implement merge.Reader.
func (m *memory) Holder(k identity.RecordKey) (*merge.Profile, error) {
	if id, ok := m.holder[k]; ok {
		return m.decoded[id], nil
	}
	return nil, nil
}

func (m *memory) Lookup(id identity.Identifier) ([]*merge.Profile, bool, error) {
	if m.hubs[id] {
		return nil, true, nil
	}
	var out []*merge.Profile
	for pid := range m.index[id] {
		out = append(out, m.decoded[pid])
	}
	return out, false, nil
}

func (m *memory) Records(profileID string) ([]identity.Record, error) {
	var out []identity.Record
	for _, ref := range m.decoded[profileID].Records {
		out = append(out, m.records[ref.Key])
	}
	return out, nil
}

func (m *memory) Pending(phone identity.Identifier) ([]merge.Credit, error) {
	return m.pending[phone], nil
}

func (m *memory) newID() string {
	m.ids++
	return fmt.Sprintf("p%d", m.ids)
}

// apply writes a change, and rec, the record that caused it, if any.
func (m *memory) apply(ch *merge.Change, rec *identity.Record) {
	if ch.NoOp {
		return
	}
	if ch.Record != nil {
		rec = ch.Record // the versions of the record combined
	}
	if rec != nil {
		m.records[rec.Key()] = *rec
	}
	for _, p := range ch.Profiles {
		b, err := json.Marshal(p)
		if err != nil {
			panic(err)
		}
		var opened merge.Profile
		if err := json.Unmarshal(b, &opened); err != nil {
			panic(err)
		}
		m.profiles[p.ID], m.decoded[p.ID] = b, &opened
	}
	for _, f := range ch.Forwards {
		delete(m.profiles, f.From)
		delete(m.decoded, f.From)
		m.forwards[f.From] = f.To
	}
	for _, a := range ch.Assign {
		m.holder[a.Record] = a.Profile
	}
	for _, e := range ch.Index {
		if e.Remove {
			delete(m.index[e.Identifier], e.Profile)
			continue
		}
		if m.index[e.Identifier] == nil {
			m.index[e.Identifier] = map[string]bool{}
		}
		m.index[e.Identifier][e.Profile] = true
	}
	for _, h := range ch.Hubs {
		m.hubs[h] = true
	}
	for _, phone := range ch.Claimed {
		delete(m.pending, phone)
	}
	for _, cr := range ch.Pending {
		list := slices.DeleteFunc(m.pending[cr.Referrer], func(c merge.Credit) bool { return c.Referred == cr.Referred })
		if !cr.Revoked {
			list = append(list, cr)
		}
		m.pending[cr.Referrer] = list
	}
}

func (m *memory) add(r *merge.Resolver, rec identity.Record, asOf time.Time) (*merge.Change, error) {
	ch, err := r.Add(m, rec, m.newID, asOf)
	if err != nil {
		return nil, err
	}
	m.apply(ch, &rec)
	return ch, nil
}

func ExampleResolver() {
	r, err := merge.New(merge.Options{})
	if err != nil {
		panic(err)
	}
	store := newMemory()
	cst := time.FixedZone("CST", 8*3600)
	phone := identity.Identifier{Kind: identity.KindPhone, Value: "+8613912345678"}
	unionid := identity.Identifier{Kind: identity.KindUnionID, Value: "o6_bmasdasdsad6_2sgVt7hMZOPfL"}
	weibo := identity.Identifier{Kind: identity.KindWeiboUID, Value: "1404376560"}

	records := []identity.Record{
		// An anonymous Weibo fan reposts the brand.
		{Channel: identity.ChannelWeibo, Source: "weibo", ID: "1404376560", Observed: time.Date(2026, 3, 1, 20, 0, 0, 0, cst),
			Identifiers:  []identity.Identifier{weibo},
			Interactions: []identity.Interaction{{Type: identity.InteractionRepost, ID: "5012", Time: time.Date(2026, 3, 1, 20, 0, 0, 0, cst)}}},
		// A WeChat follower with a verified phone.
		{Channel: identity.ChannelWeChat, Source: "wx-service", ID: "wxapp/oA1", Observed: time.Date(2026, 4, 2, 9, 0, 0, 0, cst),
			Identifiers: []identity.Identifier{phone, unionid},
			Attributes:  identity.Attributes{Nickname: "晓梅", Gender: identity.GenderFemale, City: "深圳"}},
		// The Weibo fan leaves the same phone in a lead form: the two
		// profiles merge.
		{Channel: identity.ChannelWeibo, Source: "weibo-leads", ID: "lead-77", Observed: time.Date(2026, 5, 3, 12, 0, 0, 0, cst),
			Identifiers:  []identity.Identifier{weibo, phone},
			Interactions: []identity.Interaction{{Type: identity.InteractionLeadForm, Time: time.Date(2026, 5, 3, 12, 0, 0, 0, cst)}}},
		// Two receipts at a store counter.
		{Channel: identity.ChannelPOS, Source: "pos", ID: "SZ01/R1001", Observed: time.Date(2026, 6, 4, 15, 0, 0, 0, cst),
			Identifiers: []identity.Identifier{phone}, Attributes: identity.Attributes{Name: "李晓梅"},
			Orders: []identity.Order{{Platform: "pos", ID: "SZ01/R1001", Status: identity.OrderPaid, AmountFen: 29900, Currency: "CNY", Time: time.Date(2026, 6, 4, 15, 0, 0, 0, cst)}}},
		{Channel: identity.ChannelPOS, Source: "pos", ID: "SZ01/R1002", Observed: time.Date(2026, 8, 9, 15, 0, 0, 0, cst),
			Identifiers: []identity.Identifier{phone},
			Orders:      []identity.Order{{Platform: "pos", ID: "SZ01/R1002", Status: identity.OrderPaid, AmountFen: 15900, Currency: "CNY", Time: time.Date(2026, 8, 9, 15, 0, 0, 0, cst)}}},
	}
	asOf := time.Date(2026, 11, 23, 0, 0, 0, 0, cst)
	for _, rec := range records {
		ch, err := store.add(r, rec, asOf)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-22s created %d, merged %d, recomputed %t\n", rec.Key().ID, len(ch.Created), len(ch.Forwards), ch.Recomputed)
	}
	// Ingesting a record again changes nothing.
	ch, _ := store.add(r, records[3], asOf)
	fmt.Println("again: no-op", ch.NoOp)

	p := store.profile(store.holder[records[0].Key()])
	name, _ := p.Field(merge.FieldPersonName)
	fmt.Printf("%s: %d records, stage %s, risk %s, spend %d fen, name from %s\n",
		p.ID, len(p.Records), p.Stage, p.Risk, p.Metrics.Spend[0].TotalFen, name.From.Record.Channel)
	for _, l := range r.Explain(p) {
		fmt.Println(l)
	}
	// Output:
	// 1404376560             created 1, merged 0, recomputed false
	// wxapp/oA1              created 1, merged 0, recomputed false
	// lead-77                created 0, merged 1, recomputed true
	// SZ01/R1001             created 0, merged 0, recomputed false
	// SZ01/R1002             created 0, merged 0, recomputed false
	// again: no-op true
	// p1: 5 records, stage repeat, risk at_risk, spend 45800 fen, name from pos
	// pos/pos/SZ01/R1001: phone -> pos/pos/SZ01/R1002, wechat/wx-service/wxapp/oA1, weibo/weibo-leads/lead-77
	// pos/pos/SZ01/R1002: phone -> pos/pos/SZ01/R1001, wechat/wx-service/wxapp/oA1, weibo/weibo-leads/lead-77
	// wechat/wx-service/wxapp/oA1: phone -> pos/pos/SZ01/R1001, pos/pos/SZ01/R1002, weibo/weibo-leads/lead-77
	// weibo/weibo/1404376560: weibo_uid -> weibo/weibo-leads/lead-77
	// weibo/weibo-leads/lead-77: phone -> pos/pos/SZ01/R1001, pos/pos/SZ01/R1002, wechat/wx-service/wxapp/oA1; weibo_uid -> weibo/weibo/1404376560
}

func ExampleResolver_ExplainPair() {
	r, _ := merge.New(merge.Options{})
	store := newMemory()
	asOf := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	home := identity.Identifier{Kind: identity.KindPhone, Value: "+862012345678"}
	wife := identity.Record{Channel: identity.ChannelWeChat, Source: "wx", ID: "oWife", Observed: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Identifiers: []identity.Identifier{home, {Kind: identity.KindUnionID, Value: "uWife"}}}
	husband := identity.Record{Channel: identity.ChannelWeChat, Source: "wx", ID: "oHusband", Observed: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		Identifiers: []identity.Identifier{home, {Kind: identity.KindUnionID, Value: "uHusband"}}}
	for _, rec := range []identity.Record{wife, husband} {
		if _, err := store.add(r, rec, asOf); err != nil {
			panic(err)
		}
	}
	e, err := r.ExplainPair(store, wife.Key(), husband.Key())
	if err != nil {
		panic(err)
	}
	fmt.Println(e)
	// Output:
	// wechat/wx/oWife and wechat/wx/oHusband are apart: limit (unionid); wechat/wx/oWife -phone-> wechat/wx/oHusband
}

func ExampleResolver_Refresh() {
	r, _ := merge.New(merge.Options{})
	store := newMemory()
	bought := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := identity.Record{Channel: identity.ChannelPOS, Source: "pos", ID: "SH01/R7", Observed: bought,
		Identifiers: []identity.Identifier{{Kind: identity.KindPhone, Value: "+8613912340007"}},
		Orders:      []identity.Order{{Platform: "pos", ID: "SH01/R7", Status: identity.OrderPaid, AmountFen: 59900, Time: bought}}}
	if _, err := store.add(r, rec, bought); err != nil {
		panic(err)
	}
	p := store.profile(store.holder[rec.Key()])
	fmt.Println(p.Stage, p.Risk, "until", p.NextRefresh.Format(time.DateOnly))
	later, changed, _ := r.Refresh(p, p.NextRefresh)
	fmt.Println(later.Stage, later.Risk, changed)
	// Output:
	// first_purchase active until 2026-08-28
	// first_purchase at_risk true
}
