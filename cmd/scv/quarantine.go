package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

func setupQuarantine(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	e.regionFlag(flags)
	asJSON := flags.Bool("json", false, "print one JSON entry per line (list), or the summary as one JSON object (retry)")
	file := flags.String("file", "", "only the entries of this file (its base name, as the FILE column shows it)")
	reason := flags.String("reason", "", "only the entries of this reason, such as invalid_phone")
	source := flags.String("source", "", "only the entries of this source")
	mapping := flags.String("map", "", "retry: the csv column mapping, field=column,...")
	mapFile := flags.String("map-file", "", "retry: read the csv column mapping from this file")
	return func(ctx context.Context, args []string) (err error) {
		action := "list"
		if len(args) > 0 {
			action = args[0]
		}
		if len(args) > 1 || !slices.Contains([]string{"list", "retry", "drop"}, action) {
			return usageError("quarantine: want no argument, list, retry or drop (see \"scv help quarantine\")")
		}
		if *reason != "" && !reasonLike.MatchString(*reason) {
			return usageError("quarantine: --reason is a reason word as the REASON column shows it, such as invalid_phone")
		}
		filter := scv.QuarantineFilter{File: *file, Source: *source, Reason: identity.Reason(*reason)}
		var opts identity.Options
		if action == "retry" {
			// The same checks as import's; the format is each entry's.
			opts, _, err = importOptions("csv", "", *mapping, *mapFile, e.region)
			if err != nil {
				var xe *exitError
				if errors.As(err, &xe) {
					xe.msg = strings.Replace(xe.msg, "import: ", "quarantine retry: ", 1)
				}
				return err
			}
		} else if *mapping != "" || *mapFile != "" {
			return usageError("quarantine: --map and --map-file are for retry")
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		switch action {
		case "drop":
			n, err := db.DropQuarantine(ctx, filter)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "dropped %d quarantine entr%s\n", n, map[bool]string{true: "y", false: "ies"}[n == 1])
			return nil
		case "retry":
			sum, err := db.RetryQuarantine(ctx, filter, opts)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(e.stdout, sum)
			}
			writeSummary(e.stdout, sum.Summary)
			if sum.NotKept > 0 {
				fmt.Fprintf(e.stdout, "%d entr%s kept no raw record to retry (too large, unread, or refused after decoding): import their file again\n",
					sum.NotKept, map[bool]string{true: "y", false: "ies"}[sum.NotKept == 1])
			}
			return nil
		}
		return listQuarantine(ctx, e, db, filter, *asJSON)
	}
}

// reasonLike is the shape of a quarantine reason.
var reasonLike = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)

// listQuarantine prints the entries filter selects.
func listQuarantine(ctx context.Context, e *env, db *scv.DB, filter scv.QuarantineFilter, asJSON bool) error {
	var entries []scv.QuarantineEntry
	for q, err := range db.Quarantine(ctx) {
		if err != nil {
			return err
		}
		if filter.File != "" && q.File != filter.File || filter.Source != "" && q.Source != filter.Source || filter.Reason != "" && q.Reason != filter.Reason {
			continue
		}
		if !showRecordID(q) {
			q.RecordID = ""
		}
		entries = append(entries, q)
	}
	slices.SortStableFunc(entries, func(a, b scv.QuarantineEntry) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			strings.Compare(a.Field, b.Field), strings.Compare(string(a.Reason), string(b.Reason)))
	})
	reasons := map[identity.Reason]int{}
	n := 0
	for _, q := range entries {
		reasons[q.Reason]++
		n++
		if asJSON {
			if err := writeJSON(e.stdout, q); err != nil {
				return err
			}
			continue
		}
		if n == 1 {
			fmt.Fprintf(e.stdout, "%-14s %-20s %6s  %-18s %-18s %s\n", "SOURCE", "FILE", "LINE", "FIELD", "REASON", "RECORD")
		}
		line, field, rec, file := "-", q.Field, q.RecordID, q.File
		if q.Line > 0 {
			line = fmt.Sprint(q.Line)
		}
		if q.Reason == identity.ReasonUnread {
			field = fmt.Sprintf("from byte %d", q.Offset)
		}
		if field == "" {
			field = "-"
		}
		if rec == "" {
			rec = "-"
		}
		if file == "" {
			file = "-"
		}
		fmt.Fprintf(e.stdout, "%-14s %-20s %6s  %-18s %-18s %s\n", q.Source, file, line, field, q.Reason, rec)
	}
	if asJSON {
		return nil
	}
	fmt.Fprintf(e.stdout, "%d quarantined record%s\n", n, plural(n))
	writeCounts(e.stdout, "by reason", reasons)
	return nil
}

// showRecordID reports whether a quarantine entry's record id may be
// shown. Only sources named after the ecommerce and pos formats (import
// refuses a source named after another format than its own) have record
// ids that say nothing about the person: order ids and store/receipt
// numbers, except a POS member sign-up's "store/member/number". WeChat
// record ids are openids, Weibo ids are uids, CSV ids may be anything
// (even a hash of the row), and other source names do not say their
// channel: their record ids are never shown.
func showRecordID(q scv.QuarantineEntry) bool {
	switch q.Source {
	case string(identity.FormatEcommerce):
		return true
	case string(identity.FormatPOS):
		return !strings.Contains(q.RecordID, "/member/")
	}
	return false
}

func setupWatch(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	after := flags.String("after", "", "start after the event with this cursor (default: from the first event)")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("watch", args, 0, "no arguments"); err != nil {
			return err
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		type event struct {
			Cursor string `json:"cursor"` // pass to --after to resume after this event
			scv.Event
		}
		for ev, err := range db.Watch(ctx, *after) {
			if errors.Is(err, scv.ErrBadCursor) {
				return usageError("watch: bad --after cursor: pass a cursor an earlier watch printed")
			}
			if err != nil {
				return err
			}
			if err := writeJSON(e.stdout, event{Cursor: ev.Cursor, Event: ev}); err != nil {
				return err
			}
		}
		return nil
	}
}
