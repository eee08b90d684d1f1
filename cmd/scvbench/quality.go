package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

// qualityRun is the resolution quality of the China trap workload.
type qualityRun struct {
	n    int
	sum  scv.Summary
	q    workload.Quality
	took time.Duration
}

// quality ingests the China trap workload of c.n records (internal/workload
// with Config.Traps) into a fresh database under work, file by file through
// identity.Decode as an import does, and evaluates the profiles it made
// against the workload's truth. It is untimed as a rate: the figures are
// pairs, not records per second.
func quality(ctx context.Context, c config, work, keyFile string) (*qualityRun, error) {
	start := time.Now()
	g, err := workload.New(workload.Config{Records: c.n, Seed: c.seed, Traps: true})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "db-quality")
	db, err := scv.Open(dir, scv.Options{KeyFile: keyFile, Memory: memoryOptions(c.mem), NoAtRestEncryption: c.noAtRest, NoSync: true,
		Clock: func() time.Time { return workload.DefaultAsOf }})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	run := &qualityRun{n: c.n}
	for _, f := range workload.Files() {
		sum, err := db.IngestAll(ctx, identity.Decode(g.Open(f), f.Format, f.Options()), scv.IngestOptions{BatchSize: c.batch, File: f.Name})
		if err != nil {
			return nil, fmt.Errorf("quality: ingest of %s: %w", f.Name, err)
		}
		run.sum.Read += sum.Read
		run.sum.Accepted += sum.Accepted
	}
	holder := map[identity.RecordKey]string{}
	for p, err := range db.All(ctx, scv.Filter{}) {
		if err != nil {
			return nil, err
		}
		for _, s := range p.Sources {
			holder[identity.RecordKey{Channel: s.Channel, Source: s.Source, ID: s.RecordID}] = p.ID
		}
	}
	items, err := g.Items(ctx, func(k identity.RecordKey) string { return holder[k] })
	if err != nil {
		return nil, err
	}
	run.q = workload.Evaluate(items)
	if err := db.Close(); err != nil {
		return nil, err
	}
	if err := removeUnlessKept(c, dir); err != nil {
		return nil, err
	}
	run.took = time.Since(start)
	return run, nil
}

// printQuality writes the quality line: the pairwise figures and what each
// trap cost.
func printQuality(p func(string, ...any), r *qualityRun) {
	q := r.q
	p("quality    China trap workload, %s records (%s accepted) of %s people into %s profiles (%.1f s, untimed): precision %.4f, recall %.4f, F1 %.4f;",
		count(r.sum.Read), count(r.sum.Accepted), count(q.People), count(q.Clusters), r.took.Seconds(), q.Precision, q.Recall, q.F1)
	p("           ceiling %.4f (true pairs that identifiers of one person link), recall %.4f of it; oracle %.4f (shared identifiers split by person); pairs: true %s, predicted %s, correct %s",
		q.Ceiling, q.RecallOfCeiling, q.Oracle, count(q.TruePairs), count(q.PredictedPairs), count(q.CorrectPairs))
	var parts []string
	for _, t := range workload.AllTraps {
		c := q.ByTrap[t]
		parts = append(parts, fmt.Sprintf("%s %s/%s", t, count(c.FalsePairs), count(c.MissedPairs)))
	}
	p("           false/missed pairs by trap: %s", strings.Join(parts, ", "))
}
