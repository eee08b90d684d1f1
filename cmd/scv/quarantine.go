package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

func setupQuarantine(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	asJSON := flags.Bool("json", false, "print one JSON entry per line")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("quarantine", args, 0, "no arguments"); err != nil {
			return err
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		var entries []scv.QuarantineEntry
		for q, err := range db.Quarantine(ctx) {
			if err != nil {
				return err
			}
			if !showRecordID(q) {
				q.RecordID = ""
			}
			entries = append(entries, q)
		}
		slices.SortStableFunc(entries, func(a, b scv.QuarantineEntry) int {
			return cmp.Or(strings.Compare(a.Source, b.Source), cmp.Compare(a.Line, b.Line),
				strings.Compare(a.Field, b.Field), strings.Compare(string(a.Reason), string(b.Reason)))
		})
		reasons := map[identity.Reason]int{}
		n := 0
		for _, q := range entries {
			reasons[q.Reason]++
			n++
			if *asJSON {
				if err := writeJSON(e.stdout, q); err != nil {
					return err
				}
				continue
			}
			if n == 1 {
				fmt.Fprintf(e.stdout, "%-14s %6s  %-18s %-18s %s\n", "SOURCE", "LINE", "FIELD", "REASON", "RECORD")
			}
			line, field, rec := "-", q.Field, q.RecordID
			if q.Line > 0 {
				line = fmt.Sprint(q.Line)
			}
			if field == "" {
				field = "-"
			}
			if rec == "" {
				rec = "-"
			}
			fmt.Fprintf(e.stdout, "%-14s %6s  %-18s %-18s %s\n", q.Source, line, field, q.Reason, rec)
		}
		if *asJSON {
			return nil
		}
		fmt.Fprintf(e.stdout, "%d quarantined record%s\n", n, plural(n))
		writeCounts(e.stdout, "by reason", reasons)
		return nil
	}
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
