package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

func setupGet(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	e.regionFlag(flags)
	asJSON := flags.Bool("json", false, "print the profile as JSON, one line per profile")
	detail := flags.Bool("detail", false, "with the orders, interactions, surveys and stage history, each with its record key")
	kind := flags.String("kind", "", "look up by an identifier of this kind: unionid, openid, member, buyer, weibo, email (default: a phone, a profile id or a record key)")
	scope := flags.String("scope", "", "the scope of an openid (app id), member number (source) or buyer id (platform)")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("get", args, 1, "one PHONE, profile ID or RECORDKEY (or --kind KIND VALUE)"); err != nil {
			return err
		}
		q, err := parseQuery(args[0], *kind, *scope, e.region)
		if err != nil {
			return err
		}
		db, err := e.openRefreshed(ctx)
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		ps, err := q.find(ctx, db)
		if err != nil {
			return err
		}
		if !*asJSON && len(ps) > 1 {
			fmt.Fprintf(e.stdout, "that %s is on %d profiles that merge protection keeps apart:\n\n", q.what(), len(ps))
		}
		for i, p := range ps {
			var h *scv.History
			if *detail {
				if h, err = db.History(ctx, p.ID); err != nil {
					return err
				}
			}
			if *asJSON {
				if err := writeJSON(e.stdout, profileOut(p, h)); err != nil {
					return err
				}
				continue
			}
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			writeProfile(e.stdout, p)
			if h != nil {
				writeHistory(e.stdout, h)
			}
		}
		return nil
	}
}

// openRefreshed opens the database for commands that read profiles.
// With --as-of, it returns a view that computes stages as of that time
// for the answer only, and writes nothing (a what-if read must not move
// the stored stages nor put transitions in the change feed); without,
// it refreshes the stored stages to now first.
func (e *env) openRefreshed(ctx context.Context) (*scv.DB, error) {
	db, err := e.open(openOptions{})
	if err != nil {
		return nil, err
	}
	if e.asOfSet {
		return db.AsOf(e.asOf), nil
	}
	if _, err := db.Refresh(ctx, e.asOf); err != nil {
		db.Close()
		return nil, fmt.Errorf("refresh: %w", err)
	}
	return db, nil
}

// isProfileID reports whether s is a profile id: 32 hex digits.
func isProfileID(s string) bool {
	_, err := store.ParseProfileID(strings.ToLower(s))
	return err == nil
}

// lookup finds the profile of a phone number or a profile id. Its errors
// say what went wrong in words, never repeating the argument: a phone
// number is personal data even when the operator typed it.
func lookup(ctx context.Context, db *scv.DB, arg, region string) (*scv.Profile, error) {
	if isProfileID(arg) {
		p, err := db.ByID(ctx, strings.ToLower(arg))
		switch {
		case errors.Is(err, scv.ErrNotFound):
			return nil, notFound("profile not found")
		case errors.Is(err, scv.ErrErased):
			return nil, notFound("profile not found: it was erased")
		}
		return p, err
	}
	p, err := db.ByPhone(ctx, arg)
	if err != nil {
		return nil, phoneError(err, region)
	}
	return p, nil
}

// phoneError says in words why a phone number found no single profile,
// never repeating the number.
func phoneError(err error, region string) error {
	var amb *scv.AmbiguousError
	switch {
	case errors.Is(err, scv.ErrNotFound):
		return notFound("phone number not found")
	case errors.As(err, &amb):
		return usageError("that phone number is on %d profiles that merge protection keeps apart (%s): name one by its profile id",
			len(amb.Profiles), strings.Join(amb.Profiles, ", "))
	case errors.Is(err, scv.ErrAmbiguous):
		return usageError("that phone number is on several profiles that merge protection keeps apart: name one by its profile id (\"scv get\" lists them)")
	case errors.Is(err, scv.ErrHub):
		return notFound("that phone number is a shared placeholder (a hub): staff typed it for several different customers, so it identifies no one; look the customer up by profile id")
	case errors.Is(err, identity.ErrMaskedPhone):
		return notFound("that phone number is masked (digits replaced by *): it never identifies anyone")
	case errors.Is(err, identity.ErrServicePhone):
		return notFound("that is a service or shared-cost number (400, 800, 95xxx, 10xxx), never a customer's key")
	case errors.Is(err, identity.ErrPlaceholderPhone):
		return notFound("that is a placeholder number staff type when a customer gives none: it identifies no one")
	case errors.Is(err, identity.ErrInvalidPhone):
		if region == "" {
			region = "CN"
		}
		return usageError("not a valid phone number for region %s (see --region), nor a profile id (32 hex digits)", region)
	}
	return err
}

func setupExplain(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	e.regionFlag(flags)
	pair := flags.Bool("pair", false, "explain two source records (RECORDKEY RECORDKEY) instead of one profile")
	asJSON := flags.Bool("json", false, "print JSON")
	return func(ctx context.Context, args []string) (err error) {
		if *pair {
			if err := wantArgs("explain --pair", args, 2, "two RECORDKEYs (channel/source/id)"); err != nil {
				return err
			}
		} else if err := wantArgs("explain", args, 1, "one PHONE or profile ID (or --pair RECORDKEY RECORDKEY)"); err != nil {
			return err
		}
		var keys []identity.RecordKey
		for i, a := range args {
			if !*pair {
				break
			}
			k, err := identity.ParseRecordKey(a)
			if err != nil {
				return usageError("explain --pair: argument %d is not a record key (channel/source/id)", i+1)
			}
			keys = append(keys, k)
		}
		db, err := e.openRefreshed(ctx)
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		if *pair {
			pe, err := db.ExplainPair(ctx, keys[0], keys[1])
			if errors.Is(err, scv.ErrNotFound) {
				return notFound("no profile holds one of the two records")
			}
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(e.stdout, pairJSON(pe))
			}
			writePair(e.stdout, pe)
			return nil
		}
		p, err := lookup(ctx, db, args[0], e.region)
		if err != nil {
			return err
		}
		ex, err := db.Explain(ctx, p.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, explanationJSON(ex))
		}
		writeExplanation(e.stdout, ex)
		return nil
	}
}

// linkJSON is one identifier kind a record shares with other records.
type linkJSON struct {
	Kind string   `json:"kind"`
	With []string `json:"with"`
}

// recordLinksJSON says what links one record to the others.
type recordLinksJSON struct {
	Record string     `json:"record"`
	Links  []linkJSON `json:"links"`
}

func explanationJSON(ex *scv.Explanation) any {
	out := struct {
		Profile profileJSONOut    `json:"profile"`
		Records []recordLinksJSON `json:"records"`
	}{Profile: profileOut(ex.Profile, nil), Records: []recordLinksJSON{}}
	for _, rl := range ex.Links {
		r := recordLinksJSON{Record: rl.Record.String(), Links: []linkJSON{}}
		for _, l := range rl.Links {
			r.Links = append(r.Links, linkJSON{Kind: l.Identifier.Kind.String(), With: keyStrings(l.With)})
		}
		out.Records = append(out.Records, r)
	}
	return out
}

func keyStrings(keys []identity.RecordKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.String()
	}
	return out
}

// writeExplanation prints a profile's summary and what links its
// records: for each record, the identifier kinds it shares with others,
// then how many records carry each linking identifier. It names kinds
// and record keys, not identifier values.
func writeExplanation(w io.Writer, ex *scv.Explanation) {
	p := ex.Profile
	name := p.Name
	if name == "" {
		name = "(no name)"
	}
	fmt.Fprintf(w, "%s, profile %s: %s, %d paid orders, %d source records\n", name, p.ID, p.Stage, p.Metrics.Orders, len(p.Sources))
	fmt.Fprintln(w, "what links each record to the others:")
	type tally struct {
		label   string
		records map[identity.RecordKey]bool
	}
	var ids []identity.Identifier
	byID := map[identity.Identifier]*tally{}
	for _, rl := range ex.Links {
		var kinds []string
		for _, l := range rl.Links {
			label := kindLabel(l.Identifier)
			kinds = append(kinds, label)
			t := byID[l.Identifier]
			if t == nil {
				t = &tally{label: label, records: map[identity.RecordKey]bool{}}
				byID[l.Identifier] = t
				ids = append(ids, l.Identifier)
			}
			t.records[rl.Record] = true
			for _, k := range l.With {
				t.records[k] = true
			}
		}
		for _, a := range rl.Asserted {
			other := a.A
			if other == rl.Record {
				other = a.B
			}
			label := "linked by " + a.By
			if a.Probability > 0 {
				label += fmt.Sprintf(" (p=%.3f)", a.Probability)
			}
			kinds = append(kinds, label+" to "+other.String())
		}
		linked := strings.Join(kinds, ", ")
		if len(kinds) == 0 {
			linked = "nothing (the profile's only record)"
		}
		fmt.Fprintf(w, "  %-50s %s\n", rl.Record, linked)
	}
	if len(ids) > 0 {
		fmt.Fprintln(w, "linking identifiers:")
	}
	for _, id := range ids {
		t := byID[id]
		fmt.Fprintf(w, "  %-24s on %d records\n", t.label, len(t.records))
	}
	for _, s := range p.Detail.Separations {
		fmt.Fprintf(w, "kept apart: %s and %s share a %s identifier, but %s\n", s.A, s.B, s.Via, separationReason(s))
	}
}

// kindLabel names an identifier by its kind and scope, not its value.
func kindLabel(id identity.Identifier) string {
	if id.Scope != "" {
		return fmt.Sprintf("%s (%s)", id.Kind, id.Scope)
	}
	return id.Kind.String()
}

func separationReason(s scv.Separation) string {
	if s.Rule == scv.RuleLimit {
		return fmt.Sprintf("joining would exceed the limit of %s identifiers per profile", s.Limit)
	}
	return fmt.Sprintf("rule %s", s.Rule)
}

func pairJSON(pe *scv.PairExplanation) any {
	type hop struct {
		From string `json:"from"`
		To   string `json:"to"`
		Via  string `json:"via"` // the identifier kind
	}
	out := struct {
		A       string `json:"a"`
		B       string `json:"b"`
		Same    bool   `json:"same"`
		Profile string `json:"profile,omitempty"`
		Rule    string `json:"rule,omitempty"`
		Kind    string `json:"kind,omitempty"`
		Path    []hop  `json:"path"`
	}{A: pe.A.String(), B: pe.B.String(), Same: pe.Same, Profile: pe.Profile, Rule: string(pe.Rule), Path: []hop{}}
	if pe.Kind != 0 {
		out.Kind = pe.Kind.String()
	}
	for _, h := range pe.Path {
		out.Path = append(out.Path, hop{From: h.From.String(), To: h.To.String(), Via: h.Via.Kind.String()})
	}
	return out
}

// writePair prints why two records are one profile or apart.
func writePair(w io.Writer, pe *scv.PairExplanation) {
	if pe.Same {
		fmt.Fprintf(w, "one profile (%s): %s and %s are linked\n", pe.Profile, pe.A, pe.B)
	} else {
		why := map[scv.Rule]string{
			scv.RuleHub:                "the identifier they share is a shared placeholder (hub)",
			scv.RuleBlocked:            "the identifier they share is a blocked value",
			scv.RuleLimit:              "joining them would exceed a limit of identifiers per profile",
			scv.RuleDoNotLink:          "an operator said they are different people (unmerge)",
			scv.RuleNoSharedIdentifier: "nothing links them",
		}[pe.Rule]
		if why == "" {
			why = string(pe.Rule)
		}
		kind := ""
		if pe.Kind != 0 {
			kind = fmt.Sprintf(" (%s)", pe.Kind)
		}
		fmt.Fprintf(w, "apart: %s and %s are different profiles: %s%s\n", pe.A, pe.B, why, kind)
	}
	if len(pe.Path) > 0 {
		fmt.Fprintln(w, "path:")
	}
	for _, h := range pe.Path {
		fmt.Fprintf(w, "  %s -[%s]-> %s\n", h.From, h.Via.Kind, h.To)
	}
}
