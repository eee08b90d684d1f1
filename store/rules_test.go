package store

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// TestDiffRules checks that rules are compared field by field over the
// whole of merge.Options, a field at its default equal to one absent, and
// that text values (blocked phones) are never shown.
func TestDiffRules(t *testing.T) {
	blocked := identity.Identifier{Kind: identity.KindPhone, Value: "+8613912345678"}
	for _, tc := range []struct {
		name          string
		stored, given merge.Options
		want          []RuleDiff
	}{
		{"defaults", merge.Options{}, merge.Options{}, nil},
		{"equal non-defaults", merge.Options{Stage: merge.StageRules{LoyalOrders: 2}}, merge.Options{Stage: merge.StageRules{LoyalOrders: 2}}, nil},
		{"stage threshold", merge.Options{}, merge.Options{Stage: merge.StageRules{LoyalOrders: 2}},
			[]RuleDiff{{Field: "Stage.LoyalOrders", Given: "2"}}},
		{"back to the default", merge.Options{HubThreshold: 5}, merge.Options{},
			[]RuleDiff{{Field: "HubThreshold", Stored: "5"}}},
		{"a map entry and a duration", merge.Options{Limits: map[identity.Kind]int{identity.KindPhone: 3}},
			merge.Options{Limits: map[identity.Kind]int{identity.KindPhone: 2}, Churn: merge.ChurnRules{MinInterval: 10 * merge.Day}},
			[]RuleDiff{{Field: "Churn.MinInterval", Given: "240h0m0s"}, {Field: "Limits[phone]", Stored: "3", Given: "2"}}},
		{"blocked values are not shown", merge.Options{}, merge.Options{Blocked: []identity.Identifier{blocked}},
			[]RuleDiff{{Field: "Blocked", Given: "(text)"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diffRules(tc.stored, tc.given)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diffRules (-want +got):\n%s", diff)
			}
			if len(got) > 0 {
				msg := (&RulesError{Fields: got}).Error()
				if strings.Contains(msg, "13912345678") {
					t.Errorf("error %q shows a blocked phone", msg)
				}
			}
		})
	}
}

// stagesByRecord maps each profile's first record key to its stage.
func stagesByRecord(t *testing.T, s *Store) map[identity.RecordKey]merge.Stage {
	t.Helper()
	out := map[identity.RecordKey]merge.Stage{}
	if err := s.Snapshot(context.Background(), func(p *merge.Profile) error {
		out[p.Records[0].Key] = p.Stage
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRulesStored checks that the rules a database is made with are
// stored in it: opening it with other stage thresholds is refused with an
// error naming the threshold; it opens under the stored rules when asked;
// and re-applying the new rules re-stages every profile as a database
// built under them from the start, and counts the profiles that changed.
func TestRulesStored(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	dir := t.TempDir()
	loyal2 := merge.Options{Stage: merge.StageRules{LoyalOrders: 2}}
	open := func(m merge.Options, p RulesPolicy) (*Store, error) {
		t.Helper()
		return Open(ctx, dir, Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }, Merge: m, Rules: p})
	}
	s, err := open(merge.Options{}, RulesRefuse)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	before := stagesByRecord(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// What the new rules give from the start.
	fresh, err := Open(ctx, "", Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }, Merge: loyal2, Badger: BadgerOptions{InMemory: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := fresh.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	want := stagesByRecord(t, fresh)
	wantChanged := 0
	for k, st := range want {
		if before[k] != st {
			wantChanged++
		}
	}
	if wantChanged == 0 {
		t.Fatal("LoyalOrders 2 changes no stage in the fixtures: the test proves nothing")
	}

	_, err = open(loyal2, RulesRefuse)
	var re *RulesError
	if !errors.Is(err, ErrRulesChanged) || !errors.As(err, &re) {
		t.Fatalf("Open with other stage rules: %v, want ErrRulesChanged", err)
	}
	if diff := cmp.Diff([]RuleDiff{{Field: "Stage.LoyalOrders", Given: "2"}}, re.Fields); diff != "" {
		t.Errorf("differing rules (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "Stage.LoyalOrders stored default, given 2") {
		t.Errorf("error %q does not name the rule that differs", err)
	}

	// Under the stored rules, nothing changes.
	s, err = open(loyal2, RulesStored)
	if err != nil {
		t.Fatalf("Open under the stored rules: %v", err)
	}
	if got := stagesByRecord(t, s); !maps.Equal(got, before) {
		t.Error("opening under the stored rules changed stages")
	}
	if s.Restaged() != nil {
		t.Error("Open under the stored rules restaged")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = open(loyal2, RulesReapply)
	if err != nil {
		t.Fatalf("Open re-applying new rules: %v", err)
	}
	sum := s.Restaged()
	if sum == nil {
		t.Fatal("Open with RulesReapply and new rules did not restage")
	}
	t.Logf("restage: %+v", *sum)
	if diff := cmp.Diff(want, stagesByRecord(t, s)); diff != "" {
		t.Errorf("stages after the restage, against a database built under the new rules (-want +got):\n%s", diff)
	}
	if sum.StageChanged != wantChanged || sum.Changed < wantChanged || sum.Profiles != len(before) {
		t.Errorf("restage summary %+v, want %d profiles, %d stages changed", sum, len(before), wantChanged)
	}
	mustVerify(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The new rules are the database's now.
	s, err = open(loyal2, RulesRefuse)
	if err != nil {
		t.Fatalf("Open with the re-applied rules: %v", err)
	}
	if err := s.kv.Update(ctx, func(tx Txn) error { return tx.Set(metaKey(metaRestage), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := open(loyal2, RulesRefuse); !errors.As(err, &re) || !re.Interrupted {
		t.Errorf("Open after an interrupted restage: %v, want a RulesError saying so", err)
	}
	s, err = open(loyal2, RulesReapply)
	if err != nil {
		t.Fatalf("Open finishing an interrupted restage: %v", err)
	}
	if sum := s.Restaged(); sum == nil || sum.Changed != 0 {
		t.Errorf("finishing a restage under unchanged rules: %+v, want a restage that changes nothing", sum)
	}
	s.Close()
	if _, err := open(merge.Options{}, RulesRefuse); !errors.Is(err, ErrRulesChanged) {
		t.Errorf("Open with the defaults after the restage: %v, want ErrRulesChanged", err)
	}
}

// TestRestageReresolves checks that re-applying changed protection rules
// re-resolves the profiles: after a restage under a lower phone limit and
// hub threshold, the database holds the profiles a database built under
// those rules from the start holds.
func TestRestageReresolves(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	strict := merge.Options{Limits: map[identity.Kind]int{identity.KindPhone: 1, identity.KindBuyer: 1}, HubThreshold: 1}
	open := func(dir string, m merge.Options, p RulesPolicy) *Store {
		t.Helper()
		o := Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }, Merge: m, Rules: p}
		o.Badger.InMemory = dir == ""
		s, err := Open(ctx, dir, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	fresh := open("", strict, RulesRefuse)
	if _, err := fresh.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	want := partition(t, fresh)

	dir := t.TempDir()
	s := open(dir, merge.Options{}, RulesRefuse)
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	before := partition(t, s)
	if maps.Equal(before, want) {
		t.Fatal("the strict rules change no profile of the fixtures: the test proves nothing")
	}
	s.Close()
	s = open(dir, strict, RulesReapply)
	if diff := cmp.Diff(want, partition(t, s)); diff != "" {
		t.Errorf("profiles after the restage, against a database built under the new rules (-want +got):\n%s", diff)
	}
	if sum := s.Restaged(); sum == nil || sum.Changed == 0 {
		t.Errorf("restage summary %+v, want profiles changed", sum)
	}
	mustVerify(t, s)
}

// partition maps each profile's record keys to its stage and phones.
func partition(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := s.Snapshot(context.Background(), func(p *merge.Profile) error {
		var keys, phones []string
		for _, r := range p.Records {
			keys = append(keys, r.Key.String())
		}
		for _, id := range p.Linking() {
			phones = append(phones, id.String())
		}
		out[strings.Join(keys, " ")] = string(p.Stage) + " " + strings.Join(phones, " ")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRulesSurviveRotation checks that the stored rules move to the new
// key-encryption key when the old one is retired: the database still
// opens, and still refuses other rules.
func TestRulesSurviveRotation(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	dir := t.TempDir()
	loyal2 := merge.Options{Stage: merge.StageRules{LoyalOrders: 2}}
	s, err := Open(ctx, dir, Options{Keys: testKeys(root), Merge: loyal2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(ctx, RotateOptions{Retire: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, Options{Keys: testKeys(root), Merge: loyal2})
	if err != nil {
		t.Fatalf("Open after a rotation that retired the old key: %v", err)
	}
	s.Close()
	if _, err := Open(ctx, dir, Options{Keys: testKeys(root)}); !errors.Is(err, ErrRulesChanged) {
		t.Errorf("Open with other rules after a rotation: %v, want ErrRulesChanged", err)
	}
}

// TestRestoreKeepsRules checks that a restored backup brings its rules:
// the store resolves by them at once, and opening the database with the
// store's former rules is refused afterwards.
func TestRestoreKeepsRules(t *testing.T) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	loyal2 := merge.Options{Stage: merge.StageRules{LoyalOrders: 2}}
	src, err := Open(ctx, "", Options{Keys: testKeys(root), Merge: loyal2, Clock: func() time.Time { return asOf }, Badger: BadgerOptions{InMemory: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if err := src.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }})
	if err != nil {
		t.Fatal(err)
	}
	// A new database has no erasure journal: the restore is forced.
	if _, err := s.RestoreWith(ctx, &backup, RestoreOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(loyal2, s.rules); diff != "" {
		t.Errorf("rules after restoring a backup made under LoyalOrders 2 (-want +got):\n%s", diff)
	}
	if _, err := s.Refresh(ctx, asOf.Add(merge.Day)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stagesByRecord(t, src), stagesByRecord(t, s)); diff != "" {
		t.Errorf("stages after a refresh of the restored database (-want +got):\n%s", diff)
	}
	s.Close()
	if _, err := Open(ctx, dir, Options{Keys: testKeys(root)}); !errors.Is(err, ErrRulesChanged) {
		t.Errorf("Open with the defaults after restoring a LoyalOrders 2 backup: %v, want ErrRulesChanged", err)
	}
}

// TestRulesRoundTrip checks that rules read back from the database equal
// the rules stored, for options that set every kind of field.
func TestRulesRoundTrip(t *testing.T) {
	ctx := context.Background()
	o := merge.Options{
		Priority:     map[merge.FieldName][]string{merge.FieldPhone: {"pos", "wechat"}},
		Limits:       map[identity.Kind]int{identity.KindPhone: 2, identity.KindBuyer: -1},
		HubThreshold: 4,
		HubKinds:     []identity.Kind{identity.KindPhone},
		Blocked:      []identity.Identifier{{Kind: identity.KindMember, Scope: "crm", Value: "0000"}},
		Placeholders: []string{"N/A"},
		Lifespan:     2 * 365 * merge.Day,
		Stage:        merge.StageRules{RepeatOrders: 3, PromoterScore: -1},
		Churn:        merge.ChurnRules{AtRiskFactor: 1.25, OneTimeLapsed: 400 * merge.Day},
	}
	s, err := Open(ctx, "", Options{Keys: testKeys(crypto.GenerateRootKey()), Merge: o, Badger: BadgerOptions{InMemory: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got merge.Options
	if err := s.kv.View(ctx, func(tx Txn) error {
		var err error
		got, _, _, err = s.storedRules(tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := diffRules(o, got); diff != nil {
		t.Errorf("rules read back differ: %+v", diff)
	}
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("rules read back (-stored +read):\n%s", diff)
	}
}
