package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// TestErasedReceiverStaysErased erases a gift's receiver, who had no
// record but the one her buyer's order made: her phone must be
// suppressed like any erased person's, so that neither a record of her
// own from another channel nor the buyer's next gift to her brings her
// back. Before, the buyer's profile, which holds her phone only as a
// gift's receiver, counted as "another live profile carrying it": the
// phone was not suppressed and both came back as a new profile.
func TestErasedReceiverStaysErased(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	ingestString(t, s, giftOrders)
	mum, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, mum.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("her own record", func(t *testing.T) {
		pos := identity.Record{
			Channel: identity.ChannelPOS, Source: "pos", ID: "r-9001", Observed: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC),
			Identifiers: []identity.Identifier{taobaoPhone("13912340009")},
			Attributes:  identity.Attributes{Name: "李秀英"},
		}
		r, err := s.Ingest(ctx, pos)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != OutcomeSuppressed {
			t.Errorf("a receipt with the erased receiver's phone: %s, want %s", r.Outcome, OutcomeSuppressed)
		}
	})
	t.Run("the buyer's next gift", func(t *testing.T) {
		sum := ingestString(t, s, `{"tid":770006,"buyer_open_uid":"AAfang","receiver_name":"李秀英","receiver_mobile":"13912340009","receiver_state":"浙江","receiver_city":"杭州市","payment":"99","created":"2026-09-01 10:00:00","status":"TRADE_FINISHED"}`)
		// The order is the buyer's: it is kept, without her phone, name
		// and address, and says so. Before, it was refused whole and the
		// buyer's purchase was missing from her profile.
		if sum.Read != 1 || sum.Accepted != 1 || sum.Warnings[ReasonSuppressed] != 1 || sum.Receivers != 0 {
			t.Errorf("the buyer's next gift: %+v, want 1 read, accepted with a suppressed warning", sum)
		}
		buyer, err := s.ByIdentifier(ctx, taobaoPhone("13912340001"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(buyer.Orders, func(o merge.OrderState) bool { return o.ID == "770006" }) {
			t.Error("the buyer's next gift is not among her orders")
		}
		for _, st := range buyer.Identifiers {
			if st.Identifier == taobaoPhone("13912340009") && slices.ContainsFunc(buyer.Records, func(r merge.RecordRef) bool {
				return r.Key.ID == "770006" && slices.Contains(r.Identifiers, st.Identifier)
			}) {
				t.Error("the buyer's next gift still holds the erased receiver's phone")
			}
		}
		for _, r := range buyer.Records {
			if r.Key.ID == "770006" && r.Name != "" {
				t.Error("the buyer's next gift still holds the erased receiver's name")
			}
		}
		if p, err := s.ByIdentifier(ctx, taobaoPhone("13912340009")); !errors.Is(err, ErrNotFound) {
			t.Errorf("the erased receiver after her buyer's next gift: profile %s, %v; want ErrNotFound", pidOf(p), err)
		}
	})
	mustVerify(t, s)
}

func TestReceiverEraseRestore(t *testing.T) { forEachEngine(t, onDisk, testReceiverEraseRestore) }

// testReceiverEraseRestore erases a gift's receiver after a backup and
// then her buyer, restores the backup, and imports the orders again:
// neither comes back, the orders are refused as the buyer's, and the
// database verifies clean.
func testReceiverEraseRestore(t *testing.T, e testEngine) {
	ctx := context.Background()
	s, backup := giftOrdersBackedUp(t, e)
	buyerPhone, mumPhone := taobaoPhone("13912340001"), taobaoPhone("13912340009")
	for _, phone := range []identity.Identifier{mumPhone, buyerPhone} {
		p, err := s.ByIdentifier(ctx, phone)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Erase(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Restore(ctx, bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatal(err)
	}
	sum := ingestString(t, s, giftOrders)
	if sum.Read != 5 || sum.Quarantined[ReasonErased] != 5 || sum.Receivers != 0 || sum.ProfilesCreated != 0 {
		t.Errorf("re-import after the restore: %+v, want the 5 orders refused as erased and nothing made", sum)
	}
	for name, phone := range map[string]identity.Identifier{"buyer": buyerPhone, "receiver": mumPhone} {
		if p, err := s.ByIdentifier(ctx, phone); !errors.Is(err, ErrNotFound) {
			t.Errorf("the erased %s: profile %s, %v; want ErrNotFound", name, pidOf(p), err)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Three erased ids for two people: erasing the receiver moved the
	// buyer to a new id (her orders stored again without the receiver),
	// and the buyer was erased under it; the backup holds her under the
	// old id, which the restore erases as well.
	if st.Profiles != 0 || st.Erased != 3 {
		t.Errorf("%d profiles and %d erased, want none and 3", st.Profiles, st.Erased)
	}
	mustVerify(t, s)
}

// TestErasedReceiverLeavesBuyersOrders erases a gift's receiver and then
// looks for her in the orders her buyer placed before: their stored
// contents, the buyer's profile, and the buyer's old data key on disk,
// which sealed the orders as they were. Before, the buyer's earlier
// orders kept her phone, name and address for good: an erasure removed
// her own profile, but not what her buyer's profile held of her.
func TestErasedReceiverLeavesBuyersOrders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{Keys: testKeys(crypto.GenerateRootKey()), Clock: func() time.Time { return asOf }, NoAtRestEncryption: true})
	if err != nil {
		t.Fatal(err)
	}
	ingestString(t, s, giftOrders)
	buyerPhone, mumPhone := taobaoPhone("13912340001"), taobaoPhone("13912340009")
	oldID, wrapped := wrappedKeyOf(t, s, "13912340001")
	mum, err := s.ByIdentifier(ctx, mumPhone)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, mum.ID); err != nil {
		t.Fatal(err)
	}
	buyer, err := s.ByIdentifier(ctx, buyerPhone)
	if err != nil {
		t.Fatal(err)
	}
	if len(buyer.Orders) != 5 {
		t.Errorf("the buyer holds %d orders after her receiver's erasure, want all 5", len(buyer.Orders))
	}
	for _, st := range buyer.Identifiers {
		if st.Identifier == mumPhone {
			t.Errorf("the buyer's profile still holds the erased receiver's phone (%s)", st.Status)
		}
	}
	for _, g := range buyer.Gifts {
		if g.Profile == mum.ID || g.Record.ID == "770004" {
			t.Errorf("the buyer's gift of order %s still names the erased receiver (profile %q)", g.Record.ID, g.Profile)
		}
	}
	for _, r := range buyer.Records {
		if slices.Contains(r.Identifiers, mumPhone) || slices.Contains(r.Receivers, mumPhone) || r.Name == "李秀英" {
			t.Errorf("the buyer's record %s still names the erased receiver", r.Key.ID)
		}
	}
	err = s.read(ctx, func(tx *txn) error {
		for _, ref := range buyer.Records {
			lr, err := tx.record(tx.recordTag(ref.Key))
			if err != nil {
				return err
			}
			rec, err := tx.content(lr)
			if err != nil {
				return err
			}
			if slices.Contains(rec.Identifiers, mumPhone) || slices.Contains(rec.Receivers, mumPhone) || rec.Attributes.Name == "李秀英" || rec.Attributes.City == "杭州市" {
				t.Errorf("the stored order %s still holds the erased receiver", ref.Key.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.ByID(ctx, oldID); err != nil || p.ID != buyer.ID {
		t.Errorf("the buyer's old id leads to %s, %v; want her profile %s", pidOf(p), err, buyer.ID)
	}
	// A re-import of her orders changes nothing and brings nobody back.
	sum := ingestString(t, s, giftOrders)
	if sum.Receivers != 0 || sum.ProfilesCreated != 0 {
		t.Errorf("re-import: %+v, want no receiver records and no profiles made", sum)
	}
	if p, err := s.ByIdentifier(ctx, mumPhone); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased receiver after the re-import: profile %s, %v; want ErrNotFound", pidOf(p), err)
	}
	closeErased(t, s, dir, wrapped, "erasing the buyer's receiver")
}

// recordingPurge is Badger that records the prefixes it is asked to
// purge.
type recordingPurge struct {
	*Badger
	prefixes [][]byte
}

func (r *recordingPurge) Purge(ctx context.Context, prefixes ...[]byte) error {
	for _, p := range prefixes {
		r.prefixes = append(r.prefixes, slices.Clone(p))
	}
	return r.Badger.Purge(ctx, prefixes...)
}

// TestErasedReceiverPurgesBuyersOldKeys erases a gift's receiver and
// checks what the purge is asked to drop: every version of the erased
// profile's data key and profile, and of the data key the buyer's old id
// sealed her orders under (her new id has a key of its own). On disk
// TestErasedReceiverLeavesBuyersOrders cannot tell: the purge of the
// receiver's keys rewrites the one table of so small a database, and
// that drops the buyer's old key with it.
func TestErasedReceiverPurgesBuyersOldKeys(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	b, err := OpenBadger(BadgerOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	kv := &recordingPurge{Badger: b}
	s, err := OpenKV(ctx, kv, root, Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ingestString(t, s, giftOrders)
	buyer, mum := eraseMum(t, s)
	buyerID, _ := ParseProfileID(buyer.ID)
	mumID, _ := ParseProfileID(mum.ID)
	for _, want := range []struct {
		what   string
		prefix []byte
	}{
		{"the receiver's data key", dataKeyKey(mumID)},
		{"the receiver's profile", profileKey(mumID)},
		{"the data key of the buyer's old id", dataKeyKey(buyerID)},
	} {
		if !slices.ContainsFunc(kv.prefixes, func(p []byte) bool { return bytes.Equal(p, want.prefix) }) {
			t.Errorf("the erasure did not purge %s", want.what)
		}
	}
	// Its data key suffices: each prefix costs DropPrefix a comparison
	// with every key of the tables it rewrites.
	if slices.ContainsFunc(kv.prefixes, func(p []byte) bool { return bytes.Equal(p, profileKey(buyerID)) }) {
		t.Errorf("the erasure purged the profile key of the buyer's old id as well as its data key")
	}
}

// eraseMum erases the receiver of giftOrders's gifts from s, which holds
// them, and returns the profiles of their buyer and of the receiver as
// they were before.
func eraseMum(t *testing.T, s *Store) (buyer, mum *merge.Profile) {
	t.Helper()
	ctx := context.Background()
	buyer, err := s.ByIdentifier(ctx, taobaoPhone("13912340001"))
	if err != nil {
		t.Fatal(err)
	}
	if mum, err = s.ByIdentifier(ctx, taobaoPhone("13912340009")); err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, mum.ID); err != nil {
		t.Fatal(err)
	}
	return buyer, mum
}

// giftOrdersBackedUp opens a store on e with an erasure journal, closed
// when the test ends, ingests giftOrders and returns it with a backup.
func giftOrdersBackedUp(t *testing.T, e testEngine) (*Store, *bytes.Buffer) {
	t.Helper()
	opts := Options{Keys: testKeys(crypto.GenerateRootKey()), Clock: func() time.Time { return asOf }, ErasureJournal: filepath.Join(t.TempDir(), "erasures.jsonl")}
	s, err := Open(context.Background(), e.dir(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ingestString(t, s, giftOrders)
	var backup bytes.Buffer
	if err := s.Backup(context.Background(), &backup); err != nil {
		t.Fatal(err)
	}
	return s, &backup
}

func TestErasedReceiverLeavesRestoredOrders(t *testing.T) {
	forEachEngine(t, onDisk, testErasedReceiverLeavesRestoredOrders)
}

// testErasedReceiverLeavesRestoredOrders restores a backup taken before a
// gift's receiver was erased: the restored buyer's orders name her again,
// and the restore must take her out of them as the erasure did.
func testErasedReceiverLeavesRestoredOrders(t *testing.T, e testEngine) {
	ctx := context.Background()
	s, backup := giftOrdersBackedUp(t, e)
	buyerPhone, mumPhone := taobaoPhone("13912340001"), taobaoPhone("13912340009")
	mum, err := s.ByIdentifier(ctx, mumPhone)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, mum.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatal(err)
	}
	buyer, err := s.ByIdentifier(ctx, buyerPhone)
	if err != nil {
		t.Fatal(err)
	}
	if len(buyer.Orders) != 5 {
		t.Errorf("the restored buyer holds %d orders, want 5", len(buyer.Orders))
	}
	for _, r := range buyer.Records {
		if slices.Contains(r.Identifiers, mumPhone) || r.Name == "李秀英" {
			t.Errorf("the restored buyer's record %s still names the erased receiver", r.Key.ID)
		}
	}
	if p, err := s.ByIdentifier(ctx, mumPhone); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased receiver after the restore: profile %s, %v; want ErrNotFound", pidOf(p), err)
	}
	mustVerify(t, s)
}
