package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// sameNumber is a Taobao trade and a JD order with the same number, bought
// by two people with two phones.
const sameNumber = `{"tid":880001,"buyer_open_uid":"AAsame","receiver_name":"王芳","receiver_mobile":"13912340001","payment":"10","created":"2026-06-01 10:00:00","status":"TRADE_FINISHED"}
{"orderId":"880001","orderTotalPrice":"20","orderState":"FINISHED_L","orderStartTime":"2026-06-02 10:00:00","pin":"jd_same","consigneeInfo":{"fullname":"李娜","mobile":"13912340002"}}`

func decodeString(s string, f identity.Format, opts identity.Options) iter.Seq2[identity.Record, error] {
	return identity.Decode(strings.NewReader(s), f, opts)
}

// checkSameNumberKept ingests sameNumber with the default source and
// checks that both orders are kept and both buyers found by phone.
func checkSameNumberKept(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	sum, err := s.IngestAll(ctx, decodeString(sameNumber, identity.FormatEcommerce, identity.Options{}), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accepted != 2 || sum.Unchanged != 0 {
		t.Fatalf("ingest of a Taobao trade and a JD order with one number: %+v, want 2 accepted, none unchanged", sum)
	}
	for _, tc := range []struct{ phone, platform string }{{"+8613912340001", "taobao"}, {"+8613912340002", "jd"}} {
		p, err := s.ByIdentifier(ctx, identity.Identifier{Kind: identity.KindPhone, Value: tc.phone})
		if err != nil {
			t.Errorf("the %s buyer's phone: %v", tc.platform, err)
			continue
		}
		want := identity.RecordKey{Channel: identity.ChannelEcommerce, Source: tc.platform, ID: "880001"}
		if !slices.ContainsFunc(p.Records, func(r merge.RecordRef) bool { return r.Key == want }) {
			t.Errorf("the %s buyer's profile does not hold %v", tc.platform, want)
		}
	}
}

// TestPlatformKeysKeepBoth checks that a Taobao trade and a JD order with
// the same number, read with the default source, are two records: both
// buyers' phones are found.
func TestPlatformKeysKeepBoth(t *testing.T) {
	checkSameNumberKept(t, openTestStore(t, "", crypto.GenerateRootKey()))
}

// legacyFixtures yields the fixtures as a build of schema 3 read them:
// e-commerce records under the source "ecommerce".
func legacyFixtures(t *testing.T) iter.Seq2[identity.Record, error] {
	return func(yield func(identity.Record, error) bool) {
		for rec, err := range fixtures(t) {
			if err == nil && rec.Channel == identity.ChannelEcommerce {
				rec.Source = legacySource
			}
			if !yield(rec, err) {
				return
			}
		}
	}
}

// view returns a store's profiles by their record keys, without their
// random ids, for comparison.
func view(t *testing.T, s *Store) map[string]*merge.Profile {
	t.Helper()
	out := map[string]*merge.Profile{}
	if err := s.Snapshot(context.Background(), func(p *merge.Profile) error {
		var keys []string
		for _, r := range p.Records {
			keys = append(keys, r.Key.String())
		}
		p.ID = ""
		out[strings.Join(keys, " ")] = p
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRekeyLegacyDatabase makes a database as a build of schema 3 wrote it
// (e-commerce records under "ecommerce/ecommerce/<id>", a do-not-link
// pair and an erasure touching them) and checks that this build opens it,
// re-keys every e-commerce record by platform, and still finds
// everything: the same profiles as a database built by this build, a
// re-import of the fixtures changes nothing, the erased record stays
// erased under its new key, and a Taobao trade and a JD order with one
// number are both kept afterwards.
func TestRekeyLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	clock := func() time.Time { return asOf }

	// ops makes the same operator decisions in either database: a
	// do-not-link between an e-commerce record and another record of its
	// profile, and the erasure of the profile of another e-commerce
	// record. Keys are given in the new form; key maps them to the
	// database's.
	jd := identity.RecordKey{Channel: identity.ChannelEcommerce, Source: identity.PlatformJD, ID: "262145001602"}
	tb := identity.RecordKey{Channel: identity.ChannelEcommerce, Source: identity.PlatformTaobao, ID: "3301000000004002"}
	ops := func(s *Store, key func(identity.RecordKey) identity.RecordKey) {
		t.Helper()
		p, err := s.Holder(ctx, key(jd))
		if err != nil {
			t.Fatal(err)
		}
		other := slices.IndexFunc(p.Records, func(r merge.RecordRef) bool { return r.Key != key(jd) })
		if other < 0 {
			t.Fatalf("%v is alone in its profile", jd)
		}
		if _, err := s.Separate(ctx, key(jd), p.Records[other].Key); err != nil {
			t.Fatal(err)
		}
		if p, err = s.Holder(ctx, key(tb)); err != nil {
			t.Fatal(err)
		}
		if err := s.Erase(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	toLegacy := func(k identity.RecordKey) identity.RecordKey { k, _ = legacyKey(k); return k }

	fresh, err := Open(ctx, "", Options{Keys: testKeys(root), Clock: clock, Badger: BadgerOptions{InMemory: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := fresh.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	ops(fresh, func(k identity.RecordKey) identity.RecordKey { return k })
	want := view(t, fresh)

	dir := t.TempDir()
	old, err := Open(ctx, dir, Options{Keys: testKeys(root), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	old.noReceivers = true
	if _, err := old.IngestAll(ctx, legacyFixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	ops(old, toLegacy)
	olderBuild(t, old)
	if got := view(t, old); !strings.Contains(fmt.Sprint(slices.Collect(maps.Keys(got))), "ecommerce/ecommerce/") {
		t.Fatal("the legacy database holds no legacy keys: the test proves nothing")
	}
	v3 := legacyBackup(t, old, backupMagicV3) // as a build of schema 3 wrote it
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, dir, Options{Keys: testKeys(root), Clock: clock})
	if err != nil {
		t.Fatalf("Open of a schema 3 database: %v", err)
	}
	defer s.Close()
	if diff := cmp.Diff(want, view(t, s)); diff != "" {
		t.Errorf("profiles after re-keying, against a database built by this build (-want +got):\n%s", diff)
	}
	if _, err := s.Holder(ctx, toLegacy(jd)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Holder of a legacy key after re-keying: %v, want ErrNotFound", err)
	}
	mustVerify(t, s)

	sum, err := s.IngestAll(ctx, fixtures(t), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	erased := sum.Quarantined[ReasonErased]
	if sum.ProfilesCreated != 0 || sum.ProfilesMerged != 0 || sum.Unchanged+sum.Stale != sum.Accepted || sum.Updated != 0 || erased == 0 {
		t.Errorf("re-import after re-keying: %+v, want every record unchanged, stale (an older version), erased or suppressed, some erased", sum)
	}
	var tbErased bool
	for rec, err := range fixtures(t) {
		if err == nil && rec.Key() == tb {
			r, err := s.Ingest(ctx, rec)
			if err != nil {
				t.Fatal(err)
			}
			tbErased = r.Outcome == OutcomeErased
		}
	}
	if !tbErased {
		t.Errorf("the erased %v came back under its new key", tb)
	}
	checkSameNumberKept(t, s)
	mustVerify(t, s)

	// A backup of schema 3, restored, is re-keyed too.
	r := openTestStore(t, "", root)
	if _, err := r.RestoreWith(ctx, bytes.NewReader(v3), RestoreOptions{Force: true}); err != nil {
		t.Fatalf("Restore of a schema 3 backup: %v", err)
	}
	if diff := cmp.Diff(want, view(t, r)); diff != "" {
		t.Errorf("profiles of a restored schema 3 backup, against a database built by this build (-want +got):\n%s", diff)
	}
	mustVerify(t, r)
}

// TestRekeyReresolves checks that re-keying re-resolves the profiles it
// touched: survivorship breaks ties by record key, and a JD order 9 and a
// Taobao trade 1 of one person, seen at one time with two spellings of
// her name, swap order when their keys gain the platform
// (ecommerce/ecommerce/1 < /9, but ecommerce/jd/9 < ecommerce/taobao/1).
func TestRekeyReresolves(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	clock := func() time.Time { return asOf }
	const input = `{"tid":1,"buyer_open_uid":"AAtie","receiver_name":"王芳","receiver_mobile":"13912340009","payment":"10","created":"2026-06-01 10:00:00","status":"TRADE_FINISHED"}
{"orderId":"9","orderTotalPrice":"20","orderState":"FINISHED_L","orderStartTime":"2026-06-01 10:00:00","pin":"jd_tie","consigneeInfo":{"fullname":"王小芳","mobile":"13912340009"}}`
	records := func(legacy bool) iter.Seq2[identity.Record, error] {
		return func(yield func(identity.Record, error) bool) {
			for rec, err := range decodeString(input, identity.FormatEcommerce, identity.Options{}) {
				if legacy {
					rec.Source = legacySource
				}
				if !yield(rec, err) {
					return
				}
			}
		}
	}
	fresh := openTestStore(t, "", root)
	if _, err := fresh.IngestAll(ctx, records(false), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	want := view(t, fresh)
	dir := t.TempDir()
	old, err := Open(ctx, dir, Options{Keys: testKeys(root), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	old.noReceivers = true
	if _, err := old.IngestAll(ctx, records(true), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	olderBuild(t, old)
	name := func(m map[string]*merge.Profile) string {
		for _, p := range m {
			f, _ := p.Field(merge.FieldPersonName)
			return f.Value
		}
		return ""
	}
	if name(view(t, old)) == name(want) {
		t.Fatal("the legacy keys pick the same name: the test proves nothing")
	}
	old.Close()
	s, err := Open(ctx, dir, Options{Keys: testKeys(root), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if diff := cmp.Diff(want, view(t, s)); diff != "" {
		t.Errorf("profile after re-keying, against one built by this build (-want +got):\n%s", diff)
	}
}

// olderBuild makes the database of s, which ingested with noReceivers, as a
// build of schema 3 left it: schema 3, and no receiver records nor their
// marker.
func olderBuild(t *testing.T, s *Store) {
	t.Helper()
	err := s.kv.Update(context.Background(), func(tx Txn) error {
		if err := tx.Delete(metaKey(metaReceivers)); err != nil {
			return err
		}
		return tx.Set(metaKey("schema"), []byte("3"))
	})
	if err != nil {
		t.Fatal(err)
	}
}
