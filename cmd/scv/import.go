package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// fileSummary is what importing one file did.
type fileSummary struct {
	File string `json:"file"`
	scv.Summary
	QuarantinedTotal int `json:"quarantined_total"`
	// UnreadFrom is the byte offset from which the file could not be
	// read (a break in a JSON array the reader cannot skip).
	UnreadFrom *int64 `json:"unread_from,omitempty"`
}

// importSummary is the --json output of import: the totals, with the keys
// of scv.Summary at the top level, and each file's own.
type importSummary struct {
	scv.Summary
	QuarantinedTotal int           `json:"quarantined_total"`
	Files            []fileSummary `json:"files"`
	Interrupted      bool          `json:"interrupted,omitempty"` // by a signal: the counts are what was committed
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
	format := flags.String("format", "", "input format: wechat, weibo, ecommerce, pos, csv, or auto to tell each file's format by its content (required)")
	source := flags.String("source", "", "source name, such as tmall-flagship, in record keys (default the format's name; for ecommerce the platform, taobao or jd)")
	mapping := flags.String("map", "", "csv column mapping, field=column,... (default: columns named as fields)")
	mapFile := flags.String("map-file", "", "read the csv column mapping from this file (field=column pairs, on one line or one per line)")
	asJSON := flags.Bool("json", false, "print the summary as one JSON object")
	noSync := flags.Bool("no-sync", false, "do not fsync every commit: faster bulk loads, but about the last second of writes may be lost on power loss")
	bulk := flags.Bool("bulk", false, "load every FILE at once: into an empty database, grouped, resolved and written in one stream, all or nothing (much faster; memory grows with the input); into one with data, batched ingest")
	return func(ctx context.Context, args []string) (err error) {
		opts, f, err := importOptions(*format, *source, *mapping, *mapFile, e.region)
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
		if *bulk {
			return importBulk(ctx, e, db, args, f, opts, *asJSON)
		}
		prog := newProgress(e.stderr, e.now)
		total := importSummary{Summary: newSummary(), Files: []fileSummary{}}
		var unread []string
		for i, path := range args {
			fs, err := importOne(ctx, db, path, f, opts, e.stdin, e.stderr, prog, i+1, len(args))
			if fs.File != "" {
				total.Files = append(total.Files, fs)
				total.Summary.Add(fs.Summary)
			}
			if !*asJSON && fs.File != "" && (err == nil || ctx.Err() == nil) {
				fmt.Fprintf(e.stdout, "%s: read %d, accepted %d, quarantined %d\n", path, fs.Read, fs.Accepted, fs.Read-fs.Accepted)
			}
			if err == nil && fs.UnreadFrom != nil {
				unread = append(unread, fmt.Sprintf("%s is not read from byte %d on", path, *fs.UnreadFrom))
			}
			if err != nil {
				if ctx.Err() != nil {
					total.Interrupted = true
					if *asJSON {
						if err := writeJSON(e.stdout, total); err != nil {
							return err
						}
					} else {
						writeSummary(e.stderr, total.Summary)
					}
					return &exitError{code: exitFailure, err: ctx.Err(), msg: fmt.Sprintf(
						"import interrupted in %s: what was read before it is committed (counted above); run the same import again to finish (records already in are unchanged)", path)}
				}
				if *asJSON && len(total.Files) > 0 {
					_ = writeJSON(e.stdout, total)
				}
				var xe *exitError
				if errors.As(err, &xe) {
					return err
				}
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		if *asJSON {
			if err := writeJSON(e.stdout, total.withTotals()); err != nil {
				return err
			}
		} else {
			if len(args) > 1 {
				fmt.Fprintln(e.stdout, "total:")
			}
			writeSummary(e.stdout, total.Summary)
		}
		if len(unread) > 0 {
			return notFound("import: %s: the JSON array breaks where reading cannot resume (see \"scv quarantine\", reason unread); fix the file there and import it again",
				strings.Join(unread, "; "))
		}
		return nil
	}
}

// formatAuto is --format auto: each file's format is told by Sniff.
const formatAuto identity.Format = "auto"

// importOptions checks the import flags and returns the decoder's options.
// Its errors name the flag, never the value typed.
func importOptions(format, source, mapping, mapFile, region string) (identity.Options, identity.Format, error) {
	if format == "" {
		return identity.Options{}, "", usageError("import: --format is required: wechat, weibo, ecommerce, pos, csv or auto")
	}
	f, err := identity.ParseFormat(format)
	if strings.EqualFold(strings.TrimSpace(format), string(formatAuto)) {
		f, err = formatAuto, nil
	}
	if err != nil {
		return identity.Options{}, "", usageError("import: unknown --format %s: want wechat, weibo, ecommerce, pos, csv or auto", shown(format))
	}
	opts := identity.Options{Source: source, Region: region}
	if strings.ContainsAny(source, ":/") || !utf8.ValidString(source) {
		return opts, f, usageError("import: --source must not contain ':' or '/' (it names the source in record keys, such as tmall-flagship)")
	}
	if _, err := identity.NewPhoneParser(region, nil); err != nil {
		return opts, f, usageError("import: unknown --region: want an ISO 3166 region code, such as CN or HK")
	}
	if mapping != "" && mapFile != "" {
		return opts, f, usageError("import: give --map or --map-file, not both")
	}
	if mapFile != "" {
		b, err := os.ReadFile(mapFile)
		if err != nil {
			return opts, f, usageError("import: cannot read --map-file: %v", errors.Unwrap(err))
		}
		mapping = strings.Join(strings.Fields(strings.ReplaceAll(string(b), "\n", ",")), " ")
		if mapping == "" {
			return opts, f, usageError("import: --map-file is empty")
		}
	}
	if mapping != "" {
		flagName := "--map"
		if mapFile != "" {
			flagName = "--map-file"
		}
		if f != identity.FormatCSV && f != formatAuto {
			return opts, f, usageError("import: %s is for --format csv only", flagName)
		}
		if opts.Mapping, err = identity.ParseMapping(mapping); err != nil {
			return opts, f, usageError("import: bad %s: %s", flagName, strings.TrimPrefix(err.Error(), "identity: "))
		}
	}
	if other, err := identity.ParseFormat(source); err == nil && other != f {
		// The quarantine listing takes a source named after a format to
		// be of that format, to tell which record ids are personal.
		return opts, f, usageError("import: --source %q is the name of another format; choose another name", source)
	}
	if f == formatAuto {
		return opts, f, nil
	}
	// Decoding nothing checks the options exactly as Decode will.
	for _, err := range identity.Decode(strings.NewReader(""), f, opts) {
		if err != nil {
			return opts, f, usageError("import: %v", err)
		}
	}
	return opts, f, nil
}

// probeRecords is how many records import looks at before it writes
// anything: when none of them decodes, the file is refused.
const probeRecords = 64

// importFile is importOne for the demo, whose files name their format.
func importFile(ctx context.Context, db *scv.DB, path string, f identity.Format, opts identity.Options,
	stdin io.Reader, prog *progress, index, files int) (scv.Summary, error) {
	fs, err := importOne(ctx, db, path, f, opts, stdin, io.Discard, prog, index, files)
	if fs.File == "" {
		fs.Summary = newSummary()
	}
	return fs.Summary, err
}

// importOne reads one file (or stdin) into the database. When ctx is
// cancelled it stops reading; the batch in progress is still committed,
// and the error is ctx's. A file of another format than f (none of its
// first records decodes, or its header does not fit) is refused before
// anything is written, naming the format it looks like; a file most of
// whose records are malformed is refused after. The returned summary has
// no File when nothing was read.
func importOne(ctx context.Context, db *scv.DB, path string, f identity.Format, opts identity.Options,
	stdin io.Reader, stderr io.Writer, prog *progress, index, files int) (fileSummary, error) {
	var r io.Reader = stdin
	var size int64
	name := "stdin"
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return fileSummary{}, err
		}
		defer file.Close()
		if info, err := file.Stat(); err == nil && info.Mode().IsRegular() {
			size = info.Size()
		}
		r, name = file, path
	}
	br := bufio.NewReaderSize(prog.file(name, index, files, size, r), 64<<10)
	defer prog.done()
	head, _ := br.Peek(16 << 10)
	likely, known := identity.Sniff(head)
	if f == formatAuto {
		if !known {
			return fileSummary{}, usageError("import: %s: cannot tell its format from its content; give --format", name)
		}
		f = likely
		fmt.Fprintf(stderr, "%s: %s\n", name, f)
		if opts.Mapping != nil && f != identity.FormatCSV {
			return fileSummary{}, usageError("import: %s looks like %s, and --map is for csv files only", name, f)
		}
	}
	hint := func() string {
		switch {
		case known && likely != f && likely == identity.FormatCSV:
			return "; it looks like --format csv (with --map or --map-file if its columns are not named as fields)"
		case known && likely != f:
			return "; it looks like --format " + string(likely)
		}
		return ""
	}
	next, stop := iter.Pull2(identity.Decode(br, f, opts))
	defer stop()
	// Look at the first records before writing anything.
	type yielded struct {
		rec identity.Record
		err error
	}
	var probe []yielded
	decodes := false
	for len(probe) < probeRecords {
		rec, err, ok := next()
		if !ok {
			break
		}
		var re *identity.RecordError
		switch {
		case errors.Is(err, identity.ErrNoMapping):
			return fileSummary{}, usageError("import: %s: no column is named as a csv field: give --map field=column,... or --map-file FILE%s", name, hint())
		case errors.Is(err, identity.ErrHeader) && opts.Mapping != nil:
			return fileSummary{}, usageError("import: %s: its header does not fit the mapping of --map/--map-file (%s)", name, strings.TrimPrefix(err.Error(), "identity: "))
		case errors.Is(err, identity.ErrHeader):
			return fileSummary{}, usageError("import: %s: its header does not fit --format %s (%s)%s", name, f, strings.TrimPrefix(err.Error(), "identity: "), hint())
		case err != nil && !errors.As(err, &re):
			return fileSummary{}, err
		case err == nil || !unreadable(re.Reason):
			decodes = true
		}
		probe = append(probe, yielded{rec, err})
		if decodes {
			break
		}
	}
	if len(probe) > 0 && !decodes {
		return fileSummary{}, usageError("import: %s: none of its first %d records decodes as --format %s%s; nothing was imported", name, len(probe), f, hint())
	}
	seq := func(yield func(identity.Record, error) bool) {
		for _, y := range probe {
			if !yield(y.rec, y.err) {
				return
			}
		}
		for {
			rec, err, ok := next()
			if !ok || !yield(rec, err) {
				return
			}
		}
	}
	fs := fileSummary{File: name}
	var unreadAt *int64
	watch := func(yield func(identity.Record, error) bool) {
		for rec, err := range seq {
			var re *identity.RecordError
			if errors.As(err, &re) && re.Reason == identity.ReasonUnread {
				unreadAt = &re.Offset
			}
			if !yield(rec, err) {
				return
			}
		}
	}
	sum, err := db.IngestAll(context.WithoutCancel(ctx), stopOn(ctx, watch, prog), scv.IngestOptions{File: filepath.Base(name)})
	fs.Summary = newSummary()
	fs.Summary.Add(sum)
	fs.UnreadFrom = unreadAt
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return fs, err
	}
	bad := 0
	for reason, n := range fs.Quarantined {
		if unreadable(reason) && reason != identity.ReasonUnread {
			bad += n
		}
	}
	// Records quarantined for what they hold (a masked phone, a suppressed
	// identifier) say nothing about the format; records that do not
	// decode do.
	if 2*bad > fs.Read || fs.Accepted == 0 && bad > 0 {
		return fs, usageError("import: %s: %d of %d records malformed and %d accepted: is it a --format %s file%s? (the accepted records are in; \"scv quarantine drop --file %s\" removes the entries)",
			name, bad, fs.Read, fs.Accepted, f, hint(), filepath.Base(name))
	}
	return fs, nil
}

// unreadable reports whether a quarantine reason says the record could
// not be read at all in the format given, rather than read and found
// unusable.
func unreadable(r identity.Reason) bool {
	switch r {
	case identity.ReasonMalformed, identity.ReasonInvalidEncoding, identity.ReasonMissingID, identity.ReasonUnread:
		return true
	}
	return false
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

func newSummary() scv.Summary {
	return scv.Summary{Quarantined: map[identity.Reason]int{}, Warnings: map[identity.Reason]int{}}
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
