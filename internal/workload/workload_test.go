package workload_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

func newGenerator(t testing.TB, n int, seed uint64) *workload.Generator {
	t.Helper()
	g, err := workload.New(workload.Config{Records: n, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func writeDir(t testing.TB, g *workload.Generator) string {
	t.Helper()
	dir := t.TempDir()
	if err := g.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// digests returns the SHA-256 of every file under dir, by relative path.
func digests(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSameSeedSameBytes(t *testing.T) {
	const n = 3000
	a := digests(t, writeDir(t, newGenerator(t, n, 42)))
	b := digests(t, writeDir(t, newGenerator(t, n, 42)))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different files (-first +second):\n%s", diff)
	}
	wantFiles := len(workload.Files()) + 2 // and the two truth files
	if len(a) != wantFiles {
		t.Errorf("wrote %d files, want %d", len(a), wantFiles)
	}

	// Open gives the bytes WriteFiles writes.
	g := newGenerator(t, n, 42)
	for _, f := range workload.Files() {
		b, err := io.ReadAll(g.Open(f))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != a[f.Name] {
			t.Errorf("%s: Open and WriteFiles differ", f.Name)
		}
	}

	// Another seed, other bytes in every file.
	c := digests(t, writeDir(t, newGenerator(t, n, 43)))
	for name, sum := range a {
		if c[name] == sum {
			t.Errorf("%s: seeds 42 and 43 give the same bytes", name)
		}
	}
}

func TestNewRefusesBadSizes(t *testing.T) {
	for _, n := range []int{0, -1, workload.MaxRecords + 1} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			if _, err := workload.New(workload.Config{Records: n}); err == nil {
				t.Errorf("New(Records: %d) = nil error", n)
			}
		})
	}
}

// TestShape checks the proportions the package documentation promises.
func TestShape(t *testing.T) {
	const n = 20000
	g := newGenerator(t, n, 7)
	if g.NumRecords() != n {
		t.Errorf("NumRecords = %d, want %d", g.NumRecords(), n)
	}
	perPerson := float64(n) / float64(g.NumPeople())
	if perPerson < 2.3 || perPerson > 2.7 {
		t.Errorf("%.2f records per person, want about 2.5", perPerson)
	}
	records, multi := 0, 0
	for p := range g.People() {
		records += p.Records
		if p.MultiChannel() {
			multi++
		}
	}
	if records != n {
		t.Errorf("people's records add up to %d, want %d", records, n)
	}
	share := float64(multi) / float64(g.NumPeople())
	if share < 0.35 || share > 0.45 {
		t.Errorf("%.3f of people are on two or more channels, want 0.35 to 0.45", share)
	}
}

// TestFeatures checks that a workload exercises every case the package
// documentation lists.
func TestFeatures(t *testing.T) {
	g := newGenerator(t, 20000, 7)
	people := map[identity.RecordKey]string{}
	for _, f := range workload.Files() {
		for l := range g.Lines(f) {
			people[l.Key] = l.Person
		}
	}
	type keyCount = map[identity.RecordKey]int
	var (
		quarantined  = map[identity.Reason]int{}
		withheld     = map[identity.Reason]int{}
		anonWithheld = map[identity.Reason]int{}
		statuses     = map[identity.OrderStatus]int{}
		seen         = keyCount{}
		later        int // records seen again with a later observed time
		identical    int // records seen again identical
		hubPeople    = map[string]map[string]bool{}
		leads        int
		anonymous    int // Weibo records without a phone
		referrals    int
		feedback     int
		consent      int
		last         = map[identity.RecordKey]identity.Record{}
	)
	hubs := map[string]bool{}
	for _, h := range g.HubPhones() {
		hubs[h] = true
		hubPeople[h] = map[string]bool{}
	}
	for rec, err := range g.Records() {
		var re *identity.RecordError
		if errors.As(err, &re) {
			quarantined[re.Reason]++
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		k := rec.Key()
		if prev, ok := last[k]; ok {
			prev.Line = rec.Line
			switch {
			case cmp.Equal(prev, rec, cmp.Comparer(func(a, b identity.Phone) bool { return a == b })):
				identical++
			case rec.Observed.After(prev.Observed):
				later++
			}
		}
		last[k] = rec
		seen[k]++
		for _, w := range rec.Withheld {
			withheld[w.Reason]++
			if len(rec.Identifiers) == 0 {
				anonWithheld[w.Reason]++
			}
		}
		for _, o := range rec.Orders {
			statuses[o.Status]++
		}
		for _, id := range rec.Identifiers {
			if id.Kind == identity.KindPhone && hubs[id.Value] {
				hubPeople[id.Value][people[k]] = true
			}
		}
		for _, in := range rec.Interactions {
			if in.Type == identity.InteractionLeadForm {
				leads++
			}
		}
		if rec.Channel == identity.ChannelWeibo && len(rec.Phones()) == 0 {
			anonymous++
		}
		referrals += len(rec.Referrals)
		feedback += len(rec.Feedback)
		consent += len(rec.Consent)
	}
	for _, tc := range []struct {
		name  string
		count int
	}{
		{"anonymous receipt, placeholder 13800000000 withheld", anonWithheld[identity.ReasonPlaceholderPhone]},
		{"anonymous receipt, typo withheld", anonWithheld[identity.ReasonInvalidPhone]},
		{"withheld masked mobile", withheld[identity.ReasonMaskedPhone]},
		{"withheld placeholder with a member number", withheld[identity.ReasonPlaceholderPhone]},
		{"paid orders", statuses[identity.OrderPaid]},
		{"refunded orders", statuses[identity.OrderRefunded]},
		{"cancelled orders", statuses[identity.OrderCancelled]},
		{"unpaid orders", statuses[identity.OrderUnpaid]},
		{"records seen again later", later},
		{"records re-sent identical", identical},
		{"lead forms", leads},
		{"anonymous Weibo fans", anonymous},
		{"referrals", referrals},
		{"feedback scores", feedback},
		{"consent statements", consent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.count == 0 {
				t.Errorf("none in the workload")
			}
		})
	}
	t.Run("hub numbers typed for four or more people", func(t *testing.T) {
		for h, ps := range hubPeople {
			if len(ps) < 4 {
				t.Errorf("hub %d of %d: typed for %d people, want 4 or more", slicesIndex(g.HubPhones(), h), len(hubs), len(ps))
			}
		}
	})
	t.Run("full-width and international spellings", func(t *testing.T) {
		b, err := io.ReadAll(g.Open(workload.Files()[6])) // pos/stores.csv
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"１", "+86", "0086 ", "13800000000", "refunded", "registered"} {
			if !bytes.Contains(b, []byte(s)) {
				t.Errorf("pos/stores.csv has no %q", s)
			}
		}
	})
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestFilesMatchTruth decodes every written file and checks each record
// against the ground truth, line by line: the same key, and accepted or
// quarantined with the expected reason; so read = accepted + quarantined
// and the truth covers every accepted record.
func TestFilesMatchTruth(t *testing.T) {
	const n = 10000
	g := newGenerator(t, n, 3)
	dir := writeDir(t, g)
	truthRows := readCSV(t, filepath.Join(dir, "truth", "records.csv"))
	if diff := cmp.Diff([]string{"file", "line", "record_key", "person", "expect"}, truthRows[0]); diff != "" {
		t.Fatalf("truth/records.csv header (-want +got):\n%s", diff)
	}
	truthRows = truthRows[1:]
	total := 0
	for _, f := range workload.Files() {
		t.Run(f.Name, func(t *testing.T) {
			fh, err := os.Open(filepath.Join(dir, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			next, stop := iter.Pull(g.Lines(f))
			defer stop()
			read, accepted, quarantined := 0, 0, 0
			for rec, err := range identity.Decode(fh, f.Format, f.Options()) {
				read++
				want, ok := next()
				if !ok {
					t.Fatalf("record %d: the truth has no more lines", read)
				}
				got := workload.Line{File: f.Name, Person: want.Person}
				var re *identity.RecordError
				switch {
				case err == nil:
					accepted++
					got.Line, got.Key = rec.Line, rec.Key()
				case errors.As(err, &re):
					quarantined++
					got.Line, got.Reason = re.Line, re.Reason
					got.Key = identity.RecordKey{Channel: want.Key.Channel, Source: re.Source, ID: re.RecordID}
				default:
					t.Fatalf("record %d: %v", read, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("record %d (-truth +decoded):\n%s", read, diff)
				}
				row := truthRows[total+read-1]
				expect := string(want.Reason)
				if expect == "" {
					expect = "accepted"
				}
				wantRow := []string{want.File, strconv.Itoa(want.Line), want.Key.String(), want.Person, expect}
				if diff := cmp.Diff(wantRow, row); diff != "" {
					t.Fatalf("truth/records.csv row %d (-want +got):\n%s", total+read, diff)
				}
			}
			if _, ok := next(); ok {
				t.Errorf("the truth has lines the file does not")
			}
			if read != accepted+quarantined {
				t.Errorf("read %d != accepted %d + quarantined %d", read, accepted, quarantined)
			}
			total += read
		})
	}
	if total != n || len(truthRows) != n {
		t.Errorf("files hold %d records and the truth %d rows, want %d", total, len(truthRows), n)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestPeopleTruth recomputes each person's paid orders and spend from the
// decoded records, as the merge step counts them (an order once, in the
// state of its latest sighting; only paid counts), and checks it and the
// phone against the ground truth and truth/people.csv.
func TestPeopleTruth(t *testing.T) {
	const n = 10000
	g := newGenerator(t, n, 5)
	owner := map[identity.RecordKey]string{}
	for _, f := range workload.Files() {
		for l := range g.Lines(f) {
			owner[l.Key] = l.Person
		}
	}
	type orderKey struct{ platform, id string }
	type sighting struct {
		person   string
		observed time.Time
		order    identity.Order
	}
	orders := map[orderKey]sighting{}
	phones := map[string]map[string]bool{} // person -> phones of accepted records
	for rec, err := range g.Records() {
		if err != nil {
			continue
		}
		if rec.Observed.After(workload.DefaultAsOf) {
			t.Fatalf("record %v observed after the as-of time", rec.Key())
		}
		p := owner[rec.Key()]
		if phones[p] == nil {
			phones[p] = map[string]bool{}
		}
		for _, id := range rec.Phones() {
			phones[p][id.Value] = true
		}
		for _, o := range rec.Orders {
			if o.Time.After(workload.DefaultAsOf) {
				t.Fatalf("order of %v placed after the as-of time", rec.Key())
			}
			k := orderKey{o.Platform, o.ID}
			if s, ok := orders[k]; !ok || !rec.Observed.Before(s.observed) {
				orders[k] = sighting{person: p, observed: rec.Observed, order: o}
			}
		}
	}
	type bought struct {
		Orders int
		Spend  int64
	}
	got, want := map[string]bought{}, map[string]bought{}
	for _, s := range orders {
		if s.order.Status == identity.OrderPaid {
			b := got[s.person]
			b.Orders++
			b.Spend += s.order.AmountFen
			got[s.person] = b
		}
	}
	rows := readCSV(t, filepath.Join(writeDir(t, g), "truth", "people.csv"))
	if len(rows) != g.NumPeople()+1 {
		t.Fatalf("truth/people.csv has %d rows, want %d and a header", len(rows)-1, g.NumPeople())
	}
	i := 0
	for p := range g.People() {
		if p.PaidOrders > 0 {
			want[p.ID] = bought{p.PaidOrders, p.SpendFen}
		}
		if p.PhoneKnown != phones[p.ID][p.Phone] {
			t.Errorf("%s: PhoneKnown %t, but accepted records carry the phone: %t", p.ID, p.PhoneKnown, phones[p.ID][p.Phone])
		}
		var chans []string
		for _, c := range p.Channels {
			chans = append(chans, string(c))
		}
		row := []string{p.ID, p.Phone, strconv.FormatBool(p.PhoneKnown), strings.Join(chans, "+"),
			strconv.Itoa(p.Records), strconv.Itoa(p.Accepted), strconv.Itoa(p.PaidOrders), strconv.FormatInt(p.SpendFen, 10)}
		i++
		if diff := cmp.Diff(row, rows[i]); diff != "" {
			t.Fatalf("truth/people.csv row %d (-want +got):\n%s", i, diff)
		}
		if q := g.Person(i - 1); !cmp.Equal(q, p) {
			t.Fatalf("Person(%d) differs from People()", i-1)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paid orders by person (-truth +decoded):\n%s", diff)
	}
	if len(want) == 0 {
		t.Error("nobody bought anything")
	}
}

// TestRecordsMatchFiles checks that streaming and reading the written
// files give the same records, in the same order.
func TestRecordsMatchFiles(t *testing.T) {
	g := newGenerator(t, 5000, 11)
	dir := writeDir(t, g)
	next, stop := iter.Pull2(workload.ReadDir(dir))
	defer stop()
	opt := cmp.Comparer(func(a, b identity.Phone) bool { return a == b })
	n := 0
	for rec, err := range g.Records() {
		n++
		frec, ferr, ok := next()
		if !ok {
			t.Fatalf("record %d: the files end early", n)
		}
		if diff := cmp.Diff(frec, rec, opt); diff != "" {
			t.Fatalf("record %d (-file +stream):\n%s", n, diff)
		}
		if fmt.Sprint(ferr) != fmt.Sprint(err) {
			t.Fatalf("record %d: file error %v, stream error %v", n, ferr, err)
		}
	}
	if _, _, ok := next(); ok {
		t.Error("the files hold more records than the stream")
	}
	if n != g.NumRecords() {
		t.Errorf("streamed %d records, want %d", n, g.NumRecords())
	}
}

func TestReadDirMissingFile(t *testing.T) {
	for _, err := range workload.ReadDir(t.TempDir()) {
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("ReadDir of an empty directory: %v, want a not-exist error", err)
		}
		return
	}
	t.Error("ReadDir of an empty directory yielded nothing")
}

func TestPhoneSpellings(t *testing.T) {
	g := newGenerator(t, 5000, 9)
	phones := map[string]bool{}
	for p := range g.People() {
		phones[p.Phone] = true
	}
	spellings := g.PhoneSpellings(3000)
	if diff := cmp.Diff(spellings, g.PhoneSpellings(3000)); diff != "" {
		t.Fatalf("two calls differ (-first +second):\n%s", diff)
	}
	forms := map[string]int{}
	for _, s := range spellings {
		p, err := identity.ParsePhone(s, "CN")
		if err != nil {
			t.Fatalf("a spelling does not parse: %v", err)
		}
		if !phones[p.String()] {
			t.Fatalf("a spelling is nobody's phone")
		}
		switch {
		case s == p.String()[3:]:
			forms["plain"]++
		case strings.HasPrefix(s, "+86"), strings.HasPrefix(s, "(+86)"):
			forms["+86"]++
		case strings.HasPrefix(s, "0086"):
			forms["0086"]++
		case strings.ContainsAny(s, " -"):
			forms["separated"]++
		case strings.HasPrefix(s, "１"):
			forms["full-width"]++
		}
	}
	for _, f := range []string{"plain", "+86", "0086", "separated", "full-width"} {
		if forms[f] == 0 {
			t.Errorf("no %s spelling among %d", f, len(spellings))
		}
	}
}
