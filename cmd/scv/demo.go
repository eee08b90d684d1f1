package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// fixture is one file of the fixtures directory and how to read it.
type fixture struct {
	path, name string // path on disk; name relative to the fixtures directory
	format     identity.Format
	opts       identity.Options
}

// fixtureFiles lists the fixtures under dir: every file in a
// subdirectory named after a format, with the mapping of a NAME.map
// sidecar for a csv file. Other directories and .map and .md files are
// skipped.
func fixtureFiles(dir string) ([]fixture, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []fixture
	for _, d := range entries {
		f, err := identity.ParseFormat(d.Name())
		if !d.IsDir() || err != nil {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, d.Name()))
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			ext := filepath.Ext(file.Name())
			if file.IsDir() || ext == ".map" || ext == ".md" || strings.HasPrefix(file.Name(), ".") {
				continue
			}
			fx := fixture{path: filepath.Join(dir, d.Name(), file.Name()), name: d.Name() + "/" + file.Name(), format: f}
			sidecar := strings.TrimSuffix(fx.path, ext) + ".map"
			if m, err := os.ReadFile(sidecar); err == nil {
				if fx.opts.Mapping, err = identity.ParseMapping(strings.TrimSpace(string(m))); err != nil {
					return nil, fmt.Errorf("%s: %w", sidecar, err)
				}
			}
			out = append(out, fx)
		}
	}
	return out, nil
}

func setupDemo(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	fixtures := flags.String("fixtures", "", "fixtures directory, one subdirectory per format (default the fixtures built into scv)")
	flags.StringVar(&e.asOfText, "as-of", "", "compute stages as of the end of this day, YYYY-MM-DD (default now)")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("demo", args, 0, "no arguments"); err != nil {
			return err
		}
		tmp, err := os.MkdirTemp("", "scv-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir := *fixtures
		if dir == "" {
			// The fixtures embedded in the module, so that the demo runs
			// from any directory.
			dir = filepath.Join(tmp, "fixtures")
			if err := os.CopyFS(dir, scv.Fixtures()); err != nil {
				return err
			}
		}
		files, err := fixtureFiles(dir)
		if err != nil || len(files) == 0 {
			return usageError("demo: no fixtures in %s: pass --fixtures DIR, or leave it out for the built-in ones", *fixtures)
		}
		keyFile := filepath.Join(tmp, "demo.key")
		if err := writeNewFile(keyFile, scv.GenerateKey()); err != nil {
			return err
		}
		// The demo's own key and database; nothing from the environment,
		// so it never touches a real database or erasure journal.
		de := *e
		de.getenv = func(string) string { return "" }
		de.keyFile, de.db, de.journal, de.region, de.noAtRest = keyFile, filepath.Join(tmp, "db"), "", "", false
		db, err := de.open(openOptions{create: true, noSync: true})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		return demo(ctx, &de, db, files)
	}
}

// demo imports the fixtures and prints what scv makes of them.
func demo(ctx context.Context, e *env, db *scv.DB, files []fixture) error {
	w := e.stdout
	fmt.Fprintf(w, "scv demo: a new key and an empty database in a temporary directory (removed at the end); stages as of %s\n\n", day(e.asOf))
	fmt.Fprintf(w, "%-26s %6s %9s %12s\n", "imported", "read", "accepted", "quarantined")
	total := newSummary()
	prog := newProgress(e.stderr, e.now)
	for i, fx := range files {
		sum, err := importFile(ctx, db, fx.path, fx.format, fx.opts, nil, prog, i+1, len(files))
		if err != nil {
			return fmt.Errorf("%s: %w", fx.name, err)
		}
		total.Add(sum)
		fmt.Fprintf(w, "%-26s %6d %9d %12d\n", fx.name, sum.Read, sum.Accepted, sum.Read-sum.Accepted)
	}
	fmt.Fprintf(w, "%-26s %6d %9d %12d\n", "total", total.Read, total.Accepted, total.Read-total.Accepted)
	fmt.Fprintf(w, "profiles created %d, merged %d\n\n", total.ProfilesCreated, total.ProfilesMerged)

	if _, err := db.Refresh(ctx, e.asOf); err != nil {
		return err
	}
	st, err := db.Stats(ctx)
	if err != nil {
		return err
	}
	writeStats(w, completeStats(st), e.asOf)
	fmt.Fprintln(w)
	writeCounts(w, "quarantined by reason (nothing is dropped: read = accepted + quarantined)", total.Quarantined)
	writeCounts(w, "warnings by reason (a bad optional field dropped, the record kept)", total.Warnings)
	fmt.Fprintln(w)

	best, err := loyalCustomer(ctx, db)
	if err != nil || best == nil {
		return err
	}
	ex, err := db.Explain(ctx, best.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "the loyal customer, one profile from many records:")
	fmt.Fprintln(w)
	var b strings.Builder
	writeProfile(&b, ex.Profile)
	b.WriteString("\n")
	writeExplanation(&b, ex)
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if strings.TrimSpace(line) != "" {
			line = "  " + line
		}
		io.WriteString(w, line)
	}
	return nil
}

// loyalCustomer returns the loyal profile with the most source records,
// or without a loyal one the profile with the most records.
func loyalCustomer(ctx context.Context, db *scv.DB) (*scv.Profile, error) {
	var best *scv.Profile
	rank := func(p *scv.Profile) []int {
		loyal := 0
		if p.Stage == scv.StageLoyal {
			loyal = 1
		}
		return []int{loyal, len(p.Sources)}
	}
	for p, err := range db.All(ctx, scv.Filter{}) {
		if err != nil {
			return nil, err
		}
		if best == nil || slices.Compare(rank(p), rank(best)) > 0 {
			best = p
		}
	}
	return best, nil
}
