package merge_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// testStore is the example's in-memory store with the checks a real store
// must pass after every change: every record held by exactly one live
// profile that lists it, an index that is exactly the profiles'
// identifiers, forwards that end at live profiles, profiles that survive a
// JSON round trip byte for byte, and referral credits conserved.
type testStore struct {
	*memory
	t       testing.TB
	r       *merge.Resolver
	blocked map[identity.Identifier]bool
	lookups int
	loads   int
}

func newTestStore(t testing.TB, r *merge.Resolver, blocked ...identity.Identifier) *testStore {
	t.Helper()
	s := &testStore{memory: newMemory(), t: t, r: r, blocked: map[identity.Identifier]bool{}}
	for _, b := range blocked {
		s.blocked[b] = true
	}
	return s
}

func (s *testStore) Lookup(id identity.Identifier) ([]*merge.Profile, bool, error) {
	s.lookups++
	return s.memory.Lookup(id)
}

func (s *testStore) Records(profileID string) ([]identity.Record, error) {
	s.loads++
	return s.memory.Records(profileID)
}

// add ingests rec and checks the store.
func (s *testStore) add(rec identity.Record, asOf time.Time) *merge.Change {
	s.t.Helper()
	ch, err := s.r.Add(s, rec, s.newID, asOf)
	if err != nil {
		s.t.Fatalf("Add(%s): %v", rec.Key(), err)
	}
	s.apply(ch, &rec)
	s.check(ch)
	return ch
}

// do applies the result of an operation other than Add and checks the
// store.
func (s *testStore) do(ch *merge.Change, err error) *merge.Change {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	s.apply(ch, nil)
	s.check(ch)
	return ch
}

func (s *testStore) check(ch *merge.Change) {
	t := s.t
	t.Helper()
	for _, p := range ch.Profiles {
		again, err := json.Marshal(s.decoded[p.ID])
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(s.profiles[p.ID]) {
			t.Fatalf("profile %s does not survive a JSON round trip:\n%s\n%s", p.ID, s.profiles[p.ID], again)
		}
		if !reflect.DeepEqual(p, s.decoded[p.ID]) {
			t.Fatalf("profile %s decodes to another value (-written +read):\n%s", p.ID, cmp.Diff(p, s.decoded[p.ID]))
		}
		for _, ref := range p.Records {
			rec := s.records[ref.Key]
			if got := merge.Fingerprint(&rec); got != ref.Fingerprint {
				t.Fatalf("profile %s lists record %s with a stale fingerprint", p.ID, ref.Key)
			}
		}
	}
	held := map[string][]identity.RecordKey{}
	for k := range s.records {
		id, ok := s.holder[k]
		if !ok {
			t.Fatalf("record %s has no holder", k)
		}
		if _, ok := s.profiles[id]; !ok {
			t.Fatalf("record %s held by %s, which is not a live profile", k, id)
		}
		held[id] = append(held[id], k)
	}
	wantIndex := map[identity.Identifier]map[string]bool{}
	for id := range s.profiles {
		p := s.decoded[id]
		if p.ID != id {
			t.Fatalf("profile stored under %s has id %s", id, p.ID)
		}
		keys := held[id]
		slices.SortFunc(keys, compareKeys)
		if !slices.Equal(keys, p.Keys()) {
			t.Fatalf("profile %s records differ from the records it holds (-held +listed):\n%s", id, cmp.Diff(keys, p.Keys()))
		}
		for _, st := range p.Identifiers {
			if wantIndex[st.Identifier] == nil {
				wantIndex[st.Identifier] = map[string]bool{}
			}
			wantIndex[st.Identifier][id] = true
		}
	}
	gotIndex := map[identity.Identifier]map[string]bool{}
	for id, set := range s.index {
		if len(set) > 0 {
			gotIndex[id] = set
		}
	}
	if !reflect.DeepEqual(wantIndex, gotIndex) {
		t.Fatalf("index differs from the profiles' identifiers (-want +got):\n%s", cmp.Diff(wantIndex, gotIndex))
	}
	for from := range s.forwards {
		id := from
		for range len(s.forwards) + 1 {
			next, ok := s.forwards[id]
			if !ok {
				break
			}
			id = next
		}
		if _, ok := s.profiles[id]; !ok {
			t.Fatalf("forward from %s ends at %s, which is not a live profile", from, id)
		}
		if _, ok := s.profiles[from]; ok {
			t.Fatalf("forwarded id %s is still a live profile", from)
		}
	}
	// Every referral of every record is a credit exactly once: on a
	// profile or pending. Referrals of hubs and blocked phones go nowhere.
	want := map[string]int{}
	for _, rec := range s.records {
		for _, ref := range rec.Referrals {
			phone := identity.Identifier{Kind: identity.KindPhone, Value: ref.Referrer.String()}
			if ref.Referrer.IsZero() || s.hubs[phone] || s.blocked[phone] {
				continue
			}
			want[phone.Value+" "+rec.Key().String()] = 1
		}
	}
	got := map[string]int{}
	for id := range s.profiles {
		for _, cr := range s.decoded[id].Credits {
			got[cr.Referrer.Value+" "+cr.Referred.String()]++
		}
	}
	for _, list := range s.pending {
		for _, cr := range list {
			got[cr.Referrer.Value+" "+cr.Referred.String()]++
		}
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("referral credits not conserved (-want +got):\n%s", cmp.Diff(want, got))
	}
}

func compareKeys(a, b identity.RecordKey) int {
	return slices.Compare([]string{string(a.Channel), a.Source, a.ID}, []string{string(b.Channel), b.Source, b.ID})
}

// all returns the live profiles ordered by their first record key.
func (s *testStore) all() []*merge.Profile {
	var out []*merge.Profile
	for id := range s.profiles {
		out = append(out, s.profile(id))
	}
	slices.SortFunc(out, func(a, b *merge.Profile) int { return compareKeys(a.Records[0].Key, b.Records[0].Key) })
	return out
}

// anonymous returns all() with ids cleared, to compare stores that gave
// out ids in different orders.
func (s *testStore) anonymous() []*merge.Profile {
	out := s.all()
	first := map[string]string{} // profile id -> its first record's key
	for _, p := range out {
		first[p.ID] = p.Records[0].Key.String()
	}
	for _, p := range out {
		p.ID = ""
		for i := range p.Gifts {
			if p.Gifts[i].Profile != "" {
				p.Gifts[i].Profile = "profile of " + first[p.Gifts[i].Profile]
			}
		}
		slices.SortFunc(p.Gifts, func(a, b merge.Gift) int {
			return strings.Compare(fmt.Sprint(a.Record, a.Received, a.Profile), fmt.Sprint(b.Record, b.Received, b.Profile))
		})
	}
	return out
}

// partition returns the record keys of each profile, ordered.
func (s *testStore) partition() [][]string {
	var out [][]string
	for _, p := range s.all() {
		var keys []string
		for _, k := range p.Keys() {
			keys = append(keys, k.ID)
		}
		out = append(out, keys)
	}
	return out
}

// of returns the profile holding the record with id (in any channel).
func (s *testStore) of(id string) *merge.Profile {
	s.t.Helper()
	for k, pid := range s.holder {
		if k.ID == id {
			return s.profile(pid)
		}
	}
	s.t.Fatalf("no record %s", id)
	return nil
}

func (s *testStore) key(id string) identity.RecordKey {
	s.t.Helper()
	for k := range s.records {
		if k.ID == id {
			return k
		}
	}
	s.t.Fatalf("no record %s", id)
	return identity.RecordKey{}
}

// Record builders for tests.

var (
	cst  = time.FixedZone("CST", 8*3600)
	asOf = time.Date(2026, 11, 23, 0, 0, 0, 0, cst)
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, cst) }

func phone(n int) identity.Identifier {
	return identity.Identifier{Kind: identity.KindPhone, Value: fmt.Sprintf("+861391234%04d", n)}
}

func unionid(s string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindUnionID, Value: "u-" + s}
}

func openid(app, s string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindOpenID, Scope: app, Value: "o-" + s}
}

func weibo(s string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindWeiboUID, Value: "w-" + s}
}

func member(scope, s string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindMember, Scope: scope, Value: s}
}

func email(s string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindEmail, Value: s + "@example.com"}
}

func mustPhone(t testing.TB, n int) identity.Phone {
	t.Helper()
	p, err := identity.ParsePhone(phone(n).Value, "CN")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rec returns a POS-channel record with the identifiers.
func rec(id string, observed time.Time, ids ...identity.Identifier) identity.Record {
	return identity.Record{Channel: identity.ChannelPOS, Source: "pos", ID: id, Observed: observed, Identifiers: ids}
}

func named(r identity.Record, name string) identity.Record {
	r.Attributes.Name = name
	return r
}

func on(r identity.Record, ch identity.Channel, source string) identity.Record {
	r.Channel, r.Source = ch, source
	return r
}

func paid(r identity.Record, orderID string, fen int64, at time.Time) identity.Record {
	return order(r, orderID, identity.OrderPaid, fen, at)
}

func order(r identity.Record, orderID string, st identity.OrderStatus, fen int64, at time.Time) identity.Record {
	r.Orders = append(slices.Clone(r.Orders), identity.Order{Platform: "pos", ID: orderID, Status: st, AmountFen: fen, Currency: "CNY", Time: at})
	return r
}

func interact(r identity.Record, t identity.InteractionType, at time.Time) identity.Record {
	r.Interactions = append(slices.Clone(r.Interactions), identity.Interaction{Type: t, Time: at})
	return r
}

func newResolver(t testing.TB, o merge.Options) *merge.Resolver {
	t.Helper()
	r, err := merge.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
