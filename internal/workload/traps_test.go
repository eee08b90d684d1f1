package workload_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

func newTrapGenerator(t testing.TB, n int, seed uint64) *workload.Generator {
	t.Helper()
	g, err := workload.New(workload.Config{Records: n, Seed: seed, Traps: true})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestTrapsSameSeedSameBytes checks that a trap workload is deterministic
// and differs from the plain workload of the same seed.
func TestTrapsSameSeedSameBytes(t *testing.T) {
	a, b, plain := newTrapGenerator(t, 3000, 42), newTrapGenerator(t, 3000, 42), newGenerator(t, 3000, 42)
	for _, f := range workload.Files() {
		x, _ := io.ReadAll(a.Open(f))
		y, _ := io.ReadAll(b.Open(f))
		z, _ := io.ReadAll(plain.Open(f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s: same seed, different bytes", f.Name)
		}
		if bytes.Equal(x, z) {
			t.Errorf("%s: the trap workload is the plain one", f.Name)
		}
	}
}

// trapRecord is one decoded line of a trap workload with its truth.
type trapRecord struct {
	line workload.Line
	rec  identity.Record
	err  *identity.RecordError
}

func trapRecords(t *testing.T, g *workload.Generator) []trapRecord {
	t.Helper()
	var out []trapRecord
	for _, f := range workload.Files() {
		var lines []workload.Line
		for l := range g.Lines(f) {
			lines = append(lines, l)
		}
		n := 0
		for rec, err := range identity.Decode(g.Open(f), f.Format, f.Options()) {
			tr := trapRecord{line: lines[n], rec: rec}
			if err != nil && !errors.As(err, &tr.err) {
				t.Fatal(err)
			}
			out = append(out, tr)
			n++
		}
		if n != len(lines) {
			t.Fatalf("%s: %d records decoded, %d lines of truth", f.Name, n, len(lines))
		}
	}
	return out
}

// TestTraps checks that a trap workload holds every trap at the rates its
// documentation gives, and that the truth says what the records are.
func TestTraps(t *testing.T) {
	const n = 20000
	g := newTrapGenerator(t, n, 5)
	recs := trapRecords(t, g)
	if len(recs) != n || g.NumRecords() != n {
		t.Fatalf("%d records, NumRecords %d, want %d", len(recs), g.NumRecords(), n)
	}
	phoneOf := map[string]string{} // person -> own phone
	for p := range g.People() {
		phoneOf[p.ID] = p.Phone
	}

	count := map[workload.Trap]int{}
	var ecommerce int
	buyers := map[string]map[string]bool{}      // buyer id -> people
	phonePeople := map[string]map[string]bool{} // phone -> people of records carrying it
	type span struct{ first, last time.Time }
	recycled := map[string]map[string]*span{} // phone -> person -> when
	fans := map[identity.RecordKey]bool{}
	for _, r := range recs {
		for _, tr := range workload.AllTraps {
			if r.line.Traps&tr != 0 {
				count[tr]++
			}
		}
		if r.err != nil {
			if r.line.Traps&workload.TrapNoID == 0 && r.line.Traps&workload.TrapCashier == 0 {
				t.Errorf("%s line %d quarantined (%s) but not a noid or cashier trap", r.line.File, r.line.Line, r.err.Reason)
			}
			continue
		}
		rec, person := &r.rec, r.line.Person
		if r.line.File == "weibo/fans.jsonl" {
			fans[rec.Key()] = true
		}
		if rec.Channel == identity.ChannelEcommerce {
			ecommerce++
		}
		if r.line.Traps&workload.TrapNoID != 0 && len(rec.Identifiers) > 0 {
			t.Errorf("%s line %d: a noid record with %d identifiers", r.line.File, r.line.Line, len(rec.Identifiers))
		}
		for _, id := range rec.Identifiers {
			switch id.Kind {
			case identity.KindBuyer:
				if buyers[id.Value] == nil {
					buyers[id.Value] = map[string]bool{}
				}
				buyers[id.Value][person] = true
			case identity.KindPhone:
				if phonePeople[id.Value] == nil {
					phonePeople[id.Value] = map[string]bool{}
				}
				phonePeople[id.Value][person] = true
				gift := r.line.Traps&workload.TrapGift != 0
				if gift == (id.Value == phoneOf[person]) && r.line.Traps&workload.TrapCashier == 0 {
					t.Errorf("%s line %d: gift %t, but the phone is the person's own: %t", r.line.File, r.line.Line, gift, !gift)
				}
				// (A partial lead form's time is its account's creation.)
				if r.line.Traps&workload.TrapRecycled != 0 && r.line.Traps&workload.TrapLead == 0 && !rec.Observed.IsZero() {
					if recycled[id.Value] == nil {
						recycled[id.Value] = map[string]*span{}
					}
					s := recycled[id.Value][person]
					if s == nil {
						s = &span{rec.Observed, rec.Observed}
						recycled[id.Value][person] = s
					}
					s.first, s.last = minTime(s.first, rec.Observed), maxTime(s.last, rec.Observed)
				}
			}
		}
		if r.line.Traps&workload.TrapLead != 0 {
			if len(rec.Phones()) == 0 || !fans[rec.Key()] {
				t.Errorf("%s line %d: a partial lead form without a phone or an earlier fan record", r.line.File, r.line.Line)
			}
			for _, in := range rec.Interactions {
				if in.Type != identity.InteractionLeadForm {
					t.Errorf("%s line %d: a partial lead form with interactions", r.line.File, r.line.Line)
				}
			}
		}
	}

	// A gift order is the buyer's: every buyer account is one person.
	for _, people := range buyers {
		if len(people) != 1 {
			t.Errorf("a buyer account belongs to %d people in the truth, want 1", len(people))
		}
	}
	// A recycled number: two people, years apart.
	if len(recycled) == 0 {
		t.Error("no recycled number")
	}
	for _, holders := range recycled {
		if len(holders) == 1 {
			continue // the other holder's records carry no phone
		}
		if len(holders) != 2 {
			t.Errorf("a recycled number has %d holders, want 2", len(holders))
			continue
		}
		var s []*span
		for _, sp := range holders {
			s = append(s, sp)
		}
		if s[0].first.After(s[1].first) {
			s[0], s[1] = s[1], s[0]
		}
		if gap := s[1].first.Sub(s[0].last); gap < 3*365*24*time.Hour {
			t.Errorf("a recycled number's holders are %v apart, want years", gap)
		}
	}
	// Hubs: placeholders typed for many people.
	for _, h := range g.HubPhones() {
		if len(phonePeople[h]) < 4 {
			t.Errorf("hub %s typed for %d people, want 4 or more", h[:6], len(phonePeople[h]))
		}
	}

	share := func(tr workload.Trap, of int) float64 { return float64(count[tr]) / float64(of) }
	for _, tc := range []struct {
		trap   workload.Trap
		lo, hi float64
		of     int
	}{
		{workload.TrapGift, 0.10, 0.20, ecommerce},
		{workload.TrapMasked, 0.12, 0.25, ecommerce},
		{workload.TrapSpelling, 0.12, 0.30, n},
		{workload.TrapRecycled, 0.01, 0.06, n},
		{workload.TrapCashier, 0.01, 0.05, n},
		{workload.TrapLead, 0.01, 0.05, n},
		{workload.TrapFamily, 0.10, 0.30, n},
		{workload.TrapNoID, 0.003, 0.03, n},
		{workload.TrapLoneGift, 0.02, 0.15, ecommerce},
	} {
		if s := share(tc.trap, tc.of); s < tc.lo || s > tc.hi {
			t.Errorf("%s: %.3f of its records (%d), want %.3f to %.3f", tc.trap, s, count[tc.trap], tc.lo, tc.hi)
		}
	}

	// Every spelling is there.
	var all bytes.Buffer
	for _, f := range workload.Files() {
		io.Copy(&all, g.Open(f))
	}
	for _, s := range []string{"女士", "先生", "陳", "Ｗ", "Wang ", "王 ", "13800000000", "****"} {
		if !strings.Contains(all.String(), s) {
			t.Errorf("no record has %q", s)
		}
	}
}

// TestTrapItems checks Generator.Items against a perfect partition: the
// truth itself scores precision and recall 1, above a ceiling under 1
// (placeholders, gifts and recycled numbers link no one correctly).
func TestTrapItems(t *testing.T) {
	g := newTrapGenerator(t, 5000, 9)
	person := map[identity.RecordKey]string{}
	for _, f := range workload.Files() {
		for l := range g.Lines(f) {
			person[l.Key] = l.Person
		}
	}
	items, err := g.Items(context.Background(), func(k identity.RecordKey) string { return person[k] })
	if err != nil {
		t.Fatal(err)
	}
	q := workload.Evaluate(items)
	if q.Precision != 1 || q.Recall != 1 {
		t.Errorf("the truth scores precision %v recall %v, want 1 and 1", q.Precision, q.Recall)
	}
	if q.Ceiling <= 0.5 || q.Ceiling >= 1 {
		t.Errorf("ceiling %v, want between 0.5 and 1", q.Ceiling)
	}
	if q.Oracle <= q.Ceiling || q.Oracle >= 1 {
		t.Errorf("oracle ceiling %v, want between the ceiling %v and 1 (gifts and recycled numbers are shared identifiers)", q.Oracle, q.Ceiling)
	}
	if q.Records != len(person) {
		t.Errorf("%d items, %d record keys", q.Records, len(person))
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TestTrapsWriteFiles checks that a trap workload's files read back as
// its records and that truth/records.csv gives each line's traps.
func TestTrapsWriteFiles(t *testing.T) {
	g := newTrapGenerator(t, 3000, 11)
	dir := writeDir(t, g)
	n := 0
	for _, err := range workload.ReadDir(dir) {
		var re *identity.RecordError
		if err != nil && !errors.As(err, &re) {
			t.Fatal(err)
		}
		n++
	}
	if n != 3000 {
		t.Errorf("ReadDir read %d records, want 3000", n)
	}
	rows := readCSV(t, filepath.Join(dir, "truth", "records.csv"))
	if diff := cmp.Diff([]string{"file", "line", "record_key", "person", "expect", "traps"}, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	var want [][]string
	for _, f := range workload.Files() {
		for l := range g.Lines(f) {
			want = append(want, []string{l.File, strconv.Itoa(l.Line), l.Person, l.Traps.String()})
		}
	}
	var got [][]string
	for _, row := range rows[1:] {
		got = append(got, []string{row[0], row[1], row[3], row[5]})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("truth/records.csv against Lines (-want +got):\n%s", diff)
	}
}
