package scv_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

// The FEBRL evaluation measures identity resolution against data with a
// known truth: the synthetic data sets of the Febrl generator (Peter
// Christen, ANU), read from ../shared/data/febrl and never copied into the
// repository. Run it with
//
//	go test -run FEBRL -v .
//
// Each set is imported through identity.Decode's csv adapter with region
// AU and the mapping below. soc_sec_id is left out on purpose: it is a
// national id number, which a brand should not hold without a reason and
// must not key customers on, and keying on it would measure another key
// than the phone this library keys on. Street, postcode and age are left
// out because the csv adapter has no such fields (and age only restates
// the birthday).
const febrlMapping = "record_id=rec_id,given_name=given_name,family_name=surname," +
	"birthday=date_of_birth,phone=phone_number,city=suburb,province=state"

// febrlRecord is one row of a FEBRL file as the ground truth needs it.
type febrlRecord struct {
	key    identity.RecordKey // as imported: csv, the file's source, rec_id
	id     string             // rec_id: entity*10 + k
	entity string             // rec_id without its last digit: the person
	phone  string             // phone_number as written
}

// febrlSource is the source name a FEBRL file is imported as:
// "febrl-A_10000" for dataset_A_10000.csv.
func febrlSource(path string) string {
	base := filepath.Base(path)
	return "febrl-" + strings.TrimSuffix(strings.TrimPrefix(base, "dataset_"), ".csv")
}

// febrlTruth reads the rec_id and phone_number of every row of a FEBRL
// file.
func febrlTruth(t *testing.T, path string) []febrlRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	idCol, phoneCol := slices.Index(head, "rec_id"), slices.Index(head, "phone_number")
	if idCol < 0 || phoneCol < 0 {
		t.Fatalf("%s: no rec_id or phone_number column", filepath.Base(path))
	}
	var out []febrlRecord
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		id := row[idCol]
		if _, err := strconv.Atoi(id); err != nil || len(id) < 2 {
			t.Fatalf("%s line %d: rec_id is not a number of two digits or more", filepath.Base(path), len(out)+2)
		}
		out = append(out, febrlRecord{
			key: identity.RecordKey{Channel: identity.ChannelCSV, Source: febrlSource(path), ID: id},
			id:  id, entity: id[:len(id)-1], phone: row[phoneCol],
		})
	}
}

// pairs is n choose 2.
func pairs(n int) int { return n * (n - 1) / 2 }

// febrlResult is what one set measured.
type febrlResult struct {
	records, quarantined, profiles                int
	truePairs, predictedPairs, correctPairs       int
	ceilingPairs, ceilingMissed, protectionMissed int
	precision, recall, f1, ceiling                float64
	missedPairs, findablePairs                    int // true pairs not in one profile; of those, both records in profiles
	suggest, suggestLow                           suggestMeasure
	hubs, oneEntityHubs                           int // phones flagged hubs; of those, carried by one entity's records
	// After AutoLink at autoLinkAt: links made, pairwise precision and
	// recall.
	autoLinked                int
	autoPrecision, autoRecall float64
}

// autoLinkAt is the probability the FEBRL evaluation auto-links at.
const autoLinkAt = 0.99

// suggestMeasure is what suggestions at one threshold found.
type suggestMeasure struct {
	suggestions, correct, found     int // found: missed true pairs suggested
	precision, share, findableShare float64
	unfound                         map[string]int // missed pairs in profiles not suggested, by why
}

func TestFEBRL(t *testing.T) {
	dir := filepath.Join("..", "shared", "data", "febrl")
	if _, err := os.Stat(filepath.Join(dir, "dataset_A_10000.csv")); err != nil {
		t.Skipf("FEBRL data not found in %s: this evaluation reads the Febrl data sets from there (see DEVELOPERS.md)", dir)
	}
	for _, set := range []struct {
		name  string
		files []string
	}{
		{"A_1000", []string{"dataset_A_1000.csv"}},
		{"A_10000", []string{"dataset_A_10000.csv"}},
		{"D_10000", []string{"dataset_D_org_10000.csv", "dataset_D_dup_10000.csv"}},
	} {
		t.Run(set.name, func(t *testing.T) {
			var paths []string
			for _, f := range set.files {
				paths = append(paths, filepath.Join(dir, f))
			}
			r := evaluateFEBRL(t, paths)
			logFEBRL(t, r)
			checkFEBRL(t, r, true)
		})
	}
}

// TestFEBRLHeavy runs the FEBRL evaluation on the heavy-corruption set of
// internal/workload: 2,000 people with up to ten Febrl-style corrupted
// copies each sharing one phone (some copies with the phone mistyped).
// Its suggestion figures are printed, not checked.
func TestFEBRLHeavy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dataset_heavy.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := workload.WriteHeavy(f, workload.HeavyConfig{People: 2000, Seed: 14}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	r := evaluateFEBRL(t, []string{path})
	logFEBRL(t, r)
	checkFEBRL(t, r, false)
}

// logFEBRL prints what one set measured.
func logFEBRL(t *testing.T, r febrlResult) {
	t.Helper()
	t.Logf("records %d, quarantined %d (no valid phone), profiles %d", r.records, r.quarantined, r.profiles)
	t.Logf("pairs: true %d, predicted %d, correct %d", r.truePairs, r.predictedPairs, r.correctPairs)
	t.Logf("precision %.4f  recall %.4f  F1 %.4f  phone-key recall ceiling %.4f (%d pairs share a valid phone)",
		r.precision, r.recall, r.f1, r.ceiling, r.ceilingPairs)
	t.Logf("true pairs the phone key missed: %d, of which %d have both records in profiles (the others have a record without a valid phone)",
		r.missedPairs, r.findablePairs)
	for _, m := range []struct {
		score float64
		suggestMeasure
	}{{scv.DefaultMinProbability, r.suggest}, {0.3, r.suggestLow}} {
		t.Logf("suggestions at min score %.2f: %d, correct %d, precision %.4f; they find %d missed pairs: %.4f of all missed, %.4f of those in profiles",
			m.score, m.suggestions, m.correct, m.precision, m.found, m.share, m.findableShare)
		for _, why := range slices.Sorted(maps.Keys(m.unfound)) {
			t.Logf("    not found: %4d  %s", m.unfound[why], why)
		}
	}
	t.Logf("phones flagged hubs: %d, of which %d carried by records of one person", r.hubs, r.oneEntityHubs)
	t.Logf("after AutoLink at %.2f: %d links, precision %.4f  recall %.4f (%.4f of the phone ceiling)",
		autoLinkAt, r.autoLinked, r.autoPrecision, r.autoRecall, r.autoRecall/r.ceiling)
}

// checkFEBRL asserts issue 14's targets on what one set measured: recall
// at least 0.99 of the phone ceiling at precision 0.999, no phone of one
// person flagged a hub, and, if suggestions, suggestions that still find
// what they found.
func checkFEBRL(t *testing.T, r febrlResult, suggestions bool) {
	t.Helper()
	if r.precision < 0.999 {
		t.Errorf("precision %.4f, want >= 0.999", r.precision)
	}
	// Recall is at the ceiling: every pair that shares a valid
	// phone is in one profile, unless a protection rule (a hub or
	// a limit) explains why not.
	if r.ceilingMissed != r.protectionMissed {
		t.Errorf("%d pairs share a valid phone but are not in one profile; protection explains %d", r.ceilingMissed, r.protectionMissed)
	}
	if r.correctPairs < r.ceilingPairs-r.protectionMissed {
		t.Errorf("recall %.4f below the ceiling %.4f by more than protection explains", r.recall, r.ceiling)
	}
	// Suggestions: floors a little under what this data gives
	// (see the log), so that a regression shows.
	if suggestions && r.suggest.precision < 0.99 {
		t.Errorf("suggestion precision %.4f, want >= 0.99", r.suggest.precision)
	}
	if suggestions && r.suggest.findableShare < 0.75 {
		t.Errorf("suggestions find %.4f of the missed pairs whose records are in profiles, want >= 0.75", r.suggest.findableShare)
	}
	if r.recall < 0.99*r.ceiling {
		t.Errorf("recall %.4f is %.4f of the phone ceiling %.4f, want >= 0.99", r.recall, r.recall/r.ceiling, r.ceiling)
	}
	if r.oneEntityHubs > 0 {
		t.Errorf("%d phones of one person flagged hubs, want none", r.oneEntityHubs)
	}
	// AutoLink reaches beyond the phone ceiling without losing precision.
	if suggestions && (r.autoPrecision < 0.999 || r.autoRecall <= r.recall) {
		t.Errorf("after AutoLink at %.2f: precision %.4f, recall %.4f; want >= 0.999 and above %.4f", autoLinkAt, r.autoPrecision, r.autoRecall, r.recall)
	}
}

// evaluateFEBRL imports the files into a new database, one source per
// file, and measures the profiles and suggestions against the truth.
func evaluateFEBRL(t *testing.T, paths []string) febrlResult {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	db, err := scv.Open("", scv.Options{
		Keys:     crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		InMemory: true,
		Region:   "AU",
		Clock:    func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mapping, err := identity.ParseMapping(febrlMapping)
	if err != nil {
		t.Fatal(err)
	}

	var truth []febrlRecord
	var r febrlResult
	for _, path := range paths {
		truth = append(truth, febrlTruth(t, path)...)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := db.IngestAll(ctx, identity.Decode(f, identity.FormatCSV, identity.Options{
			Source: febrlSource(path), Region: "AU", Mapping: mapping,
		}), scv.IngestOptions{File: filepath.Base(path)})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for reason, n := range sum.Quarantined {
			r.quarantined += n
			t.Logf("%s: quarantined %d: %s", filepath.Base(path), n, reason)
		}
	}
	r.records = len(truth)

	holder, members, hubs := febrlProfiles(t, db)
	r.profiles = len(members)
	if len(holder)+r.quarantined != r.records {
		t.Fatalf("counts do not reconcile: %d records in profiles + %d quarantined != %d read", len(holder), r.quarantined, r.records)
	}
	entity := map[string]string{}
	byEntity := map[string][]febrlRecord{}
	for _, rec := range truth {
		if _, dup := entity[rec.id]; dup {
			t.Fatalf("rec_id %s appears twice", rec.id)
		}
		entity[rec.id] = rec.entity
		byEntity[rec.entity] = append(byEntity[rec.entity], rec)
	}

	r.predictedPairs, r.correctPairs, r.truePairs = pairwise(holder, members, entity, byEntity)
	r.precision = float64(r.correctPairs) / float64(r.predictedPairs)
	r.recall = float64(r.correctPairs) / float64(r.truePairs)
	r.f1 = 2 * r.precision * r.recall / (r.precision + r.recall)

	// The ceiling of a phone key: true pairs whose records carry the same
	// valid phone. Those it misses must be explained by a protection rule.
	for _, recs := range byEntity {
		for i, a := range recs {
			for _, b := range recs[i+1:] {
				if !samePhone(a.phone, b.phone) {
					continue
				}
				r.ceilingPairs++
				if holder[a.id] != "" && holder[a.id] == holder[b.id] {
					continue
				}
				r.ceilingMissed++
				pe, err := db.ExplainPair(ctx, a.key, b.key)
				if err != nil {
					t.Fatal(err)
				}
				if pe.Rule == scv.RuleHub || pe.Rule == scv.RuleLimit {
					r.protectionMissed++
				}
			}
		}
	}
	r.ceiling = float64(r.ceilingPairs) / float64(r.truePairs)

	// Hubs: a phone whose records are all one entity's is a person's,
	// however many ways their name is written.
	phoneEntities := map[string]map[string]bool{}
	for _, rec := range truth {
		p, err := identity.ParsePhone(rec.phone, "AU")
		if err != nil || !hubs[p.String()] {
			continue
		}
		if phoneEntities[p.String()] == nil {
			phoneEntities[p.String()] = map[string]bool{}
		}
		phoneEntities[p.String()][rec.entity] = true
	}
	r.hubs = len(hubs)
	for _, ents := range phoneEntities {
		if len(ents) == 1 {
			r.oneEntityHubs++
		}
	}

	// Suggestions, and the true pairs they find among those the phone key
	// missed; at the default threshold, and at 0.3 (the same name and
	// birthday whatever the phones) for comparison.
	for _, rec := range truth {
		for _, other := range byEntity[rec.entity] {
			pa, pb := holder[rec.id], holder[other.id]
			if rec.id >= other.id || (pa != "" && pa == pb) {
				continue
			}
			r.missedPairs++
			if pa != "" && pb != "" {
				r.findablePairs++
			}
		}
	}
	measure := func(opts scv.SuggestOptions) suggestMeasure {
		var m suggestMeasure
		suggested := map[[2]string]bool{}
		for sg, err := range db.Suggest(ctx, opts) {
			if err != nil {
				t.Fatal(err)
			}
			m.suggestions++
			suggested[[2]string{sg.A, sg.B}] = true
			if sharesEntity(members[sg.A], members[sg.B], entity) {
				m.correct++
			}
		}
		m.unfound = map[string]int{}
		for _, rec := range truth {
			for _, other := range byEntity[rec.entity] {
				pa, pb := holder[rec.id], holder[other.id]
				if rec.id >= other.id || pa == "" || pb == "" || pa == pb {
					continue
				}
				if suggested[[2]string{min(pa, pb), max(pa, pb)}] {
					m.found++
					continue
				}
				// Why not: below the threshold, or never compared.
				why := "no common block, or the names differ"
				all, err := db.SuggestFor(ctx, pa, scv.SuggestOptions{MinScore: 0.001})
				if err != nil {
					t.Fatal(err)
				}
				for _, sg := range all {
					if sg.A == pb || sg.B == pb {
						why = fmt.Sprintf("score %.2f: %v", sg.Score, sg.Evidence)
					}
				}
				m.unfound[why]++
			}
		}
		if m.suggestions > 0 {
			m.precision = float64(m.correct) / float64(m.suggestions)
		}
		m.share = float64(m.found) / float64(r.missedPairs)
		m.findableShare = float64(m.found) / float64(r.findablePairs)
		return m
	}
	r.suggest = measure(scv.SuggestOptions{})
	r.suggestLow = measure(scv.SuggestOptions{MinScore: 0.3})

	sum, err := db.AutoLink(ctx, scv.AutoLinkOptions{MinProbability: autoLinkAt})
	if err != nil {
		t.Fatal(err)
	}
	r.autoLinked = sum.Linked
	holder, members, _ = febrlProfiles(t, db)
	predicted, correct, _ := pairwise(holder, members, entity, byEntity)
	r.autoPrecision = float64(correct) / float64(predicted)
	r.autoRecall = float64(correct) / float64(r.truePairs)

	rep, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("Verify: %v", rep.Problems)
	}
	return r
}

// febrlProfiles reads which profile holds each record (by rec_id), the
// records of each profile, and the phones flagged hubs (E.164).
func febrlProfiles(t *testing.T, db *scv.DB) (holder map[string]string, members map[string][]string, hubs map[string]bool) {
	t.Helper()
	holder, members, hubs = map[string]string{}, map[string][]string{}, map[string]bool{}
	for p, err := range db.All(context.Background(), scv.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		members[p.ID] = nil
		for _, id := range p.Identifiers {
			if id.Kind == identity.KindPhone.String() && id.Status == scv.StatusHub {
				hubs[id.Value] = true
			}
		}
		for _, s := range p.Sources {
			if _, dup := holder[s.RecordID]; dup {
				t.Fatalf("record %s is in two profiles", s.RecordID)
			}
			holder[s.RecordID] = p.ID
			members[p.ID] = append(members[p.ID], s.RecordID)
		}
	}
	return holder, members, hubs
}

// pairwise counts the predicted, correct and true pairs. A record in no
// profile (quarantined) is a singleton.
func pairwise(holder map[string]string, members map[string][]string, entity map[string]string, byEntity map[string][]febrlRecord) (predicted, correct, truePairs int) {
	cells := map[[2]string]int{} // (profile, entity) -> records
	for id, pid := range holder {
		cells[[2]string{pid, entity[id]}]++
	}
	for _, ids := range members {
		predicted += pairs(len(ids))
	}
	for _, n := range cells {
		correct += pairs(n)
	}
	for _, recs := range byEntity {
		truePairs += pairs(len(recs))
	}
	return predicted, correct, truePairs
}

// samePhone reports whether two phone values are the same valid number
// with region AU.
func samePhone(a, b string) bool {
	pa, err := identity.ParsePhone(a, "AU")
	if err != nil {
		return false
	}
	pb, err := identity.ParsePhone(b, "AU")
	return err == nil && pa == pb
}

// sharesEntity reports whether two profiles hold records of one entity.
func sharesEntity(a, b []string, entity map[string]string) bool {
	for _, x := range a {
		for _, y := range b {
			if e := entity[x]; e != "" && e == entity[y] { // a record of no known entity is nobody's match
				return true
			}
		}
	}
	return false
}
