package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// importBulk is "import --bulk": every file in one scv.DB.BulkLoad, all
// or nothing into an empty database (batched ingest into one with data).
func importBulk(ctx context.Context, e *env, db *scv.DB, args []string, f identity.Format, opts identity.Options, asJSON bool) error {
	// The files are decoded at once, and each on its share of the cores:
	// one large export is decoded on all of them.
	opts.Workers = max(1, runtime.GOMAXPROCS(0)/len(args))
	var sources []scv.BulkSource
	for _, path := range args {
		var r io.Reader = e.stdin
		name := "stdin"
		if path != "-" {
			file, err := os.Open(path)
			if err != nil {
				return err
			}
			defer file.Close()
			r, name = file, path
		}
		br := bufio.NewReaderSize(r, 64<<10)
		ff := f
		if f == formatAuto {
			head, _ := br.Peek(16 << 10)
			likely, known := identity.Sniff(head)
			if !known {
				return usageError("import: %s: cannot tell its format from its content; give --format", name)
			}
			if opts.Mapping != nil && likely != identity.FormatCSV {
				return usageError("import: %s looks like %s, and --map is for csv files only", name, likely)
			}
			ff = likely
			fmt.Fprintf(e.stderr, "%s: %s\n", name, ff)
		}
		sources = append(sources, scv.BulkSource{File: filepath.Base(name), Records: identity.Decode(br, ff, opts)})
	}
	bp := newBulkProgress(e.stderr, e.now)
	sum, err := db.BulkLoad(ctx, scv.BulkOptions{Progress: bp.update, GoMemoryLimitMiB: scv.DefaultBulkGoMemoryLimitMiB}, sources...)
	bp.done()
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: exitFailure, err: ctx.Err(), msg: "import --bulk interrupted: nothing was written into an empty database (a bulk load is all or nothing; into one with data, what was read before is committed); run the same import again"}
		}
		if errors.Is(err, scv.ErrBulkMemory) {
			return fmt.Errorf("import --bulk: %w; import without --bulk, or on a machine with more memory", err)
		}
		return fmt.Errorf("import --bulk: %w", err)
	}
	total := importSummary{Summary: sum, Files: []fileSummary{}}
	if asJSON {
		return writeJSON(e.stdout, total.withTotals())
	}
	writeSummary(e.stdout, sum)
	return nil
}

// bulkProgress draws a bulk load's phase and counts on one line of a
// terminal; nil (off) when stderr is not one.
type bulkProgress struct {
	w      io.Writer
	now    func() time.Time
	start  time.Time
	drawn  time.Time
	phase  scv.BulkPhase
	shown  bool
	phases map[scv.BulkPhase]string
}

func newBulkProgress(w io.Writer, now func() time.Time) *bulkProgress {
	if !isTerminal(w) {
		return nil
	}
	return &bulkProgress{w: w, now: now, start: now(), phases: map[scv.BulkPhase]string{
		scv.BulkDecode: "reading", scv.BulkResolve: "resolving", scv.BulkWrite: "writing", scv.BulkIngest: "ingesting",
	}}
}

// update redraws the line, at most every progressInterval unless the
// phase changed.
func (p *bulkProgress) update(bp scv.BulkProgress) {
	if p == nil {
		return
	}
	now := p.now()
	if bp.Phase == p.phase && now.Sub(p.drawn) < progressInterval {
		return
	}
	p.phase, p.drawn, p.shown = bp.Phase, now, true
	unit := "records"
	if bp.Phase == scv.BulkWrite {
		unit = "keys"
	}
	line := fmt.Sprintf("bulk: %s  %s %s", p.phases[bp.Phase], thousands(int64(bp.Done)), unit)
	if bp.Total > 0 {
		line += fmt.Sprintf(" of %s", thousands(int64(bp.Total)))
	}
	line += fmt.Sprintf("  %s", now.Sub(p.start).Round(time.Second))
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

func (p *bulkProgress) done() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K")
}
