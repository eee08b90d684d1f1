package merge_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    merge.Options
	}{
		{"unknown priority field", merge.Options{Priority: map[merge.FieldName][]string{"shoe_size": {"pos"}}}},
		{"empty priority source", merge.Options{Priority: map[merge.FieldName][]string{merge.FieldCity: {""}}}},
		{"unknown limit kind", merge.Options{Limits: map[identity.Kind]int{42: 1}}},
		{"unknown hub kind", merge.Options{HubKinds: []identity.Kind{0}}},
		{"blocked identifier without a value", merge.Options{Blocked: []identity.Identifier{{Kind: identity.KindPhone}}}},
		{"blocked openid without a scope", merge.Options{Blocked: []identity.Identifier{{Kind: identity.KindOpenID, Value: "o"}}}},
		{"negative lifespan", merge.Options{Lifespan: -merge.Day}},
		{"lifespan under a day", merge.Options{Lifespan: time.Hour}},
		{"negative window", merge.Options{Window: -1}},
		{"repeat from one order", merge.Options{Stage: merge.StageRules{RepeatOrders: 1}}},
		{"promoter score above 10", merge.Options{Stage: merge.StageRules{PromoterScore: 11}}},
		{"at-risk factor above lapsed", merge.Options{Churn: merge.ChurnRules{AtRiskFactor: 4}}},
		{"at-risk factor below 1", merge.Options{Churn: merge.ChurnRules{AtRiskFactor: 0.5}}},
		{"negative churn duration", merge.Options{Churn: merge.ChurnRules{MinInterval: -1}}},
		{"one-time at risk after lapsed", merge.Options{Churn: merge.ChurnRules{OneTimeAtRisk: 400 * merge.Day}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := merge.New(tc.o); !errors.Is(err, merge.ErrInvalid) {
				t.Errorf("New: %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := merge.New(merge.Options{Limits: map[identity.Kind]int{identity.KindPhone: -1}, HubThreshold: -1}); err != nil {
		t.Errorf("turning rules off: %v", err)
	}
}

// TestErrorsCarryNoPersonalData feeds records full of personal data into
// every rejection and requires errors that name the record and the field
// but not the data.
func TestErrorsCarryNoPersonalData(t *testing.T) {
	const secretPhone, secretName = "+8613912345678", "欧阳娜娜"
	base := func() identity.Record {
		r := rec("r1", day(2026, 1, 1), identity.Identifier{Kind: identity.KindPhone, Value: secretPhone})
		r.Attributes.Name = secretName
		return r
	}
	tests := []struct {
		name  string
		field string
		edit  func(r *identity.Record)
	}{
		{"no id", "id", func(r *identity.Record) { r.ID = "" }},
		{"unscoped openid", "identifiers[1]", func(r *identity.Record) {
			r.Identifiers = append(r.Identifiers, identity.Identifier{Kind: identity.KindOpenID, Value: secretPhone})
		}},
		{"scoped phone", "identifiers[0]", func(r *identity.Record) { r.Identifiers[0].Scope = secretName }},
		{"unknown kind", "identifiers[0]", func(r *identity.Record) { r.Identifiers[0].Kind = 99 }},
		{"order without id", "orders[0]", func(r *identity.Record) { r.Orders = []identity.Order{{Status: identity.OrderPaid}} }},
		{"negative amount", "orders[0]", func(r *identity.Record) {
			r.Orders = []identity.Order{{ID: "o", Status: identity.OrderPaid, AmountFen: -1}}
		}},
		{"unknown order status", "orders[0]", func(r *identity.Record) { r.Orders = []identity.Order{{ID: "o", Status: "lost"}} }},
		{"interaction without type", "interactions[0]", func(r *identity.Record) { r.Interactions = []identity.Interaction{{Text: secretName}} }},
		{"NPS above 10", "feedback[0]", func(r *identity.Record) {
			r.Feedback = []identity.Feedback{{Kind: identity.FeedbackNPS, Score: 11, Text: secretName}}
		}},
		{"CSAT of 0", "feedback[0]", func(r *identity.Record) { r.Feedback = []identity.Feedback{{Kind: identity.FeedbackCSAT}} }},
		{"unknown feedback kind", "feedback[0]", func(r *identity.Record) { r.Feedback = []identity.Feedback{{Kind: "ces", Score: 3}} }},
		{"unknown consent purpose", "consent[0]", func(r *identity.Record) { r.Consent = []identity.Consent{{Purpose: "resale"}} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.edit(&r)
			s := newTestStore(t, newResolver(t, merge.Options{}))
			_, err := s.r.Add(s, r, s.newID, asOf)
			if !errors.Is(err, merge.ErrInvalid) {
				t.Fatalf("Add: %v, want ErrInvalid", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.field) {
				t.Errorf("error %q does not name the field %s", msg, tc.field)
			}
			if strings.Contains(msg, secretName) || strings.Contains(msg, "12345678") {
				t.Errorf("error %q contains personal data", msg)
			}
		})
	}
	s := newTestStore(t, newResolver(t, merge.Options{}))
	if _, err := s.r.Add(s, base(), s.newID, time.Time{}); !errors.Is(err, merge.ErrInvalid) {
		t.Errorf("zero as-of time: %v", err)
	}
	if _, err := s.r.Add(s, base(), nil, asOf); !errors.Is(err, merge.ErrInvalid) {
		t.Errorf("nil newID: %v", err)
	}
	if _, err := s.r.Add(s, base(), func() string { return "" }, asOf); !errors.Is(err, merge.ErrInvalid) {
		t.Errorf("empty new id: %v", err)
	}
}

// lyingStore answers with what its wrapped store holds, damaged as told.
type lyingStore struct {
	*testStore
	dropRecords bool  // Records returns one record too few
	alter       bool  // Records returns a record whose content changed
	wrongHolder bool  // Holder returns a profile that does not list the key
	foreign     bool  // Lookup returns a profile that does not list the identifier
	fail        error // every call fails
}

func (l *lyingStore) Holder(k identity.RecordKey) (*merge.Profile, error) {
	if l.fail != nil {
		return nil, l.fail
	}
	p, err := l.testStore.Holder(k)
	if l.wrongHolder && p == nil {
		for _, q := range l.decoded {
			return q, nil
		}
	}
	return p, err
}

func (l *lyingStore) Lookup(id identity.Identifier) ([]*merge.Profile, bool, error) {
	ps, hub, err := l.testStore.Lookup(id)
	if l.foreign && len(ps) == 0 {
		for _, q := range l.decoded {
			ps = append(ps, q)
		}
	}
	return ps, hub, err
}

func (l *lyingStore) Records(id string) ([]identity.Record, error) {
	recs, err := l.testStore.Records(id)
	if l.dropRecords && len(recs) > 0 {
		recs = recs[1:]
	}
	if l.alter && len(recs) > 0 {
		recs = append([]identity.Record(nil), recs...)
		recs[0].Attributes.City = "拉萨"
	}
	return recs, err
}

func TestInconsistentReader(t *testing.T) {
	readerErr := errors.New("disk on fire")
	tests := []struct {
		name  string
		lie   lyingStore
		state bool
	}{
		{"Records drops a record", lyingStore{dropRecords: true}, true},
		{"Records returns another version", lyingStore{alter: true}, true},
		{"Holder returns a stranger", lyingStore{wrongHolder: true}, true},
		{"Lookup returns a stranger", lyingStore{foreign: true}, true},
		{"the store fails", lyingStore{fail: readerErr}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t, newResolver(t, merge.Options{}))
			s.add(rec("a", day(2026, 1, 1), phone(1)), asOf)
			s.add(rec("b", day(2026, 1, 2), phone(2)), asOf)
			l := tc.lie
			l.testStore = s
			// Binding both phones merges the two profiles: a recomputation
			// that reads everything.
			_, err := s.r.Add(&l, rec("c", day(2026, 1, 3), phone(1), phone(2), email("new")), s.newID, asOf)
			var se *merge.StateError
			if tc.state {
				if !errors.As(err, &se) || !errors.Is(err, merge.ErrInconsistent) {
					t.Fatalf("err = %v, want a *StateError", err)
				}
				if strings.Contains(err.Error(), "1234000") {
					t.Errorf("error %q contains a phone number", err)
				}
				return
			}
			if !errors.Is(err, readerErr) || errors.As(err, &se) {
				t.Errorf("err = %v, want the reader's error", err)
			}
		})
	}
}
