package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// giftsToOne returns n Taobao trades of n buyer accounts that all ship to
// one receiver, by her name and phone: a relative who takes in a family's
// parcels, or a daigou who forwards them.
func giftsToOne(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"tid":%d,"buyer_open_uid":"AAbuyer%05d","receiver_name":"李秀英","receiver_mobile":"13912340009","receiver_state":"浙江","receiver_city":"杭州市","payment":"99","created":"2026-0%d-%02d 10:00:00","status":"TRADE_FINISHED"}`+"\n",
			880000+i, i, 1+i%8, 1+i%28)
	}
	return b.String()
}

// TestEraseReceiverOfManyBuyers erases the receiver of 200 buyers' gifts
// in one erasure: she is gone, and no buyer's order holds her phone.
func TestEraseReceiverOfManyBuyers(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	const buyers = 200
	ingestString(t, s, giftsToOne(buyers))
	her, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(her.Records); got != buyers {
		t.Fatalf("the receiver has %d records, want one per gift (%d)", got, buyers)
	}
	before := s.splitRecomputes.Load()
	if err := s.Erase(ctx, her.ID); err != nil {
		t.Fatalf("erasing the receiver of %d buyers: %v", buyers, err)
	}
	// The buyers share her phone, so one component: recomputing it once
	// a buyer cost the square of their number (73 s at 2,500 buyers).
	if n := s.splitRecomputes.Load() - before; n != 1 {
		t.Errorf("the erasure recomputed the buyers' component %d times, want once", n)
	}
	if p, err := s.ByIdentifier(ctx, taobaoPhone("13912340009")); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased receiver: profile %s, %v; want ErrNotFound", pidOf(p), err)
	}
	if profiles, holding := holdingHer(t, s); profiles != buyers || holding != 0 {
		t.Errorf("after the erasure: %d profiles, %d holding her phone; want the %d buyers' without it", profiles, holding, buyers)
	}
}

// holdingHer counts the profiles of s and those that hold the phone of
// giftsToOne's receiver.
func holdingHer(t *testing.T, s *Store) (profiles, holding int) {
	t.Helper()
	err := s.Snapshot(context.Background(), func(p *merge.Profile) error {
		profiles++
		if slices.ContainsFunc(p.Identifiers, func(st merge.IdentifierState) bool { return st.Identifier == taobaoPhone("13912340009") }) {
			holding++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return profiles, holding
}

// buyersWithoutHer checks that s holds the profiles of the buyers and
// none of them her phone, after what after names, and that Verify
// finds nothing.
func buyersWithoutHer(t *testing.T, s *Store, buyers int, after string) {
	t.Helper()
	if profiles, holding := holdingHer(t, s); profiles != buyers || holding != 0 {
		t.Errorf("after %s: %d profiles, %d holding her phone; want the %d buyers' without it", after, profiles, holding, buyers)
	}
	mustVerify(t, s)
}

// giftsInSmallTransactions ingests giftsToOne(buyers) into a new store
// at the default sizes (a gift rewrites her whole profile), calls between
// if not nil, and opens the store again with 1 MiB memtables, where one
// transaction holds about a hundred buyers' orders. The store is closed
// when the test ends.
func giftsInSmallTransactions(t *testing.T, buyers int, between func(*Store)) *Store {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	opts := Options{Keys: testKeys(crypto.GenerateRootKey()), Clock: func() time.Time { return asOf }}
	s, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	ingestString(t, s, giftsToOne(buyers))
	if between != nil {
		between(s)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	opts.Badger.MemTableSize = 1 << 20
	if s, err = Open(ctx, dir, opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestEraseReceiverOverSeveralTransactions erases the receiver of 300
// buyers' gifts where one transaction holds far fewer of their orders
// (1 MiB memtables): the erasure takes her out of them a chunk of buyers
// a transaction. In one transaction it failed with ErrTxnTooBig, as the
// receiver of 10,000 buyers did at the default size: she could not be
// erased at all.
func TestEraseReceiverOverSeveralTransactions(t *testing.T) {
	ctx := context.Background()
	const buyers = 300
	s := giftsInSmallTransactions(t, buyers, nil)
	her, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatal(err)
	}
	before := s.splitRecomputes.Load()
	if err := s.Erase(ctx, her.ID); err != nil {
		t.Fatalf("erasing the receiver of %d buyers: %v", buyers, err)
	}
	if n := s.splitRecomputes.Load() - before; n < 2 {
		t.Errorf("the erasure took her out of the buyers' orders in %d transactions; the test wants them not to fit one", n)
	}
	buyersWithoutHer(t, s, buyers, "the erasure")
}

// TestEraseReceiverReadsEachBuyerOnce erases the receiver of 200 buyers'
// gifts, 50 buyers a transaction: each transaction recomputes the buyers
// it takes her out of, and no others. Buyers who no longer hold her phone
// share nothing with those who still do; the recomputation of a chunk
// reached the rest through her phone, so the erasure read 200 + 150 +
// 100 + 50 profiles, and at 10,000 buyers ten times as many as it took
// her out of. The store is then what erasing her in one transaction
// leaves.
func TestEraseReceiverReadsEachBuyerOnce(t *testing.T) {
	ctx := context.Background()
	const buyers, chunk = 200, 50
	erased := func(chunk int) *Store {
		s := openTestStore(t, "", crypto.GenerateRootKey())
		ingestString(t, s, giftsToOne(buyers))
		her, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
		if err != nil {
			t.Fatal(err)
		}
		s.eraseStripChunk = chunk
		if err := s.Erase(ctx, her.ID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := erased(chunk)
	if diff := cmp.Diff(viewOf(t, erased(buyers)), viewOf(t, s)); diff != "" {
		t.Errorf("store (-in one transaction +in chunks):\n%s", diff)
	}
	// The counters of s count only its erasure.
	if n := s.splitRecomputes.Load(); n != buyers/chunk {
		t.Errorf("%d recomputations, want one a chunk (%d)", n, buyers/chunk)
	}
	if n := s.splitProfilesRead.Load(); n != buyers {
		t.Errorf("the recomputations read %d profiles, want each buyer's once (%d)", n, buyers)
	}
	buyersWithoutHer(t, s, buyers, "the erasure")
}

// TestEraseReceiverFinishedAfterCrash stops an erasure after its first
// transaction, as a crash would leave it: the buyers it did not reach
// still hold the receiver's phone, Verify says the erasure is owed, and
// opening the database again finishes it.
func TestEraseReceiverFinishedAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir, root := t.TempDir(), crypto.GenerateRootKey()
	s := openTestStore(t, dir, root)
	const buyers, chunk = 200, 64
	ingestString(t, s, giftsToOne(buyers))
	her, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatal(err)
	}
	s.eraseStripChunk, s.eraseStopsAfterFirst = chunk, true
	if err := s.Erase(ctx, her.ID); err != nil {
		t.Fatal(err)
	}
	if _, holding := holdingHer(t, s); holding != buyers-chunk {
		t.Fatalf("after the first transaction %d buyers hold her phone, want %d", holding, buyers-chunk)
	}
	r, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(r.Problems, func(pr string) bool { return strings.HasPrefix(pr, "U ") }) {
		t.Errorf("Verify of the interrupted erasure: %q, want its U entry owed", r.Problems)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, dir, root)
	buyersWithoutHer(t, s, buyers, "Open")
}

// BenchmarkGiftsToOneReceiver ingests, one at a time, the gifts of
// -gifts.n buyer accounts to one receiver, and reports the cost of a
// gift: each one resolves again the component of every gift before it,
// so the cost grows with their number.
func BenchmarkGiftsToOneReceiver(b *testing.B) {
	benchGifts(b, giftsToOne, 100, 200, 800)
}

// giftsToStation writes the Taobao trades of n buyer accounts shipped to
// one parcel station's phone, each under its buyer's own receiver name,
// as a station that does not call itself one (驿站) appears.
func giftsToStation(n int) string {
	sur := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平")
	var b strings.Builder
	for i := range n {
		name := string([]rune{sur[i%len(sur)], given[i/len(sur)%len(given)], given[i/7%len(given)]})
		fmt.Fprintf(&b, `{"tid":%d,"buyer_open_uid":"AAbuyer%05d","receiver_name":"%s","receiver_mobile":"13912340009","receiver_state":"浙江","receiver_city":"杭州市","payment":"99","created":"2026-0%d-%02d 10:00:00","status":"TRADE_FINISHED"}`+"\n",
			880000+i, i, name, 1+i%8, 1+i%28)
	}
	return b.String()
}

// TestGiftsToStationMakeAHub ingests 200 buyers' orders shipped to one
// phone under many names: the phone is a hub, which links no one, so the
// buyers keep profiles of their own and a new order reaches none of
// them (BenchmarkGiftsToStation: the cost of an order does not grow).
func TestGiftsToStationMakeAHub(t *testing.T) {
	ctx := context.Background()
	const buyers = 200
	s := openTestStore(t, "", crypto.GenerateRootKey())
	sum := ingestString(t, s, giftsToStation(buyers))
	if _, err := s.ByIdentifier(ctx, taobaoPhone("13912340009")); !errors.Is(err, ErrHub) {
		t.Fatalf("ByIdentifier of the station's phone: %v, want ErrHub", err)
	}
	orders, receivers := 0, 0
	err := s.Snapshot(ctx, func(p *merge.Profile) error {
		n := 0
		for _, r := range p.Records {
			if strings.Contains(r.Key.ID, merge.ReceiverSuffix) {
				receivers++
			} else {
				n++
			}
		}
		if n > 1 {
			t.Errorf("profile %s holds %d buyers' orders, want one", p.ID, n)
		}
		orders += n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if orders != buyers {
		t.Errorf("profiles hold %d orders, want %d", orders, buyers)
	}
	// A receiver behind a hub phone can be found by nothing: her record
	// would be a potential customer no one can reach, one an order (the
	// buyer, most often, collecting her own parcel). The records made
	// before the phone was flagged stay; no more are made, and the
	// summary counts each order's as a warning.
	threshold := 3 // merge.Options.HubThreshold's default
	if receivers > threshold+1 {
		t.Errorf("%d receiver records of orders to the station, want at most the %d before its phone was flagged", receivers, threshold+1)
	}
	if got := sum.Warnings[ReasonReceiverHub]; got != buyers-receivers || sum.Receivers != receivers {
		t.Errorf("summary: %d receiver records, %d %s warnings; want %d and %d", sum.Receivers, got, ReasonReceiverHub, receivers, buyers-receivers)
	}
	// A bulk load resolves the station's group record by record (a hub
	// is flagged in it), and so leaves the same.
	b := openTestStore(t, t.TempDir(), crypto.GenerateRootKey())
	src := BulkSource{File: "station.jsonl", Records: identity.Decode(strings.NewReader(giftsToStation(buyers)), identity.FormatEcommerce, identity.Options{})}
	bsum, err := b.BulkLoad(ctx, []BulkSource{src}, BulkOptions{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := bsum.Warnings[ReasonReceiverHub]; got != buyers-receivers || bsum.Receivers != receivers {
		t.Errorf("bulk summary: %d receiver records, %d %s warnings; want %d and %d", bsum.Receivers, got, ReasonReceiverHub, receivers, buyers-receivers)
	}
	if diff := cmp.Diff(viewOf(t, s), viewOf(t, b)); diff != "" {
		t.Errorf("store (-ingested +bulk-loaded):\n%s", diff)
	}
	// Read again, the orders change nothing and warn of nothing more.
	again := ingestString(t, s, giftsToStation(buyers))
	if again.Unchanged != buyers || again.Receivers != 0 || again.Warnings[ReasonReceiverHub] != 0 {
		t.Errorf("the same orders again: %d unchanged, %d receiver records, %d %s warnings; want %d, 0 and 0",
			again.Unchanged, again.Receivers, again.Warnings[ReasonReceiverHub], ReasonReceiverHub, buyers)
	}
	// A receiver record made before the flag follows its order.
	moved := strings.Replace(strings.SplitAfter(giftsToStation(1), "\n")[0], "浙江", "江苏", 1)
	upd := ingestString(t, s, moved)
	if upd.Updated != 1 || upd.Receivers != 1 || upd.Warnings[ReasonReceiverHub] != 0 {
		t.Errorf("a new version of the first order: %d updated, %d receiver records, %d %s warnings; want 1, 1 and 0",
			upd.Updated, upd.Receivers, upd.Warnings[ReasonReceiverHub], ReasonReceiverHub)
	}
	mustVerify(t, s)
	mustVerify(t, b)
}

// BenchmarkGiftsToStation is BenchmarkGiftsToOneReceiver with the orders
// shipped to a parcel station under many names: the phone becomes a hub,
// and an order costs the same at 200 and at 800.
func BenchmarkGiftsToStation(b *testing.B) {
	benchGifts(b, giftsToStation, 200, 800)
}

// benchGifts ingests the orders gifts(n) writes, one at a time, into a
// new store for each n of sizes, and reports the cost of an order.
func benchGifts(b *testing.B, gifts func(n int) string, sizes ...int) {
	for _, n := range sizes {
		in := gifts(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s := openTestStore(b, "", crypto.GenerateRootKey())
				b.StartTimer()
				ingestString(b, s, in)
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/gift")
		})
	}
}

// BenchmarkEraseReceiverOfManyBuyers erases the receiver of n buyers'
// gifts, bulk-loaded: the erasure stores every buyer's profile again
// without her, and recomputes their component.
func BenchmarkEraseReceiverOfManyBuyers(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1000, 2500, 10000} { // 10,000: over one transaction
		in := []byte(giftsToOne(n))
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s := openTestStore(b, b.TempDir(), crypto.GenerateRootKey())
				src := BulkSource{File: "gifts.jsonl", Records: identity.Decode(bytes.NewReader(in), identity.FormatEcommerce, identity.Options{})}
				if _, err := s.BulkLoad(ctx, []BulkSource{src}, BulkOptions{}); err != nil {
					b.Fatal(err)
				}
				her, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := s.Erase(ctx, her.ID); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// TestRestoreStripsReceiverOverSeveralTransactions restores a backup of
// 300 buyers' gifts taken before their receiver was erased, where one
// transaction holds far fewer of their orders: the restore takes her out
// of them again as the erasure did, a chunk of buyers a transaction. In
// the restore's one transaction it failed with ErrTxnTooBig.
func TestRestoreStripsReceiverOverSeveralTransactions(t *testing.T) {
	ctx := context.Background()
	const buyers = 300
	var backup bytes.Buffer
	s := giftsInSmallTransactions(t, buyers, func(s *Store) {
		if err := s.Backup(ctx, &backup); err != nil {
			t.Fatal(err)
		}
	})
	her, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, her.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatalf("restoring the backup taken before her erasure: %v", err)
	}
	if profiles, holding := holdingHer(t, s); profiles != buyers || holding != 0 {
		t.Errorf("after the restore: %d profiles, %d holding her phone; want the %d buyers' without it", profiles, holding, buyers)
	}
	if p, err := s.ByIdentifier(ctx, taobaoPhone("13912340009")); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased receiver after the restore: profile %s, %v; want ErrNotFound", pidOf(p), err)
	}
	mustVerify(t, s)
}

// TestEraseReceiverStripFails fails the strip of an erasure's buyers
// after its first transaction: Erase says so, the receiver is erased,
// the erasure stays owed (Verify), and Maintain finishes it.
func TestEraseReceiverStripFails(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir(), crypto.GenerateRootKey())
	const buyers, chunk = 200, 64
	ingestString(t, s, giftsToOne(buyers))
	her, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatal(err)
	}
	failed := errors.New("the disk went away")
	s.eraseStripChunk, s.stripFails = chunk, failed
	if err := s.Erase(ctx, her.ID); !errors.Is(err, failed) {
		t.Fatalf("Erase with a failing strip: %v, want its error", err)
	}
	if _, err := s.ByID(ctx, her.ID); !errors.Is(err, ErrErased) {
		t.Errorf("the receiver after the failed strip: %v, want ErrErased", err)
	}
	r, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(r.Problems, func(pr string) bool { return strings.HasPrefix(pr, "U ") }) {
		t.Errorf("Verify after the failed strip: %q, want the erasure owed", r.Problems)
	}
	s.stripFails = nil
	if err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	buyersWithoutHer(t, s, buyers, "Maintain")
}
