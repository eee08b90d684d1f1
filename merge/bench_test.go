package merge_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// grown returns a store holding one profile of n records: till receipts
// with one phone, an order each, a like on every third, three names.
func grown(b *testing.B, r *merge.Resolver, n int) *memory {
	b.Helper()
	m := newMemory()
	names := []string{"李梅", "李 梅", "Li Mei"}
	for i := range n {
		at := day(2025, 1, 1).Add(time.Duration(i) * merge.Day / 3)
		rec := paid(named(rec(fmt.Sprintf("r%04d", i), at, phone(1)), names[i%3]), fmt.Sprint("o", i), int64(1000+i), at)
		if i%3 == 0 {
			rec.Interactions = []identity.Interaction{{Type: identity.InteractionLike, ID: fmt.Sprint("m", i), Time: at}}
		}
		if _, err := m.add(r, rec, asOf); err != nil {
			b.Fatal(err)
		}
	}
	if len(m.profiles) != 1 {
		b.Fatalf("%d profiles, want 1", len(m.profiles))
	}
	return m
}

// nativeRecords returns the records of n people as the identity adapters
// read them from the channels' native exports: per person a WeChat
// follower with a verified phone, a Weibo fan with a comment, a Tmall
// trade with two lines and a till receipt with a member number, every one
// carrying the person's phone.
func nativeRecords(tb testing.TB, n int) []identity.Record {
	tb.Helper()
	names := []string{"王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊"}
	cities := [][2]string{{"广东", "深圳"}, {"上海", "上海"}, {"四川", "成都"}, {"浙江", "杭州"}}
	var wechat, weibo, shop strings.Builder
	pos := strings.Builder{}
	pos.WriteString("paid_at,store_id,receipt_no,member_no,mobile,customer_name,amount,currency,category,status,referrer_mobile\n")
	for i := range n {
		mobile := fmt.Sprintf("139%08d", 12340000+i)
		name, pc := names[i%len(names)], cities[i%len(cities)]
		fmt.Fprintf(&wechat, `{"subscribe":1,"openid":"oX%07d","unionid":"oU%07d","nickname":"小%s","sex":%d,"language":"zh_CN","province":"%s","city":"%s","country":"中国","subscribe_time":%d,"subscribe_scene":"ADD_SCENE_QR_CODE","tagid_list":[2,101],"appid":"wx8a1b2c3d4e5f6071","phone_info":{"purePhoneNumber":"%s","countryCode":"86"}}`+"\n",
			i, i, name, 1+i%2, pc[0], pc[1], 1764554520+i*600, mobile)
		fmt.Fprintf(&weibo, `{"idstr":"56%08d","screen_name":"%s的微博","gender":"f","location":"%s %s","description":"喜欢护肤","followers_count":%d,"created_at":"Sat Mar 14 20:15:00 +0800 2020","mobile":"%s","interactions":[{"type":"comment","created_at":"Sat Mar 14 20:15:00 +0800 2026","mid":"5%07d","text":"好用"}]}`+"\n",
			i, name, pc[0], pc[1], 100+i, mobile, i)
		fmt.Fprintf(&shop, `{"tid":33010%011d,"buyer_nick":"%s","buyer_open_uid":"AAK%07d","receiver_name":"%s","receiver_mobile":"%s","receiver_state":"%s","receiver_city":"%s","receiver_district":"南山区","payment":"389.00","created":"2026-08-15 22:40:00","pay_time":"2026-08-15 22:41:00","status":"TRADE_FINISHED","orders":[{"oid":"1%07d","title":"精华液 30ml","num":"1","price":"289.00","cid":"50011977"},{"oid":"2%07d","title":"面膜 5片","num":"2","price":"50.00","cid":"50011979"}]}`+"\n",
			i, name, i, name, mobile, pc[0], pc[1], i, i)
		fmt.Fprintf(&pos, "2026-06-10 15:20:00,CS08,CS08-%07d,M%07d,%s,%s,299.00,CNY,护肤,paid,\n", i, i, mobile, name)
	}
	var out []identity.Record
	for _, in := range []struct {
		f    identity.Format
		text string
	}{{identity.FormatWeChat, wechat.String()}, {identity.FormatWeibo, weibo.String()}, {identity.FormatEcommerce, shop.String()}, {identity.FormatPOS, pos.String()}} {
		for rec, err := range identity.Decode(strings.NewReader(in.text), in.f, identity.Options{Source: string(in.f)}) {
			if err != nil {
				tb.Fatalf("%s: %v", in.f, err)
			}
			out = append(out, rec)
		}
	}
	if len(out) != 4*n {
		tb.Fatalf("decoded %d records, want %d", len(out), 4*n)
	}
	return out
}

// receipt is a till receipt like the ones a bulk load brings most: a
// phone, a name (one the profiles of grown state), a city and one paid
// order.
func receipt(id string, at time.Time, ph identity.Identifier) identity.Record {
	r := named(rec(id, at, ph), "李梅")
	r.Attributes.Province, r.Attributes.City = "广东", "深圳"
	return paid(r, id, 29900, at)
}

// BenchmarkAdd measures one Add as the store calls it during a bulk load,
// without the store's own costs (reads, sealing, writes; see
// BenchmarkProfileJSON for the size of what it writes):
//
//   - new: a record that reaches no profile and creates one, cycling
//     through the records of every channel;
//   - fold: a new receipt with the phone of a profile of n records, which
//     folds in without reading any record;
//   - recompute: a newer version of one of the profile's records, which
//     recomputes the profile from all n records.
func BenchmarkAdd(b *testing.B) {
	r := newResolver(b, merge.Options{})
	b.Run("new", func(b *testing.B) {
		recs := nativeRecords(b, 64)
		m := newMemory()
		for _, in := range recs {
			if ch, err := r.Add(m, in, m.newID, asOf); err != nil || len(ch.Created) != 1 || ch.Recomputed {
				b.Fatalf("Add(%s) = %+v, %v; want one profile created", in.Key(), ch, err)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := r.Add(m, recs[i%len(recs)], m.newID, asOf); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	for _, path := range []string{"fold", "recompute"} {
		sizes := []int{1, 2, 5, 10, 100}
		if path == "recompute" {
			sizes = []int{1, 10, 100}
		}
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/records=%d", path, n), func(b *testing.B) {
				m := grown(b, r, n)
				in := receipt("new", day(2026, 6, 1), phone(1))
				if path == "recompute" {
					in = m.records[identity.RecordKey{Channel: identity.ChannelPOS, Source: "pos", ID: "r0000"}]
					in.Attributes.City = "深圳"
					in.Observed = in.Observed.Add(merge.Day) // a newer version
				}
				ch, err := r.Add(m, in, m.newID, asOf)
				if err != nil {
					b.Fatal(err)
				}
				if ch.Recomputed != (path == "recompute") || len(ch.Created) != 0 {
					b.Fatalf("recomputed %t, created %d on the %s path", ch.Recomputed, len(ch.Created), path)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.Add(m, in, m.newID, asOf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFingerprint measures the digest of one record, which Add
// computes for every record, over records of every channel as the
// adapters decode them.
func BenchmarkFingerprint(b *testing.B) {
	recs := nativeRecords(b, 16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		merge.Fingerprint(&recs[i%len(recs)])
		i++
	}
}

// BenchmarkProfileJSON measures encoding a profile of n records, what a
// store does before sealing it on every change, and reports its size.
func BenchmarkProfileJSON(b *testing.B) {
	r := newResolver(b, merge.Options{})
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			m := grown(b, r, n)
			var p *merge.Profile
			for _, v := range m.decoded {
				p = v
			}
			var size int
			b.ReportAllocs()
			for b.Loop() {
				out, err := json.Marshal(p)
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.ReportMetric(float64(size), "bytes/profile")
		})
	}
}

// BenchmarkRefresh measures recomputing the time-dependent values of a
// profile of n records (metrics, stage, risk; Refresh clones the profile
// first), what a store's Refresh does for every profile due.
func BenchmarkRefresh(b *testing.B) {
	r := newResolver(b, merge.Options{})
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			m := grown(b, r, n)
			var p *merge.Profile
			for _, v := range m.decoded {
				p = v
			}
			later := asOf.Add(90 * merge.Day)
			if q, _, err := r.Refresh(p, later); err != nil || q.Metrics.PaidOrders != n {
				b.Fatalf("Refresh: %v; want %d paid orders", err, n)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := r.Refresh(p, later); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
