package scv_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// TestSuggestQuality measures the calibrated suggestions on the FEBRL data
// (../shared/data/febrl, see febrl_test.go) beyond the phone ceiling: the
// true pairs the phone key did not join although both records are in
// profiles, which only suggestions can find. It prints precision and
// recall by probability band and checks that precision rises with the
// probability, that it is 0.99 or more from 0.9 up, and that recall is
// 0.95 or more even at 0.99. (On these sets every such pair scores above
// 0.99 and the few false pairs below 0.1; records without a valid phone
// are anonymous profiles, which suggestions reach like any other.) Run it
// with
//
//	go test -run TestSuggestQuality -v .
func TestSuggestQuality(t *testing.T) {
	dir := filepath.Join("..", "shared", "data", "febrl")
	if _, err := os.Stat(filepath.Join(dir, "dataset_A_10000.csv")); err != nil {
		t.Skipf("FEBRL data not found in %s: this evaluation reads the Febrl data sets from there (see DEVELOPERS.md)", dir)
	}
	for _, set := range []struct {
		name  string
		files []string
	}{
		{"A_10000", []string{"dataset_A_10000.csv"}},
		{"D_10000", []string{"dataset_D_org_10000.csv", "dataset_D_dup_10000.csv"}},
	} {
		t.Run(set.name, func(t *testing.T) {
			var paths []string
			for _, f := range set.files {
				paths = append(paths, filepath.Join(dir, f))
			}
			bands := suggestBands(t, paths)
			t.Logf("%-6s %11s %8s %8s %10s %8s %9s", "P >=", "suggestions", "correct", "found", "precision", "recall", "mean P")
			for _, b := range bands {
				t.Logf("%-6.2f %11d %8d %8d %10.4f %8.4f %9.4f", b.min, b.suggestions, b.correct, b.found, b.precision, b.recall, b.meanP)
			}
			for i, b := range bands {
				if b.min >= 0.9 && b.suggestions > 0 && b.precision < 0.99 {
					t.Errorf("precision %.4f at probability >= %.2f, want >= 0.99", b.precision, b.min)
				}
				if i > 0 && b.suggestions > 0 && b.precision < bands[i-1].precision {
					t.Errorf("precision falls from %.4f (>= %.2f) to %.4f (>= %.2f): probabilities are not monotone with precision",
						bands[i-1].precision, bands[i-1].min, b.precision, b.min)
				}
			}
			if b := bands[len(bands)-1]; b.recall < 0.95 {
				t.Errorf("recall %.4f beyond the phone ceiling at probability >= %.2f, want >= 0.95", b.recall, b.min)
			}
		})
	}
}

// suggestBand is what the suggestions of probability min or more find.
type suggestBand struct {
	min                         float64
	suggestions, correct, found int // found: true pairs beyond the ceiling suggested
	precision, recall, meanP    float64
}

// suggestBands imports FEBRL files and measures the suggestions by
// probability band against the true pairs beyond the phone ceiling.
func suggestBands(t *testing.T, paths []string) []suggestBand {
	t.Helper()
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
	entity := map[string]string{}
	byEntity := map[string][]string{}
	for _, path := range paths {
		for _, rec := range febrlTruth(t, path) {
			entity[rec.id] = rec.entity
			byEntity[rec.entity] = append(byEntity[rec.entity], rec.id)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.IngestAll(ctx, identity.Decode(f, identity.FormatCSV, identity.Options{
			Source: febrlSource(path), Region: "AU", Mapping: mapping,
		}), scv.IngestOptions{File: filepath.Base(path)})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	holder := map[string]string{}
	members := map[string][]string{}
	for p, err := range db.All(ctx, scv.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Sources {
			holder[s.RecordID] = p.ID
			members[p.ID] = append(members[p.ID], s.RecordID)
		}
	}
	return measureSuggestions(t, db, holder, members, entity, byEntity)
}

// measureSuggestions measures db's suggestions by probability band
// against the true pairs of records in two profiles: holder gives each
// record's profile, members each profile's records, entity each record's
// person, byEntity each person's records (records are any strings).
func measureSuggestions(t *testing.T, db *scv.DB, holder map[string]string, members map[string][]string, entity map[string]string, byEntity map[string][]string) []suggestBand {
	t.Helper()
	ctx := context.Background()
	// The true pairs beyond the ceiling, as profile pairs.
	beyond := map[[2]string]bool{}
	for _, ids := range byEntity {
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				pa, pb := holder[a], holder[b]
				if pa != "" && pb != "" && pa != pb {
					beyond[[2]string{min(pa, pb), max(pa, pb)}] = true
				}
			}
		}
	}
	bands := []suggestBand{{min: 0.01}, {min: 0.1}, {min: 0.5}, {min: 0.8}, {min: 0.9}, {min: 0.95}, {min: 0.99}}
	for sg, err := range db.Suggest(ctx, scv.SuggestOptions{MinProbability: bands[0].min}) {
		if err != nil {
			t.Fatal(err)
		}
		correct := sharesEntity(members[sg.A], members[sg.B], entity)
		for i := range bands {
			b := &bands[i]
			if sg.Probability < b.min {
				continue
			}
			b.suggestions++
			b.meanP += sg.Probability
			if correct {
				b.correct++
			}
			if beyond[[2]string{sg.A, sg.B}] {
				b.found++
			}
		}
	}
	for i := range bands {
		b := &bands[i]
		if b.suggestions > 0 {
			b.precision = float64(b.correct) / float64(b.suggestions)
			b.meanP /= float64(b.suggestions)
		}
		if len(beyond) > 0 {
			b.recall = float64(b.found) / float64(len(beyond))
		}
	}
	t.Logf("true pairs beyond the phone ceiling with both records in profiles: %d", len(beyond))
	return bands
}
