package merge_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/merge")

// fixtures decodes every fixture under ../testdata (see its README) and
// returns the accepted records in file and line order, and how many were
// quarantined.
func fixtures(t *testing.T) ([]identity.Record, int) {
	t.Helper()
	var recs []identity.Record
	quarantined := 0
	for _, format := range []identity.Format{identity.FormatWeChat, identity.FormatWeibo, identity.FormatEcommerce, identity.FormatPOS, identity.FormatCSV} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", string(format), "*"))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(files)
		for _, name := range files {
			if strings.HasSuffix(name, ".map") {
				continue
			}
			var opts identity.Options
			if m, err := os.ReadFile(strings.TrimSuffix(name, filepath.Ext(name)) + ".map"); err == nil {
				if opts.Mapping, err = identity.ParseMapping(strings.TrimSpace(string(m))); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			for rec, err := range identity.Decode(f, format, opts) {
				var re *identity.RecordError
				switch {
				case errors.As(err, &re):
					quarantined++
				case err != nil:
					t.Fatalf("%s: %v", name, err)
				default:
					recs = append(recs, rec)
				}
			}
			f.Close()
		}
	}
	if len(recs) == 0 {
		t.Skip("no fixtures in ../testdata")
	}
	return recs, quarantined
}

// TestGoldenProfiles builds the profiles of the fixture cast and compares
// them with testdata/golden/merge: profiles.json holds them whole,
// summary.txt one line each for a reader. Regenerate with -update. The
// same records in reverse order, and ingested twice, give the same
// profiles.
func TestGoldenProfiles(t *testing.T) {
	recs, quarantined := fixtures(t)
	r := newResolver(t, merge.Options{})
	s := newTestStore(t, r)
	for _, rec := range recs {
		s.add(rec, asOf)
	}
	reversed := newTestStore(t, r)
	for i := range recs {
		reversed.add(recs[len(recs)-1-i], asOf)
	}
	for _, rec := range recs {
		if ch := reversed.add(rec, asOf); !ch.NoOp {
			t.Errorf("record %s ingested again changed the store", rec.Key())
		}
	}
	if diff := cmp.Diff(s.anonymous(), reversed.anonymous()); diff != "" {
		t.Fatalf("fixture profiles depend on arrival order (-forward +reversed):\n%s", diff)
	}
	keys := map[identity.RecordKey]bool{}
	for _, rec := range recs {
		keys[rec.Key()] = true
	}
	if len(s.records) != len(keys) {
		t.Errorf("%d records stored of %d distinct keys accepted", len(s.records), len(keys))
	}

	profiles := s.all()
	full, err := json.MarshalIndent(profiles, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %d records accepted (%d distinct keys; later versions replace earlier ones), %d quarantined, %d profiles, as of %s\n",
		len(recs), len(keys), quarantined, len(profiles), asOf.Format("2006-01-02"))
	for _, p := range profiles {
		b.WriteString(summary(p))
		b.WriteByte('\n')
	}
	compareGolden(t, "profiles.json", append(full, '\n'))
	compareGolden(t, "summary.txt", []byte(b.String()))
}

// summary is one line about p: who, which stage, what they bought, which
// records.
func summary(p *merge.Profile) string {
	field := func(f merge.FieldName) string {
		v, _ := p.Field(f)
		if v.Value == "" {
			return "-"
		}
		return v.Value
	}
	var spend []string
	for _, c := range p.Metrics.Spend {
		spend = append(spend, fmt.Sprintf("%s %d.%02d", c.Currency, c.TotalFen/100, c.TotalFen%100))
	}
	var keys []string
	for _, k := range p.Keys() {
		keys = append(keys, k.String())
	}
	hubs := ""
	for _, st := range p.Identifiers {
		if st.Status != merge.StatusLinking {
			hubs += fmt.Sprintf(" %s:%s", st.Identifier.Kind, st.Status)
		}
	}
	return fmt.Sprintf("%s %s/%s phone=%s stage=%s risk=%s paid=%d window=%d spend=[%s] referrals=%d/%d consent=%t%s records=[%s]",
		p.ID, field(merge.FieldPersonName), field(merge.FieldNickname), field(merge.FieldPhone), p.Stage, p.Risk,
		p.Metrics.PaidOrders, p.Metrics.OrdersInWindow, strings.Join(spend, ", "), p.Metrics.PaidReferrals, p.Metrics.Referrals,
		p.Consented(identity.PurposeMarketing), hubs, strings.Join(keys, " "))
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", "merge", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./merge -run TestGoldenProfiles -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// TestFixtureStages checks the stage of every customer of the fixture cast
// that has a phone against the stage testdata/README.md expects.
func TestFixtureStages(t *testing.T) {
	recs, _ := fixtures(t)
	s := newTestStore(t, newResolver(t, merge.Options{}))
	for _, rec := range recs {
		s.add(rec, asOf)
	}
	readme, err := os.ReadFile(filepath.Join("..", "testdata", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(readme), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 8 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "P") {
			continue
		}
		who, phone := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[4])
		want, _, _ := strings.Cut(strings.TrimSpace(cells[7]), " ")
		if !strings.HasPrefix(phone, "+86") {
			continue
		}
		id := identity.Identifier{Kind: identity.KindPhone, Value: phone}
		holders := s.index[id]
		if len(holders) != 1 {
			t.Errorf("%s: %d profiles hold the phone, want 1", who, len(holders))
			continue
		}
		for pid := range holders {
			if got := s.profile(pid).Stage; string(got) != want {
				t.Errorf("%s: stage %s, README expects %s", who, got, want)
			}
		}
		checked++
	}
	t.Logf("%d customers checked", checked)
	if checked < 25 {
		t.Errorf("checked %d customers of the README's cast, want at least 25", checked)
	}
}
