package scv

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
	"github.com/scv-go/scv/store"
)

// fieldsOf lists a struct type's exported fields as "Name `tag`".
func fieldsOf(typ reflect.Type) []string {
	var out []string
	for f := range typ.Fields() {
		if f.IsExported() {
			out = append(out, fmt.Sprintf("%s %q", f.Name, f.Tag.Get("json")))
		}
	}
	return out
}

// TestMirrorTypes checks that each root type has the fields, names and
// JSON names of the store or merge type it stands for: a field added
// below and forgotten here, or a renamed JSON key, fails.
func TestMirrorTypes(t *testing.T) {
	for _, tc := range []struct{ root, inner any }{
		{Result{}, store.Result{}}, {Summary{}, store.Summary{}}, {IngestOptions{}, store.IngestOptions{}},
		{Filter{}, store.Filter{}}, {Stats{}, store.Stats{}}, {Event{}, store.Event{}},
		{QuarantineEntry{}, store.QuarantineEntry{}}, {RestageSummary{}, store.RestageSummary{}},
		{RefreshSummary{}, store.RefreshSummary{}}, {RotateOptions{}, store.RotateOptions{}},
		{RotateSummary{}, store.RotateSummary{}}, {Report{}, store.Report{}}, {RepairReport{}, store.RepairReport{}},
		{RestoreOptions{}, store.RestoreOptions{}}, {RestoreReport{}, store.RestoreReport{}},
		{Suggestion{}, store.Suggestion{}}, {Evidence{}, store.Evidence{}}, {SuggestOptions{}, store.SuggestOptions{}},
		{RuleDiff{}, store.RuleDiff{}}, {DamagedError{}, store.DamagedError{}}, {AmbiguousError{}, store.AmbiguousError{}},
		{HubError{}, store.HubError{}},
		{RulesError{}, store.RulesError{}},
		{MergeOptions{}, merge.Options{}}, {StageRules{}, merge.StageRules{}}, {ChurnRules{}, merge.ChurnRules{}},
		{Field{}, merge.Field{}}, {Provenance{}, merge.Provenance{}}, {Alternative{}, merge.Alternative{}},
		{Order{}, merge.OrderState{}}, {Interaction{}, merge.Event{}}, {Feedback{}, merge.FeedbackEntry{}},
		{Gift{}, merge.Gift{}}, {Pair{}, merge.Pair{}}, {Separation{}, merge.Separation{}},
		{PairExplanation{}, merge.PairExplanation{}}, {Hop{}, merge.Hop{}}, {Link{}, merge.Link{}},
		{RecordLinks{}, merge.RecordLinks{}}, {Assertion{}, merge.Assertion{}},
		{QuarantineFilter{}, store.QuarantineFilter{}}, {RetrySummary{}, store.RetrySummary{}},
		{AutoLinkOptions{}, store.AutoLinkOptions{}}, {AutoLinkSummary{}, store.AutoLinkSummary{}},
		{BulkSource{}, store.BulkSource{}}, {BulkOptions{}, store.BulkOptions{}}, {BulkProgress{}, store.BulkProgress{}},
	} {
		root, inner := reflect.TypeOf(tc.root), reflect.TypeOf(tc.inner)
		t.Run(root.Name(), func(t *testing.T) {
			if diff := cmp.Diff(fieldsOf(inner), fieldsOf(root)); diff != "" {
				t.Errorf("fields of %s (-%s +%s):\n%s", root.Name(), inner, root, diff)
			}
		})
	}
}

// TestMirrorConstants checks the root package's constants against the
// values below them, list by list.
func TestMirrorConstants(t *testing.T) {
	strs := func(vs ...any) []string {
		var out []string
		for _, v := range vs {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	each := func(s any) []any {
		v := reflect.ValueOf(s)
		out := make([]any, v.Len())
		for i := range out {
			out[i] = v.Index(i).Interface()
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		root, inner []string
	}{
		{"stages", strs(each(Stages)...), strs(each(merge.Stages)...)},
		{"risks", strs(each(Risks)...), strs(each(merge.Risks)...)},
		{"statuses", strs(StatusLinking, StatusHub, StatusBlocked, StatusExcluded, StatusRecycled, StatusReceiver),
			strs(merge.StatusLinking, merge.StatusHub, merge.StatusBlocked, merge.StatusExcluded, merge.StatusRecycled, merge.StatusReceiver)},
		{"rules", strs(RuleHub, RuleBlocked, RuleLimit, RuleDoNotLink, RuleNoSharedIdentifier, RuleReceiver, RuleRecycled),
			strs(merge.RuleHub, merge.RuleBlocked, merge.RuleLimit, merge.RuleDoNotLink, merge.RuleNoSharedIdentifier, merge.RuleReceiver, merge.RuleRecycled)},
		{"field names", strs(FieldPersonName, FieldNickname, FieldGender, FieldBirthday, FieldCountry, FieldProvince,
			FieldCity, FieldDistrict, FieldLanguage, FieldEmail, FieldPhone), strs(each(merge.FieldNames)...)},
		{"event kinds", strs(EventStage, EventDetractor, EventErased), strs(store.EventStage, store.EventDetractor, store.EventErased)},
		{"outcomes", strs(OutcomeCreated, OutcomeJoined, OutcomeMerged, OutcomeUnchanged, OutcomeUpdated, OutcomeStale, OutcomeErased, OutcomeSuppressed),
			strs(store.OutcomeCreated, store.OutcomeJoined, store.OutcomeMerged, store.OutcomeUnchanged, store.OutcomeUpdated, store.OutcomeStale, store.OutcomeErased, store.OutcomeSuppressed)},
		{"phone matches", strs(PhoneUnknown, PhoneEqual, PhoneOneDigit, PhoneTransposed, PhoneTwoDigits, PhoneFar),
			strs(store.PhoneUnknown, store.PhoneEqual, store.PhoneOneDigit, store.PhoneTransposed, store.PhoneTwoDigits, store.PhoneFar)},
		{"suggest defaults", strs(DefaultMinProbability, DefaultMaxBlock), strs(store.DefaultMinProbability, store.DefaultMaxBlock)},
		{"bulk phases", strs(BulkDecode, BulkResolve, BulkWrite, BulkIngest), strs(store.BulkDecode, store.BulkResolve, store.BulkWrite, store.BulkIngest)},
		{"bulk defaults", strs(DefaultBulkGoMemoryLimitMiB), strs(store.DefaultBulkGoMemoryLimitMiB)},
		{"purposes", strs(PurposeMarketing, PurposePersonalisation, PurposeThirdParty), strs(each(identity.Purposes)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.inner, tc.root); diff != "" {
				t.Errorf("(-below +root):\n%s", diff)
			}
		})
	}
	for _, p := range []RulesPolicy{RulesRefuse, RulesStored, RulesReapply} {
		if sp, err := p.store(); err != nil || int(sp) != int(p) {
			t.Errorf("RulesPolicy %d: store policy %d, %v", p, sp, err)
		}
	}
	if _, err := RulesPolicy(7).store(); err == nil {
		t.Error("RulesPolicy 7: no error")
	}
}

// fill sets every field of the struct v points to a value that is not
// zero, recursing into structs.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		if f.Type() == reflect.TypeFor[time.Time]() {
			f.Set(reflect.ValueOf(time.Unix(1, 0)))
			continue
		}
		switch f.Kind() {
		case reflect.Struct:
			fill(t, f)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int64:
			f.SetInt(7)
		case reflect.Float64:
			f.SetFloat(0.5)
		case reflect.String:
			f.SetString("x")
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Map:
			m := reflect.MakeMap(f.Type())
			m.SetMapIndex(reflect.Zero(f.Type().Key()), reflect.Zero(f.Type().Elem()))
			f.Set(m)
		case reflect.Func:
			f.Set(reflect.MakeFunc(f.Type(), func([]reflect.Value) []reflect.Value { return nil }))
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		default:
			t.Fatalf("fill: field %s of kind %s", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// zeroFields lists the fields of a struct value that are zero, with the
// path to them.
func zeroFields(v reflect.Value, path string) []string {
	var out []string
	for i := range v.NumField() {
		f, name := v.Field(i), path+v.Type().Field(i).Name
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeFor[time.Time]() {
			out = append(out, zeroFields(f, name+".")...)
		} else if f.IsZero() {
			out = append(out, name)
		}
	}
	return out
}

// TestConversionsCopyEveryField fills every field of the root options
// and checks that the options passed below have none left zero, but for
// the fields the root package sets itself or does not offer.
func TestConversionsCopyEveryField(t *testing.T) {
	for _, tc := range []struct {
		name    string
		root    any
		convert func(any) any
		notSet  []string
	}{
		{"MergeOptions", &MergeOptions{}, func(v any) any { return v.(*MergeOptions).merge() }, nil},
		{"Filter", &Filter{}, func(v any) any { return v.(*Filter).store() }, nil},
		{"IngestOptions", &IngestOptions{}, func(v any) any { return v.(*IngestOptions).store() }, nil},
		{"MemoryOptions", &MemoryOptions{}, func(v any) any { return v.(*MemoryOptions).badger(true, true) },
			[]string{"Dir", "EncryptionKey", "Logger"}}, // set by the store: the directory, Options.NoAtRestEncryption, Options.Logger
	} {
		t.Run(tc.name, func(t *testing.T) {
			fill(t, reflect.ValueOf(tc.root).Elem())
			got := zeroFields(reflect.ValueOf(tc.convert(tc.root)), "")
			if diff := cmp.Diff(tc.notSet, got); diff != "" {
				t.Errorf("zero fields after conversion (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorsMatchBoth checks that an error from below, wrapped as the
// root package returns it, matches the root sentinel and the one below,
// keeps its text, and answers errors.As for the root error types.
func TestErrorsMatchBoth(t *testing.T) {
	for _, s := range sentinels {
		t.Run(s.root.Error(), func(t *testing.T) {
			inner := fmt.Errorf("context: %w", s.inner)
			err := wrap(inner)
			if !errors.Is(err, s.root) || !errors.Is(err, s.inner) || err.Error() != inner.Error() {
				t.Errorf("wrap(%q) = %q: Is root %v, Is inner %v", inner, err, errors.Is(err, s.root), errors.Is(err, s.inner))
			}
			for _, other := range sentinels {
				if other.root != s.root && errors.Is(err, other.root) && !errors.Is(inner, other.inner) {
					t.Errorf("wrap(%q) matches %v too", inner, other.root)
				}
			}
		})
	}
	plain := errors.New("other")
	if wrap(plain) != plain || wrap(nil) != nil {
		t.Error("wrap changed an error that matches no sentinel")
	}

	var de *DamagedError
	if err := wrap(&store.DamagedError{ID: "p1", Err: plain}); !errors.As(err, &de) || de.ID != "p1" || !errors.Is(de, ErrDamaged) || !errors.Is(de, plain) {
		t.Errorf("DamagedError: As %v, %+v", errors.As(err, &de), de)
	}
	var ae *AmbiguousError
	if err := wrap(&store.AmbiguousError{Kind: identity.KindPhone, Profiles: []string{"a", "b"}}); !errors.As(err, &ae) || !errors.Is(ae, ErrAmbiguous) {
		t.Errorf("AmbiguousError: As %v", errors.As(err, &ae))
	} else if diff := cmp.Diff(&AmbiguousError{Kind: identity.KindPhone, Profiles: []string{"a", "b"}}, ae); diff != "" {
		t.Errorf("AmbiguousError (-want +got):\n%s", diff)
	}
	var he *HubError
	if err := wrap(&store.HubError{Kind: identity.KindPhone, Profiles: []string{"a", "b"}}); !errors.As(err, &he) || !errors.Is(he, ErrHub) {
		t.Errorf("HubError: As %v", errors.As(err, &he))
	} else if diff := cmp.Diff(&HubError{Kind: identity.KindPhone, Profiles: []string{"a", "b"}}, he); diff != "" {
		t.Errorf("HubError (-want +got):\n%s", diff)
	}
	var re *RulesError
	inner := &store.RulesError{Fields: []store.RuleDiff{{Field: "Stage.LoyalOrders", Stored: "", Given: "2"}}}
	if err := wrap(inner); !errors.As(err, &re) || re.Error() != inner.Error() || !errors.Is(re, ErrRulesChanged) {
		t.Errorf("RulesError: As %v, %v", errors.As(err, &re), re)
	} else if diff := cmp.Diff([]RuleDiff{{Field: "Stage.LoyalOrders", Given: "2"}}, re.Fields); diff != "" {
		t.Errorf("RulesError.Fields (-want +got):\n%s", diff)
	}
}

// TestResultOfCopiesEveryField fills every field of a store result and
// checks that each reaches the root package's: DB.Ingest's copy left
// out the receiver counts, which the field lists of TestMirrorTypes
// could not see.
func TestResultOfCopiesEveryField(t *testing.T) {
	var in store.Result
	v := reflect.ValueOf(&in).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Int, reflect.Uint8:
			if f.CanInt() {
				f.SetInt(1)
			} else {
				f.SetUint(1)
			}
		case reflect.Bool:
			f.SetBool(true)
		default:
			t.Fatalf("field %s of kind %s: teach the test to fill it", v.Type().Field(i).Name, f.Kind())
		}
	}
	out := reflect.ValueOf(resultOf(in))
	for i := range out.NumField() {
		if out.Field(i).IsZero() {
			t.Errorf("Result.%s is not copied from the store's result", out.Type().Field(i).Name)
		}
	}
}
