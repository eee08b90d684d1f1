package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

func setupStage(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	asJSON := flags.Bool("json", false, "print one profile JSON per line")
	limit := flags.Int("limit", 0, "list at most N profiles and print the cursor that resumes the listing (0: all)")
	risk := flags.String("risk", "", "only this churn risk: none, active, at_risk or lapsed")
	channel := flags.String("channel", "", "only profiles with a record from this channel: wechat, weibo, ecommerce, pos or csv")
	consent := flags.String("consent", "", "only profiles that consent to this purpose: marketing, personalisation or third_party")
	since := flags.String("active-since", "", "only profiles last seen on or after this day, YYYY-MM-DD")
	after := flags.String("after", "", "resume a listing after the cursor an earlier --limit printed")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("stage", args, 1, "one STAGE"); err != nil {
			return err
		}
		stage, err := scv.ParseStage(args[0])
		if err != nil {
			return usageError("stage: unknown stage %s: want one of %s", shown(args[0]), joinNames(scv.Stages))
		}
		f, err := listFilter(*risk, *channel, *consent, *since)
		if err != nil {
			return err
		}
		if *limit < 0 {
			return usageError("stage: --limit must not be negative")
		}
		f.After = *after
		if *limit > 0 {
			f.Limit = *limit + 1 // one more tells whether the listing was cut
		}
		db, err := e.openRefreshed(ctx)
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		n, cursor, cut := 0, "", false
		var skipped damagedSkips
		defer skipped.report(e, "stage", &err)
		for p, err := range db.ByStage(ctx, stage, f) {
			if errors.Is(err, scv.ErrBadCursor) {
				return usageError("stage: bad --after cursor: pass the cursor an earlier \"scv stage --limit\" printed")
			}
			if skipped.skip(e, err) {
				continue
			}
			if err != nil {
				return err
			}
			if *limit > 0 && n == *limit {
				cut = true
				break
			}
			if *asJSON {
				if err := writeJSON(e.stdout, profileOut(p, nil)); err != nil {
					return err
				}
			} else {
				if n == 0 {
					fmt.Fprintf(e.stdout, "%-32s  %-8s %6s %14s  %-16s %s\n", "ID", "RISK", "ORDERS", "SPEND", "PHONES", "NAME")
				}
				writeProfileLine(e.stdout, p)
			}
			n++
			cursor = p.Cursor
		}
		if cut {
			if *asJSON {
				return writeJSON(e.stdout, map[string]string{"cursor": cursor})
			} else {
				fmt.Fprintf(e.stdout, "-- more: resume with --after %s\n", cursor)
			}
		} else if n == 0 && !*asJSON {
			fmt.Fprintf(e.stdout, "no %s profiles\n", stage)
		}
		return nil
	}
}

// listFilter checks the listing flags.
func listFilter(risk, channel, consent, since string) (scv.Filter, error) {
	var f scv.Filter
	if risk != "" {
		r, err := scv.ParseRisk(risk)
		if err != nil {
			return f, usageError("unknown --risk %s: want one of %s", shown(risk), joinNames(scv.Risks))
		}
		f.Risk = r
	}
	if channel != "" {
		ch := identity.Channel(channel)
		if !slices.Contains(channels, ch) {
			return f, usageError("unknown --channel %s: want one of %s", shown(channel), joinNames(channels))
		}
		f.Channel = ch
	}
	if consent != "" {
		p := identity.Purpose(consent)
		if !slices.Contains(identity.Purposes, p) {
			return f, usageError("unknown --consent %s: want one of %s", shown(consent), joinNames(identity.Purposes))
		}
		f.Consent = p
	}
	if since != "" {
		d, err := time.ParseInLocation(time.DateOnly, since, chinaTime)
		if err != nil {
			return f, usageError("bad --active-since %s: want a date as YYYY-MM-DD", shown(since))
		}
		f.ActiveSince = d
	}
	return f, nil
}

// channels are the channels records come from.
var channels = []identity.Channel{identity.ChannelWeChat, identity.ChannelWeibo, identity.ChannelEcommerce, identity.ChannelPOS, identity.ChannelCSV}

func joinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// writeProfileLine prints a profile as one line of a listing.
func writeProfileLine(w io.Writer, p *scv.Profile) {
	phones := "-"
	if len(p.Phones) > 0 {
		phones = p.Phones[0]
		if len(p.Phones) > 1 {
			phones += fmt.Sprintf(" +%d", len(p.Phones)-1)
		}
	}
	name := p.Name
	if name == "" {
		name = "-"
	}
	fmt.Fprintf(w, "%-32s  %-8s %6d %14s  %-16s %s\n", p.ID, p.Risk, p.Metrics.Orders, money(p.Metrics.SpendFen, p.Metrics.Currency), phones, name)
}

func setupStats(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	asJSON := flags.Bool("json", false, "print JSON")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("stats", args, 0, "no arguments"); err != nil {
			return err
		}
		db, err := e.openRefreshed(ctx)
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		st, err := db.Stats(ctx)
		if err != nil {
			return err
		}
		st = completeStats(st)
		if *asJSON {
			return writeJSON(e.stdout, st)
		}
		writeStats(e.stdout, st, e.asOf)
		return nil
	}
}

// completeStats lists every stage and risk, with zero counts too.
func completeStats(st scv.Stats) scv.Stats {
	stages := map[scv.Stage]int{}
	for _, s := range scv.Stages {
		stages[s] = st.Stages[s]
	}
	for s, n := range st.Stages {
		stages[s] = n
	}
	risks := map[scv.Risk]int{}
	for _, r := range scv.Risks {
		risks[r] = st.Risks[r]
	}
	for r, n := range st.Risks {
		risks[r] = n
	}
	st.Stages, st.Risks = stages, risks
	return st
}

// writeStats prints the stage summary, ladder order, and the other counts.
func writeStats(w io.Writer, st scv.Stats, asOf time.Time) {
	fmt.Fprintf(w, "profiles by stage, as of %s\n", day(asOf))
	for _, s := range scv.Stages {
		fmt.Fprintf(w, "  %-16s %6d\n", s, st.Stages[s])
	}
	fmt.Fprintf(w, "  %-16s %6d\n", "total", st.Profiles)
	fmt.Fprintln(w, "by churn risk")
	for _, r := range scv.Risks {
		fmt.Fprintf(w, "  %-16s %6d\n", r, st.Risks[r])
	}
	fmt.Fprintf(w, "source records %d, quarantined %d, hubs %d, erased %d, forwarded ids %d\n",
		st.Records, st.Quarantined, st.Hubs, st.Erased, st.Forwards)
}

func setupExport(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	purpose := flags.String("purpose", "", "internal (every profile), marketing, personalisation or third_party (required)")
	flags.Bool("json", true, "JSON lines (the only format; accepted for symmetry)")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("export", args, 0, "no arguments"); err != nil {
			return err
		}
		p := scv.Purpose(*purpose)
		if p != scv.PurposeInternal && !slices.Contains(identity.Purposes, p) {
			return usageError("export: --purpose must be internal, %s", joinNames(identity.Purposes))
		}
		db, err := e.openRefreshed(ctx)
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		var skipped damagedSkips
		defer skipped.report(e, "export", &err)
		for prof, err := range db.Export(ctx, p) {
			if skipped.skip(e, err) {
				continue
			}
			if err != nil {
				return err
			}
			if err := writeJSON(e.stdout, profileOut(prof, nil)); err != nil {
				return err
			}
		}
		return nil
	}
}

// damagedSkips counts the damaged profiles a listing skipped.
type damagedSkips struct{ n int }

// skip reports on stderr a profile err says is damaged, by id, and
// whether it was one.
func (d *damagedSkips) skip(e *env, err error) bool {
	var de *scv.DamagedError
	if !errors.As(err, &de) {
		return false
	}
	d.n++
	fmt.Fprintf(e.stderr, "scv: skipped damaged profile %s (%v)\n", de.ID, de.Err)
	return true
}

// report makes a listing that skipped damaged profiles end with exit
// status 3 and their count, once everything else was listed.
func (d *damagedSkips) report(e *env, cmd string, err *error) {
	if d.n > 0 && *err == nil {
		*err = &exitError{code: exitFailure, msg: fmt.Sprintf(
			"%s: %d damaged profile%s skipped (ids above): they fail authentication; erase them (scv erase ID --yes) or restore a backup, and run verify", cmd, d.n, plural(d.n))}
	}
}
