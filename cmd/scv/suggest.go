package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/scv-go/scv"
)

func init() {
	// The longer help of every other command is in usage.go; this one's
	// stays with the command.
	commandHelp["suggest"] = `Lists pairs of profiles that may be the same person although no
identifier links them: the same name, or a birthday and a word of the
name, with phones a digit or two apart, say. Nothing is merged: review
each pair ("scv get ID", "scv explain ID"). Pairs come most probable
first, with the match probability (a Fellegi-Sunter model whose weights
are estimated from the database itself) and the evidence per field (name,
birthday, gender, province, city exact/same/close/compatible/different;
phone equal/one_digit/transposed/two_digits/far). With PHONE or ID, only that
profile's pairs. Names are personal data and are shown only with
--show-names.

With --link-above P, every pair at probability P or more (above 0.5) is
linked instead of listed: each link is kept as an assertion that "scv
explain" shows ("linked by auto (p=0.995)"), and "scv unmerge" of either
record withdraws it.`
}

func setupSuggest(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	e.regionFlag(flags)
	asJSON := flags.Bool("json", false, "print one JSON object per pair")
	limit := flags.Int("limit", 0, "print at most the N best pairs (0: all)")
	minProb := flags.Float64("min-probability", scv.DefaultMinProbability, "the lowest match probability listed, above 0 and at most 1")
	minScore := flags.Float64("min-score", 0, "the first name of --min-probability, read when set")
	maxBlock := flags.Int("max-block", scv.DefaultMaxBlock, "skip blocks (profiles sharing a name, or a birthday and a word of a name) larger than this, as placeholders")
	showNames := flags.Bool("show-names", false, "print the two profiles' names (personal data) beside each pair")
	linkAbove := flags.Float64("link-above", 0, "link every pair at this probability or more (above 0.5) instead of listing them")
	return func(ctx context.Context, args []string) (err error) {
		if len(args) > 1 {
			return wantArgs("suggest", args, 1, "no argument, or one PHONE or profile ID")
		}
		if *limit < 0 {
			return usageError("suggest: --limit must not be negative")
		}
		if *minScore != 0 {
			*minProb = *minScore
		}
		if !(*minProb > 0 && *minProb <= 1) {
			return usageError("suggest: --min-probability must be above 0 and at most 1")
		}
		if *maxBlock < 1 {
			return usageError("suggest: --max-block must be at least 1")
		}
		if *linkAbove != 0 && !(*linkAbove > 0.5 && *linkAbove <= 1) {
			return usageError("suggest: --link-above must be above 0.5 and at most 1")
		}
		if *linkAbove != 0 && len(args) > 0 {
			return usageError("suggest: --link-above links every pair; it takes no PHONE or ID")
		}
		opts := scv.SuggestOptions{MinProbability: *minProb, MaxBlock: *maxBlock}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		if *linkAbove != 0 {
			sum, err := db.AutoLink(ctx, scv.AutoLinkOptions{MinProbability: *linkAbove, MaxBlock: *maxBlock})
			if *asJSON {
				if err := writeJSON(e.stdout, map[string]any{"min_probability": *linkAbove, "suggested": sum.Suggested, "linked": sum.Linked}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(e.stdout, "linked %d of %d pair%s at probability >= %g\n", sum.Linked, sum.Suggested, plural(sum.Suggested), *linkAbove)
			}
			return err
		}
		var sgs []scv.Suggestion
		if len(args) == 1 {
			p, err := lookup(ctx, db, args[0], e.region)
			if err != nil {
				return err
			}
			if sgs, err = db.SuggestFor(ctx, p.ID, opts); err != nil {
				return err
			}
		} else {
			for sg, err := range db.Suggest(ctx, opts) {
				if err != nil {
					return err
				}
				sgs = append(sgs, sg)
			}
		}
		slices.SortFunc(sgs, func(x, y scv.Suggestion) int {
			return cmp.Or(cmp.Compare(y.Probability, x.Probability), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
		})
		more := 0
		if *limit > 0 && len(sgs) > *limit {
			more = len(sgs) - *limit
			sgs = sgs[:*limit]
		}
		var names func(id string) (string, error)
		if *showNames {
			names = func(id string) (string, error) {
				p, err := db.ByID(ctx, id)
				if errors.Is(err, scv.ErrNotFound) || errors.Is(err, scv.ErrErased) {
					return "", nil // changed since the listing
				}
				if err != nil {
					return "", err
				}
				return p.Name, nil
			}
		}
		if *asJSON {
			err = writeSuggestionsJSON(e.stdout, sgs, names)
		} else {
			err = writeSuggestions(e.stdout, sgs, names)
		}
		if err != nil {
			return err
		}
		if more > 0 {
			w := e.stdout
			if *asJSON {
				w = e.stderr
			}
			fmt.Fprintf(w, "-- %d more pair%s: raise --limit to see them\n", more, plural(more))
		}
		return nil
	}
}

// suggestionJSON is one pair as --json prints it.
type suggestionJSON struct {
	scv.Suggestion
	Names []string `json:"names,omitempty"` // with --show-names: A's name, B's name
}

func writeSuggestionsJSON(w io.Writer, sgs []scv.Suggestion, names func(string) (string, error)) error {
	for _, sg := range sgs {
		out := suggestionJSON{Suggestion: sg}
		if names != nil {
			a, err := names(sg.A)
			if err != nil {
				return err
			}
			b, err := names(sg.B)
			if err != nil {
				return err
			}
			out.Names = []string{a, b}
		}
		if err := writeJSON(w, out); err != nil {
			return err
		}
	}
	return nil
}

func writeSuggestions(w io.Writer, sgs []scv.Suggestion, names func(string) (string, error)) error {
	if len(sgs) == 0 {
		fmt.Fprintln(w, "no suggestions")
		return nil
	}
	fmt.Fprintf(w, "%-5s  %-32s  %-32s  %s\n", "PROB", "PROFILE A", "PROFILE B", "EVIDENCE")
	for _, sg := range sgs {
		fmt.Fprintf(w, "%.3f  %-32s  %-32s  %v\n", sg.Probability, sg.A, sg.B, sg.Evidence)
		if names != nil {
			a, err := names(sg.A)
			if err != nil {
				return err
			}
			b, err := names(sg.B)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "       names: %s | %s\n", orDash(a), orDash(b))
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
