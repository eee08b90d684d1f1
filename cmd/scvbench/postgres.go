package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
	"github.com/scv-go/scv/store"
	"github.com/scv-go/scv/store/engine/postgres"
)

// With -engine postgres, scvbench measures the same ingest, lookups and
// stage scan on PostgreSQL (the -pg URL, else $SCV_TEST_POSTGRES) beside
// Badger's, in the same run and on the same N-record workload, each in a
// table of its own (dropped at the end); then it ingests the workload
// into one database from 1, 2 and 4 processes at once (this executable
// again), each taking every P-th record, and reports the records per
// second of all of them together and the share of transactions that
// conflicted (each retried).

// pgChildEnv carries a pgJob to a child ingest process.
const pgChildEnv = "SCVBENCH_PG_CHILD"

// pgJob is one child's share of a many-process ingest.
type pgJob struct {
	URL, Key, Dir string
	Procs, Index  int
	Batch         int
}

// pgChildResult is what a child reports.
type pgChildResult struct {
	Read      int
	Took      time.Duration
	Updates   int64
	Conflicts int64
}

// pgRun is the PostgreSQL side of the run.
type pgRun struct {
	ingest  ingestRun
	lookups lookupRun
	stages  stageRun
	procs   []procsRun
}

// procsRun is one many-process ingest.
type procsRun struct {
	procs             int
	read              int
	took              time.Duration // until the last process finished
	updates, conflict int64
}

func (r procsRun) rps() float64 { return float64(r.read) / r.took.Seconds() }

// countingKV counts transactions and conflicts.
type countingKV struct {
	store.KV
	updates, conflicts atomic.Int64
}

func (c *countingKV) Update(ctx context.Context, fn func(store.Txn) error) error {
	c.updates.Add(1)
	err := c.KV.Update(ctx, fn)
	if errors.Is(err, store.ErrConflict) {
		c.conflicts.Add(1)
	}
	return err
}

// pgTable returns url naming a table of this run's own, and its name.
func pgTable(url, suffix string) (string, string) {
	name := fmt.Sprintf("scvbench_%d_%s", os.Getpid(), suffix)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "scv_table=" + name, name
}

// dropTable drops a table of the run; errors are ignored.
func dropTable(ctx context.Context, url, name string) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize())
}

// benchPostgres runs the PostgreSQL phases over the prepared workload.
func benchPostgres(ctx context.Context, c config, p *prepared, keyFile string, known []string, progress func(string, ...any)) (*pgRun, error) {
	r := &pgRun{}
	u, name := pgTable(c.pg, "main")
	defer dropTable(context.WithoutCancel(ctx), c.pg, name)
	db, err := scv.Open(u, scv.Options{KeyFile: keyFile})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	progress("PostgreSQL: ingesting %d records", p.g.NumRecords())
	if r.ingest, err = ingest(ctx, c, db, p, progress); err != nil {
		return nil, err
	}
	progress("PostgreSQL: %d ByPhone lookups", c.lookups)
	if r.lookups, err = lookups(ctx, db, known, c.lookups, c.seed); err != nil {
		return nil, err
	}
	progress("PostgreSQL: streaming every stage")
	if r.stages, err = streamStages(ctx, db); err != nil {
		return nil, err
	}
	for _, n := range []int{1, 2, 4} {
		progress("PostgreSQL: ingesting %d records from %d processes at once", p.g.NumRecords(), n)
		run, err := ingestProcs(ctx, c, p, keyFile, n)
		if err != nil {
			return nil, err
		}
		r.procs = append(r.procs, run)
	}
	return r, nil
}

// ingestProcs ingests the workload into a new table from n child
// processes at once, each taking every n-th record.
func ingestProcs(ctx context.Context, c config, p *prepared, keyFile string, n int) (procsRun, error) {
	u, name := pgTable(c.pg, fmt.Sprintf("p%d", n))
	defer dropTable(context.WithoutCancel(ctx), c.pg, name)
	// Made before the children start, so that they find it made.
	db, err := scv.Open(u, scv.Options{KeyFile: keyFile})
	if err != nil {
		return procsRun{}, err
	}
	if err := db.Close(); err != nil {
		return procsRun{}, err
	}
	run := procsRun{procs: n}
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	start := time.Now()
	for i := range n {
		job, _ := json.Marshal(pgJob{URL: u, Key: keyFile, Dir: p.dir, Procs: n, Index: i, Batch: c.batch})
		cmd := exec.CommandContext(ctx, os.Args[0])
		cmd.Env = append(os.Environ(), pgChildEnv+"="+string(job))
		outs[i] = &bytes.Buffer{}
		cmd.Stdout = outs[i]
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return run, err
		}
		cmds[i] = cmd
	}
	var errs []error
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("ingest process %d of %d: %w", i+1, n, err))
			continue
		}
		var res pgChildResult
		if err := json.Unmarshal(outs[i].Bytes(), &res); err != nil {
			errs = append(errs, fmt.Errorf("ingest process %d of %d: %w", i+1, n, err))
			continue
		}
		run.read += res.Read
		run.updates += res.Updates
		run.conflict += res.Conflicts
	}
	run.took = time.Since(start)
	if run.read != p.g.NumRecords() && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%d processes read %d records of %d", n, run.read, p.g.NumRecords()))
	}
	return run, errors.Join(errs...)
}

// pgChildMain is a child of ingestProcs, when its variable is set.
func pgChildMain(ctx context.Context, stdout io.Writer) (bool, error) {
	v, ok := os.LookupEnv(pgChildEnv)
	if !ok {
		return false, nil
	}
	var job pgJob
	if err := json.Unmarshal([]byte(v), &job); err != nil {
		return true, fmt.Errorf("%s: %w", pgChildEnv, err)
	}
	root, err := rootKey(job.Key)
	if err != nil {
		return true, err
	}
	pdb, err := postgres.Open(ctx, job.URL)
	if err != nil {
		return true, err
	}
	kv := &countingKV{KV: pdb}
	s, err := store.OpenKV(ctx, kv, root, store.Options{})
	if err != nil {
		pdb.Close()
		return true, err
	}
	defer s.Close()
	start := time.Now()
	sum, err := s.IngestAll(ctx, share(workload.ReadDir(job.Dir), job.Procs, job.Index), store.IngestOptions{BatchSize: job.Batch})
	if err != nil {
		return true, err
	}
	return true, json.NewEncoder(stdout).Encode(pgChildResult{Read: sum.Read, Took: time.Since(start),
		Updates: kv.updates.Load(), Conflicts: kv.conflicts.Load()})
}

// share yields every n-th record of seq, from the i-th.
func share(seq iter.Seq2[identity.Record, error], n, i int) iter.Seq2[identity.Record, error] {
	return func(yield func(identity.Record, error) bool) {
		k := 0
		for rec, err := range seq {
			if k%n != i {
				k++
				continue
			}
			k++
			if !yield(rec, err) {
				return
			}
		}
	}
}
