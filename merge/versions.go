package merge

import (
	"cmp"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// Versions of one source record combine per field: two exports of one
// account each know part of it, and nothing a version added may be lost.
// For each field, the value of the newest version that states it wins; a
// field a version does not state is kept from the versions that do. At
// equal or unknown times the version ingested later wins for the fields it
// states: the one place where arrival order counts. Orders, interactions,
// feedback, referrals, consent statements and warnings are unions (an
// order seen in two versions takes the newer version's state).
//
// A record's fields, as combine sees them: each attribute on its own; the
// identifiers of one kind and scope together ("id:phone:", the receivers
// going with the phones); withheld values per source field.

// attrField is one attribute of a record: its name, whether a record
// states it, and how to copy it from one record to another.
type attrField struct {
	name   string
	stated func(a *identity.Attributes) bool
	copy   func(dst, src *identity.Attributes)
}

var attrFields = []attrField{
	{"name", func(a *identity.Attributes) bool { return a.Name != "" }, func(d, s *identity.Attributes) { d.Name = s.Name }},
	{"nickname", func(a *identity.Attributes) bool { return a.Nickname != "" }, func(d, s *identity.Attributes) { d.Nickname = s.Nickname }},
	{"gender", func(a *identity.Attributes) bool { return a.Gender != "" }, func(d, s *identity.Attributes) { d.Gender = s.Gender }},
	{"birthday", func(a *identity.Attributes) bool { return !a.Birthday.IsZero() }, func(d, s *identity.Attributes) { d.Birthday = s.Birthday }},
	{"country", func(a *identity.Attributes) bool { return a.Country != "" }, func(d, s *identity.Attributes) { d.Country = s.Country }},
	{"province", func(a *identity.Attributes) bool { return a.Province != "" }, func(d, s *identity.Attributes) { d.Province = s.Province }},
	{"city", func(a *identity.Attributes) bool { return a.City != "" }, func(d, s *identity.Attributes) { d.City = s.City }},
	{"district", func(a *identity.Attributes) bool { return a.District != "" }, func(d, s *identity.Attributes) { d.District = s.District }},
	{"language", func(a *identity.Attributes) bool { return a.Language != "" }, func(d, s *identity.Attributes) { d.Language = s.Language }},
	{"remark", func(a *identity.Attributes) bool { return a.Remark != "" }, func(d, s *identity.Attributes) { d.Remark = s.Remark }},
	{"bio", func(a *identity.Attributes) bool { return a.Bio != "" }, func(d, s *identity.Attributes) { d.Bio = s.Bio }},
	{"tags", func(a *identity.Attributes) bool { return len(a.Tags) > 0 }, func(d, s *identity.Attributes) { d.Tags = slices.Clone(s.Tags) }},
	{"followers", func(a *identity.Attributes) bool { return a.Followers != 0 }, func(d, s *identity.Attributes) { d.Followers = s.Followers }},
	{"account_created", func(a *identity.Attributes) bool { return !a.AccountCreated.IsZero() }, func(d, s *identity.Attributes) { d.AccountCreated = s.AccountCreated }},
}

// statedAt returns when rec stated field: its Stated entry, or its
// observed time.
func statedAt(rec *identity.Record, field string) time.Time {
	for _, st := range rec.Stated {
		if st.Field == field {
			return utc(st.Time)
		}
	}
	return utc(rec.Observed)
}

// nextWins reports whether a value observed at next replaces one observed
// at held: a later time, or, at equal or unknown times, the later import.
func nextWins(next, held time.Time) bool {
	if next.IsZero() || held.IsZero() || next.Equal(held) {
		return true
	}
	return next.After(held)
}

func idField(id identity.Identifier) string { return "id:" + id.Kind.String() + ":" + id.Scope }

// Combine returns the version of a source record that [Resolver.Add]
// keeps when next arrives while held is the version held: held itself
// when next says the same (same is then true) or adds nothing, next when
// it says all held does and more, or a new record combining the two. A
// caller that meets several versions of one record before resolving
// any, as a bulk load does, folds them with it in the order they arrive
// and adds the result.
func Combine(held, next *identity.Record) (kept *identity.Record, same bool) {
	if Fingerprint(held) == Fingerprint(next) {
		return held, true
	}
	return combine(held, next), false
}

// combine returns the record that the held version and the next one of
// one source record combine into, in canonical form: identifiers grouped
// by kind and scope in that order, collections sorted. When the result
// says the same as held or next, it returns that version itself, so a
// version that adds nothing leaves the record as it was, whatever order
// the versions came in.
func combine(held, next *identity.Record) *identity.Record {
	out := combineFields(held, next)
	fp := Fingerprint(out)
	for _, v := range []*identity.Record{held, next} {
		if fp == Fingerprint(canonical(v)) {
			return v
		}
	}
	return out
}

// canonical returns rec in the canonical form combine gives.
func canonical(rec *identity.Record) *identity.Record {
	empty := &identity.Record{Channel: rec.Channel, Source: rec.Source, ID: rec.ID, Observed: rec.Observed}
	return combineFields(empty, rec)
}

// combineFields is combine without returning an input that says the same.
func combineFields(held, next *identity.Record) *identity.Record {
	out := &identity.Record{Channel: next.Channel, Source: next.Source, ID: next.ID, Line: next.Line}
	hObs, nObs := utc(held.Observed), utc(next.Observed)
	out.Observed = hObs
	if nextWins(nObs, hObs) && !nObs.IsZero() {
		out.Observed = nObs
	}
	st := statedTimes{observed: out.Observed}
	combineIdentifiers(out, held, next, &st)
	combineWithheld(out, held, next, &st)
	combineAttributes(out, held, next, &st)
	// Collections: unions; an order in both takes the winning version's
	// state.
	combineCollections(out, held, next, nextWins(nObs, hObs))
	slices.SortFunc(st.list, func(a, b identity.Stated) int { return cmp.Compare(a.Field, b.Field) })
	out.Stated = st.list
	return out
}

// statedTimes collects the times a combined record's fields were stated,
// where they differ from the record's observed time.
type statedTimes struct {
	observed time.Time
	list     []identity.Stated
}

func (st *statedTimes) note(field string, t time.Time) {
	if !t.Equal(st.observed) {
		st.list = append(st.list, identity.Stated{Field: field, Time: t})
	}
}

// combineIdentifiers takes the identifiers of each kind and scope from
// the version that stated them last, with their receiver marks.
func combineIdentifiers(out, held, next *identity.Record, st *statedTimes) {
	groups := map[string]bool{}
	var order []identity.Identifier // one per group, for sorting
	for _, rec := range []*identity.Record{held, next} {
		for _, id := range rec.Identifiers {
			if f := idField(id); !groups[f] {
				groups[f] = true
				order = append(order, identity.Identifier{Kind: id.Kind, Scope: id.Scope})
			}
		}
	}
	slices.SortFunc(order, compareIdentifier)
	for _, g := range order {
		f := idField(g)
		in := func(id identity.Identifier) bool { return id.Kind == g.Kind && id.Scope == g.Scope }
		src, t := held, statedAt(held, f)
		if nt := statedAt(next, f); slices.ContainsFunc(next.Identifiers, in) && (!slices.ContainsFunc(held.Identifiers, in) || nextWins(nt, t)) {
			src, t = next, nt
		}
		for _, id := range src.Identifiers {
			if in(id) {
				out.Identifiers = append(out.Identifiers, id)
				if slices.Contains(src.Receivers, id) {
					out.Receivers = append(out.Receivers, id)
				}
			}
		}
		st.note(f, t)
	}
}

// combineWithheld takes the withheld values of each source field from the
// version that stated them last.
func combineWithheld(out, held, next *identity.Record, st *statedTimes) {
	var wfields []string
	for _, rec := range []*identity.Record{held, next} {
		for _, w := range rec.Withheld {
			if !slices.Contains(wfields, w.Field) {
				wfields = append(wfields, w.Field)
			}
		}
	}
	slices.Sort(wfields)
	for _, wf := range wfields {
		f := "withheld:" + wf
		in := func(w identity.Withheld) bool { return w.Field == wf }
		src, t := held, statedAt(held, f)
		if nt := statedAt(next, f); slices.ContainsFunc(next.Withheld, in) && (!slices.ContainsFunc(held.Withheld, in) || nextWins(nt, t)) {
			src, t = next, nt
		}
		for _, w := range src.Withheld {
			if in(w) {
				out.Withheld = append(out.Withheld, w)
			}
		}
		st.note(f, t)
	}
}

// combineAttributes takes each attribute from the version that stated it
// last.
func combineAttributes(out, held, next *identity.Record, st *statedTimes) {
	for _, af := range attrFields {
		hs, ns := af.stated(&held.Attributes), af.stated(&next.Attributes)
		switch t, nt := statedAt(held, af.name), statedAt(next, af.name); {
		case ns && (!hs || nextWins(nt, t)):
			af.copy(&out.Attributes, &next.Attributes)
			st.note(af.name, nt)
		case hs:
			af.copy(&out.Attributes, &held.Attributes)
			st.note(af.name, t)
		}
	}
}

// combineCollections sets out's orders, interactions, feedback,
// referrals, consent and warnings to the unions of held's and next's; an
// item in both is next's when nextOrders.
func combineCollections(out, held, next *identity.Record, nextOrders bool) {
	out.Orders = unionBy(held.Orders, next.Orders, nextOrders, func(a, b identity.Order) int {
		if c := cmp.Compare(a.Platform, b.Platform); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for i := range out.Orders {
		out.Orders[i].Items = slices.Clone(out.Orders[i].Items)
	}
	out.Interactions = unionBy(held.Interactions, next.Interactions, nextOrders, func(a, b identity.Interaction) int {
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		if a.ID != "" || b.ID != "" {
			return cmp.Compare(a.ID, b.ID)
		}
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Text, b.Text); c != 0 {
			return c
		}
		return cmp.Compare(a.Detail, b.Detail)
	})
	out.Feedback = unionBy(held.Feedback, next.Feedback, nextOrders, func(a, b identity.Feedback) int {
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Text, b.Text)
	})
	out.Referrals = unionBy(held.Referrals, next.Referrals, nextOrders, func(a, b identity.Referral) int {
		if c := cmp.Compare(a.Referrer.String(), b.Referrer.String()); c != 0 {
			return c
		}
		return a.Time.Compare(b.Time)
	})
	out.Consent = unionBy(held.Consent, next.Consent, nextOrders, func(a, b identity.Consent) int {
		if c := cmp.Compare(a.Purpose, b.Purpose); c != 0 {
			return c
		}
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if a.Granted != b.Granted {
			if !a.Granted {
				return -1
			}
			return 1
		}
		return 0
	})
	out.Warnings = unionBy(held.Warnings, next.Warnings, nextOrders, func(a, b identity.Warning) int {
		if c := cmp.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		return cmp.Compare(a.Reason, b.Reason)
	})
}

// unionBy returns the union of a and b sorted by cmp; for equal keys the
// item of b when bWins, else of a.
func unionBy[T any](a, b []T, bWins bool, cmp func(x, y T) int) []T {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make([]T, 0, len(a)+len(b))
	first, second := a, b
	if bWins {
		first, second = b, a
	}
	out = append(out, first...)
	for _, v := range second {
		if !slices.ContainsFunc(out, func(x T) bool { return cmp(x, v) == 0 }) {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, cmp)
	return slices.CompactFunc(out, func(x, y T) bool { return cmp(x, y) == 0 })
}
