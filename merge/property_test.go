package merge_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// genRecords returns n random records over small pools of identifiers,
// names and order ids, so that they link, collide, trip limits, share a
// placeholder phone (a hub) and repeat orders.
func genRecords(t testing.TB, seed uint64, n int) []identity.Record {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sources := []struct {
		ch  identity.Channel
		src string
	}{{identity.ChannelPOS, "pos"}, {identity.ChannelWeChat, "wx"}, {identity.ChannelWeibo, "weibo"}, {identity.ChannelEcommerce, "tmall"}, {identity.ChannelCSV, "crm"}}
	// Names with their spellings (one person each), so that the hub rule
	// counts people, and the receiver and recycling rules compare them.
	names := []string{"张伟", "張偉", "王芳", "王 芳", "Wang Fang", "王女士", "李娜", "刘洋", "陈静", "陳靜", "杨磊"}
	cities := []string{"上海", "深圳", "成都"}
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, cst)
	out := make([]identity.Record, n)
	for i := range out {
		src := sources[rng.IntN(len(sources))]
		r := identity.Record{Channel: src.ch, Source: src.src, ID: fmt.Sprintf("r%02d", i)}
		if rng.IntN(8) != 0 {
			r.Observed = start.Add(time.Duration(rng.IntN(600*24)) * time.Hour)
			if rng.IntN(5) == 0 {
				// Years before: a phone's earlier holder, or the same
				// person long silent (the recycling rule).
				r.Observed = r.Observed.AddDate(-3, 0, 0)
			}
		}
		for range rng.IntN(4) {
			var id identity.Identifier
			switch rng.IntN(8) {
			case 0, 1:
				id = phone(rng.IntN(6))
			case 2:
				id = phone(99) // the cashier's placeholder
			case 3:
				id = unionid(fmt.Sprint(rng.IntN(4)))
			case 4:
				id = openid(fmt.Sprint("app", rng.IntN(2)), fmt.Sprint(rng.IntN(4)))
			case 5:
				id = weibo(fmt.Sprint(rng.IntN(3)))
			case 6:
				id = member(fmt.Sprint("store", rng.IntN(2)), fmt.Sprint("M", rng.IntN(5)))
			default:
				id = email(fmt.Sprint("e", rng.IntN(3)))
			}
			r.Identifiers = append(r.Identifiers, id)
		}
		if rng.IntN(2) == 0 {
			r.Attributes.Name = names[rng.IntN(len(names))]
		}
		if rng.IntN(3) == 0 {
			r.Attributes.City = cities[rng.IntN(len(cities))]
		}
		if rng.IntN(4) == 0 {
			r.Attributes.Gender = []identity.Gender{identity.GenderFemale, identity.GenderMale}[rng.IntN(2)]
		}
		at := func() time.Time { return start.Add(time.Duration(rng.IntN(600*24)) * time.Hour) }
		statuses := []identity.OrderStatus{identity.OrderPaid, identity.OrderPaid, identity.OrderPaid, identity.OrderRefunded, identity.OrderCancelled, identity.OrderUnpaid}
		for range rng.IntN(3) {
			r.Orders = append(r.Orders, identity.Order{
				Platform: "shop", ID: fmt.Sprint("o", rng.IntN(15)), Status: statuses[rng.IntN(len(statuses))],
				AmountFen: int64(rng.IntN(100000)), Currency: []string{"CNY", "CNY", "HKD"}[rng.IntN(3)], Time: at(),
			})
		}
		types := []identity.InteractionType{identity.InteractionFollow, identity.InteractionRepost, identity.InteractionMention, identity.InteractionRegistration, identity.InteractionLike}
		for range rng.IntN(3) {
			in := identity.Interaction{Type: types[rng.IntN(len(types))], Time: at()}
			if rng.IntN(2) == 0 {
				in.ID = fmt.Sprint("m", rng.IntN(6))
			}
			r.Interactions = append(r.Interactions, in)
		}
		if rng.IntN(4) == 0 {
			r.Feedback = append(r.Feedback, identity.Feedback{Kind: identity.FeedbackNPS, Score: rng.IntN(11), Time: at()})
		}
		if rng.IntN(4) == 0 {
			r.Consent = append(r.Consent, identity.Consent{Purpose: identity.Purposes[rng.IntN(3)], Granted: rng.IntN(2) == 0, Time: at()})
		}
		if rng.IntN(5) == 0 {
			r.Referrals = append(r.Referrals, identity.Referral{Referrer: mustPhone(t, rng.IntN(6)), Time: at()})
		}
		if src.ch == identity.ChannelEcommerce {
			// An order of a buyer account shipped to a receiver, who is
			// the buyer or someone else (the receiver rule).
			recv := phone(rng.IntN(6))
			r.Identifiers = append(r.Identifiers, buyer(fmt.Sprint(rng.IntN(4))), recv)
			r.Receivers = []identity.Identifier{recv}
		}
		out[i] = r
	}
	// Later versions of some records: the same key, a later time, other
	// content. Hub flags are sticky (a version that drops a placeholder
	// phone does not make it a person's phone again), so a version only
	// adds identifiers to the one before it: see the package
	// documentation.
	latest := map[int]int{} // record -> its latest version in out
	for range n / 5 {
		j := rng.IntN(n)
		// Versions with distinct times combine in any order; at unknown
		// times the later import wins (merge/doc.go, "Versions").
		if out[j].Observed.IsZero() {
			out[j].Observed = start
		}
		// Each version follows the latest: a phone or e-mail, once
		// stated, is never dropped, since hub flags are sticky.
		if l, ok := latest[j]; ok {
			j = l
		}
		v := out[j]
		v.Identifiers = append([]identity.Identifier(nil), v.Identifiers...)
		v.Orders = append([]identity.Order(nil), v.Orders...)
		v.Receivers = slices.Clone(v.Receivers)
		switch rng.IntN(4) {
		case 0:
			v.Identifiers = append(v.Identifiers, phone(rng.IntN(6)))
		case 3:
			// Replace an identifier by another of its kind: the newer
			// version's value wins for that kind. Only kinds the hub rule
			// does not watch: hub flags are sticky, so a version that
			// drops a hub's phone or e-mail leaves it flagged, and
			// arrival order then counts (merge/doc.go).
			for k, id := range v.Identifiers {
				var nid identity.Identifier
				switch id.Kind {
				case identity.KindUnionID:
					nid = unionid(fmt.Sprint(rng.IntN(4)))
				case identity.KindWeiboUID:
					nid = weibo(fmt.Sprint(rng.IntN(3)))
				case identity.KindMember:
					nid = member(id.Scope, fmt.Sprint("M", rng.IntN(5)))
				case identity.KindBuyer:
					nid = buyer(fmt.Sprint(rng.IntN(4)))
				default:
					continue
				}
				v.Identifiers[k] = nid
				break
			}
		case 1:
			for i := range v.Orders {
				v.Orders[i].Status = identity.OrderRefunded
			}
		default:
			v.Referrals = nil
			v.Attributes.City = cities[rng.IntN(len(cities))]
		}
		if v.Observed.IsZero() {
			v.Observed = start
		}
		v.Observed = v.Observed.Add(time.Duration(1+rng.IntN(100*24)) * time.Hour)
		latest[slices.IndexFunc(out, func(r identity.Record) bool { return r.Key() == v.Key() })] = len(out)
		out = append(out, v)
	}
	return out
}

// TestArrivalOrderDoesNotMatter ingests the same records (and versions of
// some of them) in different orders, and every record twice, and requires
// the same profiles (ids aside). It then recomputes every component from its records and requires
// no change: the incremental folds and partial recomputations gave exactly
// what a full recomputation gives.
func TestArrivalOrderDoesNotMatter(t *testing.T) {
	seeds := seedCount(150, 30)
	r := newResolver(t, merge.Options{})
	for seed := range uint64(seeds) {
		recs := genRecords(t, seed, 30)
		in := newTestStore(t, r)
		folds := 0
		for _, rec := range recs {
			if ch := in.add(rec, asOf); !ch.Recomputed && len(ch.Created) == 0 {
				folds++
			}
		}
		rng := rand.New(rand.NewPCG(seed, 1))
		twice := append(append([]identity.Record(nil), recs...), recs...)
		rng.Shuffle(len(twice), func(i, j int) { twice[i], twice[j] = twice[j], twice[i] })
		shuffled := newTestStore(t, r)
		seen := map[string]bool{}
		for _, rec := range twice {
			rec.Line = rng.IntN(100)
			fp := merge.Fingerprint(&rec)
			if ch := shuffled.add(rec, asOf); seen[fp] && !ch.NoOp {
				t.Fatalf("seed %d: record %s ingested again changed the store", seed, rec.ID)
			}
			seen[fp] = true
		}
		if diff := cmp.Diff(in.anonymous(), shuffled.anonymous()); diff != "" {
			t.Fatalf("seed %d: profiles depend on arrival order (-in order +shuffled, twice):\n%s", seed, diff)
		}
		if ch := in.do(r.Resolve(in, in.all(), in.newID, asOf)); !ch.NoOp {
			t.Fatalf("seed %d: recomputing everything changed %d profiles: incremental results were not exact", seed, len(ch.Profiles))
		}
		if folds == 0 {
			t.Logf("seed %d: no fold", seed)
		}
	}
}

// TestFastPathsEqualRecompute ingests records and requires, before each,
// that Add's change equal the change a recomputation of the component
// gives (AddByRecompute): the fast paths for a record that creates a
// profile and for one that folds into a profile are exact. Recomputed,
// which says which path was taken, is the only difference allowed. The
// records are random ones over small pools, which link, collide and trip
// the protection rules, and the records of people across every channel
// as the adapters decode them, which mostly create and fold.
func TestFastPathsEqualRecompute(t *testing.T) {
	seeds := seedCount(40, 10)
	r := newResolver(t, merge.Options{})
	created, folded := 0, 0
	for seed := range uint64(seeds) {
		recs := mixedRecords(t, seed)
		s := newTestStore(t, r)
		for _, rec := range recs {
			if got := s.addCompared(rec, asOf); !got.Recomputed && !got.NoOp {
				if len(got.Created) > 0 {
					created++
				} else {
					folded++
				}
			}
		}
	}
	if created == 0 || folded == 0 {
		t.Fatalf("the fast paths were not taken: %d creations, %d folds", created, folded)
	}
	t.Logf("%d creations and %d folds compared", created, folded)
}

// addCompared ingests rec like add, after requiring Add's change to equal
// AddByRecompute's but for Recomputed.
func (s *testStore) addCompared(rec identity.Record, asOf time.Time) *merge.Change {
	s.t.Helper()
	ids := s.ids
	want, err := s.r.AddByRecompute(s, rec, s.newID, asOf)
	if err != nil {
		s.t.Fatalf("AddByRecompute(%s): %v", rec.Key(), err)
	}
	s.ids = ids
	got, err := s.r.Add(s, rec, s.newID, asOf)
	if err != nil {
		s.t.Fatalf("Add(%s): %v", rec.Key(), err)
	}
	want.Recomputed = got.Recomputed
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b identity.Phone) bool { return a == b })); diff != "" {
		s.t.Fatalf("Add(%s) differs from a recomputation (-want +got):\n%s", rec.Key(), diff)
	}
	s.apply(got, &rec)
	s.check(got)
	return got
}

// TestAddGroupEqualsAdd adds random records one by one with Add, and
// all at once with AddGroup, their versions folded with Combine in the
// same order first, and requires the same profiles (ids aside) and a
// store that passes every check.
func TestAddGroupEqualsAdd(t *testing.T) {
	seeds := seedCount(60, 15)
	r := newResolver(t, merge.Options{})
	combined, compared, refused := 0, 0, 0
	for seed := range uint64(seeds) {
		recs := mixedRecords(t, seed)
		one := newTestStore(t, r)
		for _, rec := range recs {
			one.add(rec, asOf)
		}
		var versions []identity.Record
		at := map[identity.RecordKey]int{}
		for _, rec := range recs {
			i, ok := at[rec.Key()]
			if !ok {
				at[rec.Key()] = len(versions)
				versions = append(versions, rec)
				continue
			}
			if c, _ := merge.Combine(&versions[i], &rec); c != &versions[i] {
				versions[i] = *c
				combined++
			}
		}
		group := newTestStore(t, r)
		ch, err := r.AddGroup(group, versions, group.newID, asOf)
		mayFlag := r.MayFlagHubs(recs)
		switch {
		case errors.Is(err, merge.ErrGroupOrder) && mayFlag:
			refused++
			continue
		case err != nil:
			t.Fatalf("seed %d: AddGroup: %v", seed, err)
		case mayFlag:
			refused++ // a hub could be flagged by a version combined away
			continue
		}
		compared++
		for _, v := range versions {
			group.records[v.Key()] = v
		}
		group.apply(ch, nil)
		group.check(ch)
		if diff := cmp.Diff(one.anonymous(), group.anonymous()); diff != "" {
			t.Fatalf("seed %d: AddGroup differs from Add one by one (-Add +AddGroup):\n%s", seed, diff)
		}
	}
	if combined == 0 || compared == 0 || refused == 0 {
		t.Fatalf("%d versions combined, %d groups compared, %d refused: want some of each", combined, compared, refused)
	}
	t.Logf("%d versions combined, %d groups compared, %d refused", combined, compared, refused)
}

// seedCount returns how many seeds a property test runs: MERGE_SEEDS if
// set, else short with -short, else def.
func seedCount(def, short int) int {
	if s := os.Getenv("MERGE_SEEDS"); s != "" {
		n, _ := strconv.Atoi(s)
		return n
	}
	if testing.Short() {
		return short
	}
	return def
}

// mixedRecords returns the records of seed: 30 random ones and, every
// fifth seed, 8 people's records as the adapters decode them.
func mixedRecords(t testing.TB, seed uint64) []identity.Record {
	recs := genRecords(t, seed, 30)
	if seed%5 == 0 {
		recs = append(recs, nativeRecords(t, 8)...)
	}
	return recs
}

// TestAddGroupRefuses checks what AddGroup refuses, adding nothing: a
// record given twice or held (ErrInvalid), and a group in which adding
// the records one by one could flag a hub (ErrGroupOrder): four names on
// one phone, where three are fine.
func TestAddGroupRefuses(t *testing.T) {
	r := newResolver(t, merge.Options{})
	at := day(2025, 6, 1)
	people := []identity.Record{
		named(rec("a", at, phone(1)), "王芳"), named(rec("b", at, phone(1)), "李娜"),
		named(rec("c", at, phone(1)), "赵敏"), named(rec("d", at, phone(1)), "张伟"),
	}
	if r.MayFlagHubs(people[:3]) || !r.MayFlagHubs(people) {
		t.Errorf("MayFlagHubs: %v for three people on a phone, %v for four; want false, true", r.MayFlagHubs(people[:3]), r.MayFlagHubs(people))
	}
	s := newTestStore(t, r)
	if _, err := r.AddGroup(s, people, s.newID, asOf); !errors.Is(err, merge.ErrGroupOrder) {
		t.Errorf("AddGroup of four people on a phone: %v, want ErrGroupOrder", err)
	}
	twice := []identity.Record{people[0], people[1], people[0]}
	if _, err := r.AddGroup(s, twice, s.newID, asOf); !errors.Is(err, merge.ErrInvalid) {
		t.Errorf("AddGroup of a record twice: %v, want ErrInvalid", err)
	}
	ch, err := r.AddGroup(s, people[:3], s.newID, asOf)
	if err != nil {
		t.Fatalf("AddGroup of three people on a phone: %v", err)
	}
	for _, p := range people[:3] {
		s.records[p.Key()] = p
	}
	s.apply(ch, nil)
	s.check(ch)
	if _, err := r.AddGroup(s, people[2:], s.newID, asOf); !errors.Is(err, merge.ErrInvalid) {
		t.Errorf("AddGroup of a record held: %v, want ErrInvalid", err)
	}
	if len(s.all()) == 0 {
		t.Error("AddGroup of three people on a phone made no profile")
	}
}
