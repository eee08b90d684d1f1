package identity_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata/golden/identity")

// fixture is one input file under ../testdata/<format>/.
type fixture struct {
	path   string // relative to ../testdata, such as "pos/stores.csv"
	format identity.Format
	opts   identity.Options
}

// fixtures lists every fixture file, with the mapping of its .map sidecar.
func fixtures(t testing.TB) []fixture {
	t.Helper()
	var out []fixture
	for _, f := range identity.Formats {
		dir := filepath.Join("..", "testdata", string(f))
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("fixtures for %s: %v", f, err)
		}
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if e.IsDir() || (ext != ".json" && ext != ".jsonl" && ext != ".csv") {
				continue
			}
			fx := fixture{path: string(f) + "/" + e.Name(), format: f}
			sidecar := filepath.Join(dir, strings.TrimSuffix(e.Name(), ext)+".map")
			if b, err := os.ReadFile(sidecar); err == nil {
				m, err := identity.ParseMapping(strings.TrimSpace(string(b)))
				if err != nil {
					t.Fatalf("%s: %v", sidecar, err)
				}
				fx.opts.Mapping = m
			}
			out = append(out, fx)
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixtures found")
	}
	return out
}

func (fx fixture) read(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", filepath.FromSlash(fx.path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenFile is the readable form of one decoded fixture.
type goldenFile struct {
	File        string        `json:"file"`
	Read        int           `json:"read"`
	Accepted    int           `json:"accepted"`
	Quarantined int           `json:"quarantined"`
	Entries     []goldenEntry `json:"entries"`
}

type goldenEntry struct {
	Record      *goldenRecord `json:"record,omitempty"`
	Quarantined *goldenError  `json:"quarantined,omitempty"`
}

type goldenError struct {
	Line     int             `json:"line"`
	RecordID string          `json:"record_id,omitempty"`
	Field    string          `json:"field,omitempty"`
	Reason   identity.Reason `json:"reason"`
	Error    string          `json:"error"`
}

type goldenRecord struct {
	Line         int                 `json:"line"`
	Key          string              `json:"key"`
	Observed     string              `json:"observed,omitempty"`
	Identifiers  []string            `json:"identifiers"`
	Receivers    []string            `json:"receivers,omitempty"`
	Withheld     []goldenWithheld    `json:"withheld,omitempty"`
	Attributes   map[string]any      `json:"attributes,omitempty"`
	Orders       []goldenOrder       `json:"orders,omitempty"`
	Interactions []goldenInteraction `json:"interactions,omitempty"`
	Feedback     []goldenFeedback    `json:"feedback,omitempty"`
	Referrals    []string            `json:"referrals,omitempty"`
	Consent      []goldenConsent     `json:"consent,omitempty"`
	Warnings     []string            `json:"warnings,omitempty"` // "field: reason"
}

type goldenOrder struct {
	Platform  string               `json:"platform"`
	ID        string               `json:"id"`
	Status    identity.OrderStatus `json:"status"`
	AmountFen int64                `json:"amount_fen"`
	Currency  string               `json:"currency"`
	Time      string               `json:"time,omitempty"`
	Category  string               `json:"category,omitempty"`
	Store     string               `json:"store,omitempty"`
	Items     []goldenItem         `json:"items,omitempty"`
}

type goldenItem struct {
	ID       string `json:"id,omitempty"`
	Title    string `json:"title,omitempty"`
	Quantity int    `json:"quantity,omitempty"`
	PriceFen int64  `json:"price_fen,omitempty"`
	Category string `json:"category,omitempty"`
}

type goldenWithheld struct {
	Field  string          `json:"field"`
	Reason identity.Reason `json:"reason"`
	Value  string          `json:"value"`
}

type goldenFeedback struct {
	Kind  identity.FeedbackKind `json:"kind"`
	Score int                   `json:"score"`
	Text  string                `json:"text,omitempty"`
	Time  string                `json:"time,omitempty"`
}

type goldenConsent struct {
	Purpose identity.Purpose `json:"purpose"`
	Granted bool             `json:"granted"`
	Time    string           `json:"time,omitempty"`
}

type goldenInteraction struct {
	Type   identity.InteractionType `json:"type"`
	ID     string                   `json:"id,omitempty"`
	Time   string                   `json:"time,omitempty"`
	Text   string                   `json:"text,omitempty"`
	Detail string                   `json:"detail,omitempty"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func toGolden(r identity.Record) *goldenRecord {
	g := &goldenRecord{Line: r.Line, Key: r.Key().String(), Observed: stamp(r.Observed)}
	for _, w := range r.Withheld {
		g.Withheld = append(g.Withheld, goldenWithheld{w.Field, w.Reason, w.Value})
	}
	for _, f := range r.Feedback {
		g.Feedback = append(g.Feedback, goldenFeedback{f.Kind, f.Score, f.Text, stamp(f.Time)})
	}
	for _, c := range r.Consent {
		g.Consent = append(g.Consent, goldenConsent{c.Purpose, c.Granted, stamp(c.Time)})
	}
	for _, w := range r.Warnings {
		g.Warnings = append(g.Warnings, w.Field+": "+string(w.Reason))
	}
	for _, id := range r.Identifiers {
		g.Identifiers = append(g.Identifiers, id.String())
	}
	for _, id := range r.Receivers {
		g.Receivers = append(g.Receivers, id.String())
	}
	a := r.Attributes
	attrs := map[string]any{
		"name": a.Name, "nickname": a.Nickname, "gender": string(a.Gender), "birthday": a.Birthday.String(),
		"country": a.Country, "province": a.Province, "city": a.City, "district": a.District,
		"language": a.Language, "remark": a.Remark, "bio": a.Bio, "account_created": stamp(a.AccountCreated),
	}
	for k, v := range attrs {
		if v == "" {
			delete(attrs, k)
		}
	}
	if len(a.Tags) > 0 {
		attrs["tags"] = a.Tags
	}
	if a.Followers != 0 {
		attrs["followers"] = a.Followers
	}
	if len(attrs) > 0 {
		g.Attributes = attrs
	}
	for _, o := range r.Orders {
		var items []goldenItem
		for _, it := range o.Items {
			items = append(items, goldenItem{it.ID, it.Title, it.Quantity, it.PriceFen, it.Category})
		}
		g.Orders = append(g.Orders, goldenOrder{o.Platform, o.ID, o.Status, o.AmountFen, o.Currency, stamp(o.Time), o.Category, o.Store, items})
	}
	for _, in := range r.Interactions {
		g.Interactions = append(g.Interactions, goldenInteraction{in.Type, in.ID, stamp(in.Time), in.Text, in.Detail})
	}
	for _, ref := range r.Referrals {
		g.Referrals = append(g.Referrals, ref.Referrer.String()+" at "+stamp(ref.Time))
	}
	return g
}

// decodeGolden decodes one fixture into its golden form, failing on any
// error that is not a quarantine entry.
func decodeGolden(t *testing.T, fx fixture) goldenFile {
	t.Helper()
	g := goldenFile{File: fx.path}
	for rec, err := range identity.Decode(bytes.NewReader(fx.read(t)), fx.format, fx.opts) {
		g.Read++
		if err != nil {
			var re *identity.RecordError
			if !errors.As(err, &re) {
				t.Fatalf("%s: Decode ended: %v", fx.path, err)
			}
			g.Quarantined++
			g.Entries = append(g.Entries, goldenEntry{Quarantined: &goldenError{re.Line, re.RecordID, re.Field, re.Reason, re.Error()}})
			continue
		}
		g.Accepted++
		g.Entries = append(g.Entries, goldenEntry{Record: toGolden(rec)})
	}
	return g
}

// TestGolden decodes every fixture and compares the records and quarantine
// entries with testdata/golden/identity/<format>_<file>.json. Run
// `go test ./identity -update` to rewrite them after a deliberate change.
func TestGolden(t *testing.T) {
	dir := filepath.Join("..", "testdata", "golden", "identity")
	var want []string
	for _, fx := range fixtures(t) {
		name := strings.ReplaceAll(strings.TrimSuffix(fx.path, filepath.Ext(fx.path)), "/", "_") + ".json"
		want = append(want, name)
		t.Run(fx.path, func(t *testing.T) {
			got, err := json.MarshalIndent(decodeGolden(t, fx), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join(dir, name)
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./identity -update)", err)
			}
			if diff := cmp.Diff(string(golden), string(got)); diff != "" {
				t.Errorf("%s differs from %s (-want +got):\n%s", fx.path, path, diff)
			}
		})
	}
	// Every golden file belongs to a fixture: a renamed fixture leaves none behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !slices.Contains(want, e.Name()) && !*update {
			t.Errorf("golden file %s has no fixture", e.Name())
		}
	}
}
