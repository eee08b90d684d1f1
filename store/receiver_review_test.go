package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// The review of the receiver records (ad5d8cd): erasure, versions,
// explain and the two ingest paths.

// ingestString ingests e-commerce JSON lines with IngestAll.
func ingestString(t testing.TB, s *Store, lines string) Summary {
	t.Helper()
	sum, err := s.IngestAll(context.Background(), decodeString(lines, identity.FormatEcommerce, identity.Options{}), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// pidOf returns the id of p, or "none".
func pidOf(p *merge.Profile) string {
	if p == nil {
		return "none"
	}
	return p.ID
}

// groups returns the store's profiles as the sorted record keys of each,
// sorted: a picture of the resolution to compare two stores by.
func groups(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	err := s.Snapshot(context.Background(), func(p *merge.Profile) error {
		var keys []string
		for _, r := range p.Records {
			keys = append(keys, r.Key.String())
		}
		slices.Sort(keys)
		out = append(out, strings.Join(keys, " "))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// receiverV1 and receiverV2 are two exports of one trade: the second,
// modified later, ships it to another person at another phone (the buyer
// changed the address before it shipped).
const (
	receiverV1 = `{"tid":780001,"buyer_open_uid":"AAwei","receiver_name":"李秀英","receiver_mobile":"13912340009","payment":"99","created":"2026-06-01 10:00:00","status":"WAIT_SELLER_SEND_GOODS"}`
	receiverV2 = `{"tid":780001,"buyer_open_uid":"AAwei","receiver_name":"赵敏","receiver_mobile":"13912340010","payment":"99","created":"2026-06-01 10:00:00","modified":"2026-06-02 09:00:00","status":"WAIT_SELLER_SEND_GOODS"}`
	// receiverRefund is the trade of v2 refunded later: same receiver.
	receiverRefund = `{"tid":780001,"buyer_open_uid":"AAwei","receiver_name":"赵敏","receiver_mobile":"13912340010","payment":"99","created":"2026-06-01 10:00:00","pay_time":"2026-06-01 10:00:00","modified":"2026-06-20 09:00:00","status":"TRADE_CLOSED"}`
)

// TestReceiverVersions checks that the receiver record follows the
// order's versions as the order does: the newer export's receiver wins
// whatever the arrival order, the older export imported again changes
// nothing, and a refund of the same trade is an update of the order
// alone. Before, the receiver record was derived from the version
// arriving, dated by the order's time (equal in every version, so the
// later import won): the older export, arriving last, moved the receiver
// record back to the first phone while the order kept the second.
func TestReceiverVersions(t *testing.T) {
	ctx := context.Background()
	orders := map[string][]string{
		"v1 v2":    {receiverV1, receiverV2},
		"v2 v1":    {receiverV2, receiverV1},
		"v1 v2 v1": {receiverV1, receiverV2, receiverV1},
	}
	var want []string
	for _, name := range []string{"v1 v2", "v2 v1", "v1 v2 v1"} {
		t.Run(name, func(t *testing.T) {
			s := openTestStore(t, "", crypto.GenerateRootKey())
			var last Summary
			for _, o := range orders[name] {
				last = ingestString(t, s, o)
			}
			if name == "v1 v2 v1" && (last.Stale != 1 || last.Receivers != 0) {
				t.Errorf("the older export again: %+v, want 1 stale and no receiver record made or updated", last)
			}
			first, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("the first receiver's phone: profile %s, %v; want ErrNotFound (the newer export ships elsewhere)", pidOf(first), err)
			}
			second, err := s.ByIdentifier(ctx, taobaoPhone("13912340010"))
			if err != nil {
				t.Fatalf("the second receiver's phone: %v", err)
			}
			if f, _ := second.Field(merge.FieldPersonName); f.Value != "赵敏" {
				t.Errorf("the second receiver's name is %q, want the newer export's", f.Value)
			}
			got := groups(t, s)
			if want == nil {
				want = got
			} else if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("profiles differ from %q's (-want +got):\n%s", "v1 v2", diff)
			}
			mustVerify(t, s)

			refund := ingestString(t, s, receiverRefund)
			if refund.Updated != 1 || refund.Receivers != 0 || refund.ProfilesCreated != 0 {
				t.Errorf("the refund: %+v, want 1 updated and no receiver record made or updated", refund)
			}
			if diff := cmp.Diff(got, groups(t, s)); diff != "" {
				t.Errorf("the refund changed the profiles (-before +after):\n%s", diff)
			}
		})
	}
}

// TestReceiverExplainPair checks that explain names the receiver rule
// for a gift's order and its receiver's record.
func TestReceiverExplainPair(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	ingestString(t, s, giftOrders)
	order := identity.RecordKey{Channel: identity.ChannelEcommerce, Source: "taobao", ID: "770004"}
	rcv := order
	rcv.ID += merge.ReceiverSuffix
	e, err := s.ExplainPair(ctx, order, rcv)
	if err != nil {
		t.Fatal(err)
	}
	if e.Same || e.Rule != merge.RuleReceiver {
		t.Errorf("explain of the gift's order and its receiver: same %v, rule %q; want apart by %q", e.Same, e.Rule, merge.RuleReceiver)
	}
	home := identity.RecordKey{Channel: identity.ChannelEcommerce, Source: "taobao", ID: "770001"}
	rhome := home
	rhome.ID += merge.ReceiverSuffix
	if e, err := s.ExplainPair(ctx, home, rhome); err != nil || !e.Same {
		t.Errorf("explain of an order shipped home and its receiver: %+v, %v; want one profile", e, err)
	}

	// An operator says the receiver is the buyer after all: explain
	// names the assertion, not the gift's receiver phone, which links
	// nothing in that order.
	if _, err := s.Link(ctx, order, rcv, "operator"); err != nil {
		t.Fatal(err)
	}
	e, err = s.ExplainPair(ctx, order, rcv)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Same || len(e.Path) != 1 || e.Path[0].Link == nil {
		t.Errorf("explain of the linked gift's order and its receiver: %s; want one hop, the operator's link", e)
	}
}

// TestReceiverIngestPaths checks that IngestAll's pipelined path and
// Ingest one record at a time resolve the gift orders alike.
func TestReceiverIngestPaths(t *testing.T) {
	ctx := context.Background()
	all := openTestStore(t, "", crypto.GenerateRootKey())
	sum := ingestString(t, all, giftOrders)
	one := openTestStore(t, "", crypto.GenerateRootKey())
	receivers := 0
	for rec, err := range decodeString(giftOrders, identity.FormatEcommerce, identity.Options{}) {
		if err != nil {
			t.Fatal(err)
		}
		r, err := one.Ingest(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		receivers += r.Receivers
	}
	if receivers != sum.Receivers {
		t.Errorf("Ingest counted %d receiver records, IngestAll %d", receivers, sum.Receivers)
	}
	if diff := cmp.Diff(groups(t, all), groups(t, one)); diff != "" {
		t.Errorf("profiles (-IngestAll +Ingest):\n%s", diff)
	}
}

func TestReceiverEngines(t *testing.T) { forEachEngine(t, onDisk, testReceiverEngines) }

// testReceiverEngines runs the receiver records on each engine (on
// PostgreSQL IngestAll does not pipeline): a database an older build
// wrote gets them on Open, and the versions of a trade resolve as on
// Badger.
func testReceiverEngines(t *testing.T, e testEngine) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	dir := e.dir(t)
	opts := Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }}
	old, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	old.noReceivers = true
	ingestString(t, old, giftOrders)
	if err := old.kv.Update(ctx, func(tx Txn) error { return tx.Delete(metaKey(metaReceivers)) }); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ByIdentifier(ctx, taobaoPhone("13912340009")); err != nil {
		t.Errorf("the gift's receiver after Open: %v, want her profile", err)
	}
	again := ingestString(t, s, giftOrders)
	if again.Unchanged != 5 || again.Receivers != 0 {
		t.Errorf("re-import after the backfill: %+v, want 5 unchanged and no receiver record made", again)
	}
	for _, o := range []string{receiverV2, receiverV1} {
		ingestString(t, s, o)
	}
	if p, err := s.ByIdentifier(ctx, taobaoPhone("13912340010")); err != nil || len(p.Records) != 2 {
		t.Errorf("the newer export's receiver: %v; want the trade and its receiver record on one profile", err)
	}
	if p, err := s.ByIdentifier(ctx, taobaoPhone("13912340009")); err != nil || slices.ContainsFunc(p.Records, func(r merge.RecordRef) bool { return strings.HasPrefix(r.Key.ID, "780001") }) {
		t.Errorf("the older export's receiver (the gift's receiver too): %v, want her profile without trade 780001's records", err)
	}
	mustVerify(t, s)
}
