package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// fileSummary is what importing one file did.
type fileSummary struct {
	File string `json:"file"`
	store.Summary
	QuarantinedTotal int `json:"quarantined_total"`
}

// importSummary is the --json output of import: the totals, with the keys
// of store.Summary at the top level, and each file's own.
type importSummary struct {
	store.Summary
	QuarantinedTotal int           `json:"quarantined_total"`
	Files            []fileSummary `json:"files"`
}

// withTotals returns s with its quarantined totals counted.
func (s importSummary) withTotals() importSummary {
	s.QuarantinedTotal = s.Read - s.Accepted
	for i := range s.Files {
		s.Files[i].QuarantinedTotal = s.Files[i].Read - s.Files[i].Accepted
	}
	return s
}

func setupImport(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	e.regionFlag(flags)
	format := flags.String("format", "", "input format: wechat, weibo, ecommerce, pos or csv (required)")
	source := flags.String("source", "", "source name, such as tmall-flagship, in record keys (default the format's name; for ecommerce the platform, taobao or jd)")
	mapping := flags.String("map", "", "csv column mapping, field=column,... (default: columns named as fields)")
	asJSON := flags.Bool("json", false, "print the summary as one JSON object")
	noSync := flags.Bool("no-sync", false, "do not fsync every commit: faster bulk loads, but about the last second of writes may be lost on power loss")
	return func(ctx context.Context, args []string) (err error) {
		opts, f, err := importOptions(*format, *source, *mapping, e.region)
		if err != nil {
			return err
		}
		if len(args) == 0 {
			return usageError("import: no FILE given (\"-\" reads stdin)")
		}
		if n := countOf(args, "-"); n > 1 {
			return usageError("import: stdin (\"-\") given %d times", n)
		}
		for _, path := range args {
			if path == "-" {
				continue
			}
			if info, err := os.Stat(path); err != nil {
				return usageError("import: cannot read %s: %v", path, errors.Unwrap(err))
			} else if info.IsDir() {
				return usageError("import: %s is a directory", path)
			}
		}
		db, err := e.open(openOptions{create: true, noSync: *noSync})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		prog := newProgress(e.stderr, e.now)
		total := importSummary{Summary: newSummary(), Files: []fileSummary{}}
		for i, path := range args {
			sum, err := importFile(ctx, db, path, f, opts, e.stdin, prog, i+1, len(args))
			total.Files = append(total.Files, fileSummary{File: path, Summary: sum})
			add(&total.Summary, sum)
			if !*asJSON && err == nil {
				fmt.Fprintf(e.stdout, "%s: read %d, accepted %d, quarantined %d\n", path, sum.Read, sum.Accepted, sum.Read-sum.Accepted)
			}
			if err != nil {
				if ctx.Err() != nil {
					writeSummary(e.stderr, total.Summary)
					return &exitError{code: exitFailure, err: ctx.Err(), msg: fmt.Sprintf(
						"import interrupted in %s: what was read before it is committed (counted above); run the same import again to finish (records already in are unchanged)", path)}
				}
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		if *asJSON {
			return writeJSON(e.stdout, total.withTotals())
		}
		if len(args) > 1 {
			fmt.Fprintln(e.stdout, "total:")
		}
		writeSummary(e.stdout, total.Summary)
		return nil
	}
}

// importOptions checks the import flags and returns the decoder's options.
func importOptions(format, source, mapping, region string) (identity.Options, identity.Format, error) {
	if format == "" {
		return identity.Options{}, "", usageError("import: --format is required: wechat, weibo, ecommerce, pos or csv")
	}
	f, err := identity.ParseFormat(format)
	if err != nil {
		return identity.Options{}, "", usageError("import: unknown --format %s: want wechat, weibo, ecommerce, pos or csv", shown(format))
	}
	opts := identity.Options{Source: source, Region: region}
	if mapping != "" {
		if f != identity.FormatCSV {
			return opts, f, usageError("import: --map is for --format csv only")
		}
		if opts.Mapping, err = identity.ParseMapping(mapping); err != nil {
			return opts, f, usageError("import: bad --map: %v", err)
		}
	}
	if other, err := identity.ParseFormat(source); err == nil && other != f {
		// The quarantine listing takes a source named after a format to
		// be of that format, to tell which record ids are personal.
		return opts, f, usageError("import: --source %q is the name of another format; choose another name", source)
	}
	// Decoding nothing checks the options exactly as Decode will.
	for _, err := range identity.Decode(strings.NewReader(""), f, opts) {
		if err != nil {
			return opts, f, usageError("import: %v", err)
		}
	}
	return opts, f, nil
}

// importFile reads one file (or stdin) into the database. When ctx is
// cancelled it stops reading; the batch in progress is still committed,
// and the error is ctx's.
func importFile(ctx context.Context, db *scv.DB, path string, f identity.Format, opts identity.Options,
	stdin io.Reader, prog *progress, index, files int) (store.Summary, error) {
	var r io.Reader = stdin
	var size int64
	name := "stdin"
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return newSummary(), err
		}
		defer file.Close()
		if info, err := file.Stat(); err == nil && info.Mode().IsRegular() {
			size = info.Size()
		}
		r, name = file, path
	}
	r = prog.file(name, index, files, size, r)
	defer prog.done()
	sum, err := db.IngestAll(context.WithoutCancel(ctx), stopOn(ctx, identity.Decode(r, f, opts), prog), scv.IngestOptions{File: filepath.Base(name)})
	if sum.Quarantined == nil || sum.Warnings == nil {
		empty := newSummary()
		add(&empty, sum)
		sum = empty
	}
	if err == nil {
		err = ctx.Err()
	}
	return sum, err
}

// stopOn yields the records of seq until ctx is done, counting them on
// the progress line.
func stopOn(ctx context.Context, seq iter.Seq2[identity.Record, error], prog *progress) iter.Seq2[identity.Record, error] {
	return func(yield func(identity.Record, error) bool) {
		for rec, err := range seq {
			if ctx.Err() != nil {
				return
			}
			prog.record()
			if !yield(rec, err) {
				return
			}
		}
	}
}

func newSummary() store.Summary {
	return store.Summary{Quarantined: map[identity.Reason]int{}, Warnings: map[identity.Reason]int{}}
}

// add adds b's counts to a's.
func add(a *store.Summary, b store.Summary) {
	a.Read += b.Read
	a.Accepted += b.Accepted
	a.Unchanged += b.Unchanged
	a.Updated += b.Updated
	a.Stale += b.Stale
	a.ProfilesCreated += b.ProfilesCreated
	a.ProfilesMerged += b.ProfilesMerged
	for _, m := range []struct{ to, from map[identity.Reason]int }{{a.Quarantined, b.Quarantined}, {a.Warnings, b.Warnings}} {
		for _, k := range slices.Sorted(maps.Keys(m.from)) {
			m.to[k] += m.from[k]
		}
	}
}

func countOf(args []string, s string) int {
	n := 0
	for _, a := range args {
		if a == s {
			n++
		}
	}
	return n
}
