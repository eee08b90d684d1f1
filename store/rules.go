package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/scv-go/scv/merge"
)

// The rules a database was resolved under are stored with it: the
// [merge.Options] (survivorship, protection, lifecycle and churn
// thresholds) in force when it was first opened, as JSON sealed under the
// keyring at M "rules". Open compares them with the Options it is given,
// field by field, as a whole: every field of merge.Options and of the
// structs in it, found by reflection, so that options added to package
// merge are covered without a change here. A field at its zero value
// (the default) is the same as a field absent, so that a new option left
// at its default does not count as a change.
const (
	metaRules      = "rules"
	purposeRules   = "rules"
	metaRestage    = "restage" // set while a restage runs: the stored rules are not yet all applied
	restageBatch   = 32        // profiles re-resolved per transaction
	maxRulesInDiff = 8         // differing fields an error names
)

// RulesPolicy says what [Open] does when the database was resolved under
// other merge rules than [Options].Merge.
type RulesPolicy int

const (
	// RulesRefuse refuses to open the database with an error wrapping
	// [ErrRulesChanged] that names the fields that differ. It is the
	// default.
	RulesRefuse RulesPolicy = iota
	// RulesStored opens the database under the rules stored in it,
	// ignoring Options.Merge: the choice of a tool that has no rules of
	// its own to impose, such as the command line.
	RulesStored
	// RulesReapply re-resolves and re-stages every profile under
	// Options.Merge, then stores them as the database's rules; see
	// [Store.Restage]. Open returns once it is done; [Store.Restaged]
	// says what changed.
	RulesReapply
)

// ErrRulesChanged is returned by [Open] (wrapped in a [*RulesError]) when
// the database was resolved under other merge rules than the ones given,
// and Options.Rules is [RulesRefuse]; and when an earlier restage was
// interrupted, until one finishes.
var ErrRulesChanged = errors.New("store: the database was resolved under other merge rules")

// RulesError is the error [Open] returns for rules that differ from the
// stored ones. It names the fields, never values that may be personal
// data (blocked identifiers, placeholder values): numbers, booleans and
// durations are shown, text is not.
type RulesError struct {
	// Fields are the differing fields, as paths into [merge.Options]
	// ("Stage.LoyalOrders", "Limits[phone]"), in order.
	Fields []RuleDiff
	// Interrupted reports that a restage under new rules did not finish.
	Interrupted bool
}

// RuleDiff is one field whose stored and given values differ. Stored and
// Given are empty for a field at its default (zero) and "(text)" for a
// value that is not shown.
type RuleDiff struct {
	Field  string `json:"field"`
	Stored string `json:"stored"`
	Given  string `json:"given"`
}

func (e *RulesError) Error() string {
	var b strings.Builder
	b.WriteString(ErrRulesChanged.Error())
	if e.Interrupted {
		b.WriteString(" (a restage under new rules was interrupted)")
	}
	if len(e.Fields) > 0 {
		b.WriteString(": ")
		b.WriteString(e.Diff())
	}
	b.WriteString(" (Options.Rules: RulesStored opens under the stored rules, RulesReapply re-resolves and re-stages every profile under the new ones)")
	return b.String()
}

// Diff describes the differing fields as the error does: "Stage.LoyalOrders
// stored default, given 2; ...".
func (e *RulesError) Diff() string {
	var b strings.Builder
	for i, d := range e.Fields {
		if i == maxRulesInDiff {
			fmt.Fprintf(&b, "; and %d more", len(e.Fields)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s stored %s, given %s", d.Field, ruleText(d.Stored), ruleText(d.Given))
	}
	return b.String()
}

func ruleText(v string) string {
	if v == "" {
		return "default"
	}
	return v
}

// Unwrap returns [ErrRulesChanged].
func (e *RulesError) Unwrap() error { return ErrRulesChanged }

// rule is one flattened field of merge.Options.
type rule struct {
	value string
	shown bool // value may appear in an error
}

// flattenRules lists every field of o that is not at its zero value, by
// path: struct fields are followed, map entries are fields of their own
// ("Limits[phone]"), and slices are compared whole.
func flattenRules(o merge.Options) map[string]rule {
	out := map[string]rule{}
	flattenValue(out, "", reflect.ValueOf(o))
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

func flattenValue(out map[string]rule, path string, v reflect.Value) {
	if v.IsZero() {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				flattenValue(out, joinPath(path, f.Name), v.Field(i))
			}
		}
	case reflect.Pointer:
		flattenValue(out, path, v.Elem())
	case reflect.Map:
		for _, k := range v.MapKeys() {
			flattenValue(out, fmt.Sprintf("%s[%v]", path, k.Interface()), v.MapIndex(k))
		}
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		s := fmt.Sprint(v.Interface())
		if v.Type() == durationType {
			s = v.Interface().(time.Duration).String()
		}
		out[path] = rule{value: s, shown: true}
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		// Code, not data: it can be neither stored nor compared.
		out[path] = rule{value: "(set)"}
	default: // strings, slices, arrays, interfaces: compared as JSON, not shown
		b, err := json.Marshal(v.Interface())
		if err != nil {
			b = fmt.Appendf(nil, "%#v", v.Interface())
		}
		out[path] = rule{value: string(b)}
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// diffRules lists the fields whose values differ between stored and
// given, by path.
func diffRules(stored, given merge.Options) []RuleDiff {
	a, b := flattenRules(stored), flattenRules(given)
	var out []RuleDiff
	show := func(r rule, ok bool) string {
		switch {
		case !ok:
			return ""
		case r.shown:
			return r.value
		default:
			return "(text)"
		}
	}
	for path := range a {
		if _, ok := b[path]; !ok {
			out = append(out, RuleDiff{Field: path, Stored: show(a[path], true), Given: ""})
		}
	}
	for path, rb := range b {
		ra, ok := a[path]
		if !ok || ra.value != rb.value {
			out = append(out, RuleDiff{Field: path, Stored: show(ra, ok), Given: show(rb, true)})
		}
	}
	slices.SortFunc(out, func(x, y RuleDiff) int { return strings.Compare(x.Field, y.Field) })
	return out
}

// storedRules reads the rules stored in the database; ok is false when
// none are (a database made by an older build).
func (s *Store) storedRules(tx Txn) (o merge.Options, restaging, ok bool, err error) {
	v, err := tx.Get(metaKey(metaRules))
	if errors.Is(err, ErrKeyNotFound) {
		return o, false, false, nil
	}
	if err != nil {
		return o, false, false, err
	}
	plain, err := s.kr.Open(purposeRules, v)
	if err != nil {
		return o, false, false, fmt.Errorf("store: stored rules: %w", err)
	}
	if err := json.Unmarshal(plain, &o); err != nil {
		return o, false, false, fmt.Errorf("store: stored rules: %w", err)
	}
	_, err = tx.Get(metaKey(metaRestage))
	switch {
	case err == nil:
		restaging = true
	case !errors.Is(err, ErrKeyNotFound):
		return o, false, false, err
	}
	return o, restaging, true, nil
}

// saveRules stores o as the database's rules.
func (s *Store) saveRules(tx Txn, o merge.Options) error {
	plain, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("store: encode rules: %w", err)
	}
	return tx.Set(metaKey(metaRules), s.kr.Seal(purposeRules, plain))
}

// resealRules moves the stored rules to the keyring's primary epoch, for
// a rotation; it returns 1 if it changed them.
func (s *Store) resealRules(ctx context.Context) (int, error) {
	changed := 0
	err := s.update(ctx, func(t *txn) error {
		changed = 0
		v, err := t.tx.Get(metaKey(metaRules))
		if errors.Is(err, ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		nv, err := s.kr.Reseal(purposeRules, v)
		if err != nil {
			return fmt.Errorf("store: rotate the stored rules: %w", err)
		}
		if bytes.Equal(nv, v) {
			return nil
		}
		changed = 1
		return t.tx.Set(metaKey(metaRules), nv)
	})
	return changed, err
}

// checkRules compares the rules stored in the database with opts.Merge
// and returns the options to resolve with, and whether every profile must
// be re-resolved under them first. A database without stored rules gets
// opts.Merge.
func (s *Store) checkRules(ctx context.Context, opts Options) (use merge.Options, restage bool, err error) {
	use = opts.Merge
	err = s.kv.Update(ctx, func(tx Txn) error {
		stored, restaging, ok, err := s.storedRules(tx)
		if err != nil {
			return err
		}
		if !ok { // made by an older build, under rules unknown: re-apply them if asked
			restage = opts.Rules == RulesReapply
			return s.saveRules(tx, opts.Merge)
		}
		diff := diffRules(stored, opts.Merge)
		switch {
		case opts.Rules == RulesReapply:
			restage = len(diff) > 0 || restaging
		case restaging:
			return &RulesError{Fields: diff, Interrupted: true}
		case len(diff) == 0:
		case opts.Rules == RulesStored:
			use = stored
		default:
			return &RulesError{Fields: diff}
		}
		return nil
	})
	return use, restage, err
}

// adoptRules makes the rules stored in the database (a restored backup)
// the ones the store resolves by, storing the store's own if it has none.
func (s *Store) adoptRules(ctx context.Context) error {
	return s.kv.Update(ctx, func(tx Txn) error {
		stored, _, ok, err := s.storedRules(tx)
		if err != nil {
			return err
		}
		if !ok {
			return s.saveRules(tx, s.rules)
		}
		if len(diffRules(stored, s.rules)) == 0 {
			return nil
		}
		res, err := merge.New(stored)
		if err != nil {
			return fmt.Errorf("store: stored rules: %w", err)
		}
		s.resolver, s.rules = res, stored
		s.log.Warn("store: the restored database was resolved under other merge rules than this store's; using them")
		return nil
	})
}

// RestageSummary counts what [Store.Restage] did.
type RestageSummary struct {
	Profiles     int        `json:"profiles"`          // live profiles before the restage
	Changed      int        `json:"changed"`           // profiles created, merged away or rewritten
	StageChanged int        `json:"stage_changed"`     // of those, live profiles whose stage changed
	Rules        []RuleDiff `json:"rules,omitempty"`   // the fields that differed from the stored rules
	Elapsed      string     `json:"elapsed,omitempty"` // how long it took, by the wall clock
}

// Restaged returns what the restage [Open] ran under [RulesReapply] did,
// or nil if Open ran none.
func (s *Store) Restaged() *RestageSummary { return s.restaged }

// Restage re-resolves every profile from its records under the store's
// merge rules (merge protection, survivorship, hubs: see
// [merge.Resolver.Resolve]) and recomputes its stage, risk and metrics as
// of the store's AsOf time, then records the rules as the database's.
// Profiles may merge or split. It works a few profiles per transaction;
// if it is interrupted, the database refuses to open ([ErrRulesChanged])
// until a restage finishes. Other writers may run meanwhile.
func (s *Store) Restage(ctx context.Context) (RestageSummary, error) {
	done, err := s.begin()
	if err != nil {
		return RestageSummary{}, err
	}
	defer done()
	return s.restage(ctx, nil)
}

// restage is Restage; diff, if not nil, is what differed from the stored
// rules.
func (s *Store) restage(ctx context.Context, diff []RuleDiff) (RestageSummary, error) {
	start := time.Now()
	sum := RestageSummary{Rules: diff}
	s.setRestaging(true) // on a shared engine, other processes' writes wait for it (see shared.go)
	defer s.setRestaging(false)
	if err := s.kv.Update(ctx, func(tx Txn) error { return tx.Set(metaKey(metaRestage), []byte("1")) }); err != nil {
		return sum, err
	}
	ids, err := s.profileIDs(ctx)
	if err != nil {
		return sum, err
	}
	sum.Profiles = len(ids)
	changed := map[ProfileID]bool{}
	staged := map[ProfileID]bool{}
	for batch := range slices.Chunk(ids, restageBatch) {
		var ch, st []ProfileID
		err := s.update(ctx, func(t *txn) error {
			ch, st = ch[:0], st[:0]
			if err := t.resolveAll(batch, true); err != nil {
				return err
			}
			for _, lp := range t.dirtyP {
				ch = append(ch, lp.id)
				if lp.p != nil && (!lp.stored || lp.p.Stage != lp.origStage) {
					st = append(st, lp.id)
				}
			}
			return nil
		})
		if err != nil {
			return sum, fmt.Errorf("store: restage: %w", err)
		}
		for _, id := range ch {
			changed[id] = true
		}
		for _, id := range st {
			staged[id] = true
		}
	}
	err = s.kv.Update(ctx, func(tx Txn) error {
		if err := s.saveRules(tx, s.rules); err != nil {
			return err
		}
		return tx.Delete(metaKey(metaRestage))
	})
	if err != nil {
		return sum, err
	}
	sum.Changed, sum.StageChanged = len(changed), len(staged)
	sum.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return sum, nil
}

// profileIDs lists the ids of the live profiles.
func (s *Store) profileIDs(ctx context.Context) ([]ProfileID, error) {
	var ids []ProfileID
	err := s.kv.View(ctx, func(tx Txn) error {
		ids = ids[:0]
		for e, err := range tx.Scan([]byte{nsProfile}, nil, true) {
			if err != nil {
				return err
			}
			id, err := profileIDFrom(e.Key[1:])
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// resolveAll re-resolves the profiles ids (those still live) from their
// records and, with refresh, recomputes the time-dependent values of
// those the resolution left as they were, writing them if they changed.
func (t *txn) resolveAll(ids []ProfileID, refresh bool) error {
	for _, id := range ids {
		lp, err := t.profile(id)
		if err != nil {
			return err
		}
		if lp == nil || lp.p == nil {
			continue // merged away earlier in the restage
		}
		c, err := t.s.resolver.Resolve(t, []*merge.Profile{lp.p}, newProfileID, t.asOf)
		if err != nil {
			return err
		}
		if err := t.apply(c); err != nil {
			return err
		}
		if !refresh || lp.dirty || lp.p == nil {
			continue
		}
		q, _, err := t.s.resolver.Refresh(lp.p, t.asOf)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(q, lp.p) {
			lp.p = q
			t.touchProfile(lp)
		}
	}
	return nil
}
