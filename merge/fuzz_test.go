package merge_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// recordsFrom reads records from fuzz bytes, five bytes a record: source
// and whether the time is known, day, which identifiers, which values,
// name and order. Small pools make records link, collide and hit limits;
// phone 99 with several names becomes a hub.
func recordsFrom(data []byte) []identity.Record {
	sources := []identity.Channel{identity.ChannelPOS, identity.ChannelWeChat, identity.ChannelWeibo, identity.ChannelEcommerce, identity.ChannelCSV}
	names := []string{"", "张伟", "王芳", "李娜", "刘洋", "陈静"}
	statuses := []identity.OrderStatus{identity.OrderPaid, identity.OrderRefunded, identity.OrderUnpaid, identity.OrderCancelled}
	var out []identity.Record
	for i := 0; i+5 <= len(data) && len(out) < 24; i += 5 {
		b := data[i : i+5]
		ch := sources[int(b[0]&0x7f)%len(sources)]
		r := identity.Record{Channel: ch, Source: string(ch), ID: fmt.Sprintf("r%02d", len(out))}
		if b[0]&0x80 == 0 {
			r.Observed = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(b[1]) * 2 * merge.Day)
		}
		v := func(shift uint) int { return int(b[3]>>shift) & 3 }
		for bit, id := range []identity.Identifier{
			phone(v(0)), phone(4 + v(2)), phone(99), unionid(fmt.Sprint(v(4))),
			openid("app", fmt.Sprint(v(6))), member("store", fmt.Sprint("M", v(0))), email(fmt.Sprint(v(2))), weibo(fmt.Sprint(v(4))),
		} {
			if b[2]&(1<<bit) != 0 {
				r.Identifiers = append(r.Identifiers, id)
			}
		}
		r.Attributes.Name = names[int(b[4]&7)%len(names)]
		if b[4]&8 != 0 {
			r.Orders = []identity.Order{{Platform: "shop", ID: fmt.Sprint("o", b[4]>>6), Status: statuses[int(b[4]>>4)&3], AmountFen: int64(b[1]) * 100, Time: r.Observed}}
		}
		out = append(out, r)
	}
	return out
}

// FuzzResolve ingests the records the input describes forwards, and
// backwards with every record twice, and requires the same profiles, a
// store that passes every invariant check, nothing left to do for a full
// recomputation, and, forwards, each change of Add's fast paths equal to
// what a recomputation gives.
func FuzzResolve(f *testing.F) {
	f.Add([]byte("\x00\x01\x05\x00\x11\x01\x02\x09\x00\x22\x02\x03\x04\x00\x33\x03\x04\x04\x00\x44\x04\x05\x04\x00\x55"))
	f.Add([]byte("\x00\x10\x01\x00\x19\x01\x11\x09\x01\x2a\x02\x12\x08\x01\x3b\x83\x13\x22\x02\x0c"))
	f.Add([]byte("\x00\x01\x21\x00\x01\x00\x02\x21\x01\x02\x00\x03\x21\x02\x03\x00\x04\x21\x03\x04\x00\x05\x24\x00\x05"))
	r, err := merge.New(merge.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs := recordsFrom(data)
		if len(recs) == 0 {
			return
		}
		forward := newTestStore(t, r)
		for _, rec := range recs {
			forward.addCompared(rec, asOf)
		}
		backward := newTestStore(t, r)
		for i := range recs {
			backward.add(recs[len(recs)-1-i], asOf)
		}
		for _, rec := range recs {
			if ch := backward.add(rec, asOf); !ch.NoOp {
				t.Fatalf("record %s again changed the store", rec.ID)
			}
		}
		if diff := cmp.Diff(forward.anonymous(), backward.anonymous()); diff != "" {
			t.Fatalf("profiles depend on arrival order (-forward +backward):\n%s", diff)
		}
		if ch := forward.do(r.Resolve(forward, forward.all(), forward.newID, asOf)); !ch.NoOp {
			t.Fatalf("a full recomputation changed %d profiles", len(ch.Profiles))
		}
	})
}
