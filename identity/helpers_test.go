package identity_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
)

// result is one value yielded by Decode.
type result struct {
	rec identity.Record
	err error
}

// decodeAll collects everything Decode yields for input.
func decodeAll(t testing.TB, f identity.Format, opts identity.Options, input string) []result {
	t.Helper()
	var out []result
	for rec, err := range identity.Decode(strings.NewReader(input), f, opts) {
		out = append(out, result{rec, err})
	}
	return out
}

// summary flattens what Decode yielded for one record into comparable
// strings: every facet the record has, and nothing for those it lacks.
// A quarantined record gives "quarantine" = "field: reason".
func summary(r result) map[string]string {
	m := map[string]string{}
	if r.err != nil {
		var re *identity.RecordError
		if !errors.As(r.err, &re) {
			m["error"] = r.err.Error()
			return m
		}
		m["quarantine"] = re.Field + ": " + string(re.Reason)
		if re.RecordID != "" {
			m["id"] = re.RecordID
		}
		return m
	}
	rec := r.rec
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("id", rec.ID)
	set("observed", stampOf(rec.Observed))
	var ss []string
	for _, id := range rec.Identifiers {
		ss = append(ss, id.String())
	}
	set("ids", strings.Join(ss, " "))
	ss = nil
	for _, w := range rec.Withheld {
		ss = append(ss, w.Field+": "+string(w.Reason))
	}
	set("withheld", strings.Join(ss, "; "))
	ss = nil
	for _, w := range rec.Warnings {
		ss = append(ss, w.Field+": "+string(w.Reason))
	}
	set("warnings", strings.Join(ss, "; "))
	a := rec.Attributes
	set("name", a.Name)
	set("nickname", a.Nickname)
	set("gender", string(a.Gender))
	set("birthday", a.Birthday.String())
	set("country", a.Country)
	set("province", a.Province)
	set("city", a.City)
	set("district", a.District)
	set("language", a.Language)
	set("remark", a.Remark)
	set("bio", a.Bio)
	set("tags", strings.Join(a.Tags, ","))
	if a.Followers != 0 {
		set("followers", fmt.Sprint(a.Followers))
	}
	set("account_created", stampOf(a.AccountCreated))
	ss = nil
	for _, o := range rec.Orders {
		s := fmt.Sprintf("%s/%s %s %d %s %s", o.Platform, o.ID, o.Status, o.AmountFen, o.Currency, stampOf(o.Time))
		if o.Category != "" {
			s += " cat=" + o.Category
		}
		if o.Store != "" {
			s += " store=" + o.Store
		}
		for _, it := range o.Items {
			s += fmt.Sprintf(" [%s %q x%d %d %s]", it.ID, it.Title, it.Quantity, it.PriceFen, it.Category)
		}
		ss = append(ss, s)
	}
	set("orders", strings.Join(ss, "; "))
	ss = nil
	for _, in := range rec.Interactions {
		s := string(in.Type) + " " + stampOf(in.Time)
		if in.ID != "" {
			s += " id=" + in.ID
		}
		if in.Text != "" {
			s += " text=" + in.Text
		}
		if in.Detail != "" {
			s += " detail=" + in.Detail
		}
		ss = append(ss, s)
	}
	set("interactions", strings.Join(ss, "; "))
	ss = nil
	for _, f := range rec.Feedback {
		ss = append(ss, fmt.Sprintf("%s %d %q %s", f.Kind, f.Score, f.Text, stampOf(f.Time)))
	}
	set("feedback", strings.Join(ss, "; "))
	ss = nil
	for _, ref := range rec.Referrals {
		ss = append(ss, ref.Referrer.String()+" "+stampOf(ref.Time))
	}
	set("referrals", strings.Join(ss, "; "))
	ss = nil
	for _, c := range rec.Consent {
		ss = append(ss, fmt.Sprintf("%s=%t %s", c.Purpose, c.Granted, stampOf(c.Time)))
	}
	set("consent", strings.Join(ss, "; "))
	return m
}

func stampOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// adapterCase is one table case for an adapter: an input holding one
// record and the summary it must give.
type adapterCase struct {
	name  string // what the case shows
	opts  identity.Options
	input string
	want  map[string]string
}

// runAdapterCases decodes each case, which must yield exactly one result,
// and compares its summary.
func runAdapterCases(t *testing.T, f identity.Format, cases []adapterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeAll(t, f, tc.opts, tc.input)
			if len(got) != 1 {
				t.Fatalf("Decode yielded %d results, want 1: %v", len(got), got)
			}
			if diff := cmp.Diff(tc.want, summary(got[0])); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}
