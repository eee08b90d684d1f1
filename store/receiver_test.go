package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// giftOrders is a Taobao buyer who ships three orders home and one to her
// mother, who has no record of her own, and one to an office front desk.
const giftOrders = `{"tid":770001,"buyer_open_uid":"AAfang","receiver_name":"王芳","receiver_mobile":"13912340001","receiver_state":"上海","receiver_city":"上海市","payment":"10","created":"2026-03-01 10:00:00","status":"TRADE_FINISHED"}
{"tid":770002,"buyer_open_uid":"AAfang","receiver_name":"王芳","receiver_mobile":"13912340001","payment":"10","created":"2026-04-01 10:00:00","status":"TRADE_FINISHED"}
{"tid":770003,"buyer_open_uid":"AAfang","receiver_name":"王 芳","receiver_mobile":"13912340001","payment":"10","created":"2026-05-01 10:00:00","status":"TRADE_FINISHED"}
{"tid":770004,"buyer_open_uid":"AAfang","receiver_name":"李秀英","receiver_mobile":"13912340009","receiver_state":"浙江","receiver_city":"杭州市","payment":"99","created":"2026-06-01 10:00:00","status":"TRADE_FINISHED"}
{"tid":770005,"buyer_open_uid":"AAfang","receiver_name":"星辰公司前台","receiver_mobile":"13912340077","payment":"10","created":"2026-07-01 10:00:00","status":"TRADE_FINISHED"}`

func taobaoPhone(n string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindPhone, Value: "+86" + n}
}

// TestGiftReceiverGetsAProfile checks issue 14's receiver rule end to end:
// a gift's receiver who has no record of their own becomes a customer of
// their own (a potential one), found by their phone, with the gift
// received; the buyer's profile lists it as sent to that profile. Orders
// shipped home leave no second profile, an order to an office front desk
// makes nobody, a re-import makes nothing twice, and once the receiver is
// erased a re-import does not bring them back. Before, the mother was on
// no profile: ByIdentifier of her phone answered ErrNotFound and the
// gift named no receiving profile.
func TestGiftReceiverGetsAProfile(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	sum, err := s.IngestAll(ctx, decodeString(giftOrders, identity.FormatEcommerce, identity.Options{}), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 5 || sum.Accepted != 5 || sum.Receivers != 4 {
		t.Errorf("summary %+v, want 5 read, 5 accepted and 4 receiver records (none for the front desk)", sum)
	}
	buyer, err := s.ByIdentifier(ctx, taobaoPhone("13912340001"))
	if err != nil {
		t.Fatal(err)
	}
	mum, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatalf("the gift receiver's phone: %v, want her own profile", err)
	}
	if mum.ID == buyer.ID {
		t.Fatal("the gift receiver is on the buyer's profile")
	}
	if _, err := s.ByIdentifier(ctx, taobaoPhone("13912340077")); !errors.Is(err, ErrNotFound) {
		t.Errorf("the front desk's phone: %v, want ErrNotFound (an organisation is nobody)", err)
	}
	gift := identity.RecordKey{Channel: identity.ChannelEcommerce, Source: "taobao", ID: "770004"}
	if diff := cmp.Diff([]merge.Gift{{Record: gift, Received: true, Profile: buyer.ID, Time: mum.Gifts[0].Time}}, mum.Gifts); diff != "" {
		t.Errorf("the receiver's gifts (-want +got):\n%s", diff)
	}
	if i := slices.IndexFunc(buyer.Gifts, func(g merge.Gift) bool { return g.Record == gift }); i < 0 || buyer.Gifts[i].Profile != mum.ID || buyer.Gifts[i].Received {
		t.Errorf("the buyer's gifts %+v, want the gift sent to %s", buyer.Gifts, mum.ID)
	}
	if mum.Stage != merge.StagePotential || len(mum.Orders) != 0 {
		t.Errorf("the receiver is %s with %d orders, want potential with none (the order is the buyer's)", mum.Stage, len(mum.Orders))
	}
	if f, _ := mum.Field(merge.FieldPersonName); f.Value != "李秀英" {
		t.Errorf("the receiver's name is %q, want the order's receiver name", f.Value)
	}
	if len(buyer.Orders) != 5 {
		t.Errorf("the buyer has %d orders, want all 5", len(buyer.Orders))
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Profiles != 2 {
		t.Errorf("%d profiles, want the buyer and her mother", st.Profiles)
	}
	mustVerify(t, s)

	again, err := s.IngestAll(ctx, decodeString(giftOrders, identity.FormatEcommerce, identity.Options{}), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Unchanged != 5 || again.Receivers != 0 || again.ProfilesCreated != 0 {
		t.Errorf("re-import %+v, want 5 unchanged and nothing made", again)
	}

	if err := s.Erase(ctx, mum.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IngestAll(ctx, decodeString(giftOrders, identity.FormatEcommerce, identity.Options{}), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.ByIdentifier(ctx, taobaoPhone("13912340009")); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased receiver after a re-import: %v, %v; want ErrNotFound", p, err)
	}
	mustVerify(t, s)
}

// readRecords counts the records of p that were read from a source: its
// receiver records are derived from them.
func readRecords(p *merge.Profile) int {
	n := 0
	for _, r := range p.Records {
		if !strings.HasSuffix(r.Key.ID, merge.ReceiverSuffix) {
			n++
		}
	}
	return n
}

// TestReceiversBackfilled opens a database an older build wrote, whose
// orders have no receiver records: Open derives them once, so the gift's
// receiver is found by her phone without a re-import, and a second Open
// derives nothing.
func TestReceiversBackfilled(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	dir := t.TempDir()
	old := openTestStore(t, dir, root)
	old.noReceivers = true
	if _, err := old.IngestAll(ctx, decodeString(giftOrders, identity.FormatEcommerce, identity.Options{}), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := old.kv.Update(ctx, func(tx Txn) error { return tx.Delete(metaKey(metaReceivers)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := old.ByIdentifier(ctx, taobaoPhone("13912340009")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the receiver in the older build's database: %v, want ErrNotFound (the test proves nothing)", err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s := openTestStore(t, dir, root)
	mum, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatalf("the receiver after Open: %v, want her own profile", err)
	}
	if len(mum.Gifts) != 1 || !mum.Gifts[0].Received {
		t.Errorf("the receiver's gifts %+v, want the one received", mum.Gifts)
	}
	mustVerify(t, s)
	n, err := s.backfillReceivers(ctx)
	if err != nil || n != 0 {
		t.Errorf("a second backfill made %d records (%v), want none", n, err)
	}
}
