package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
	"github.com/scv-go/scv/store"
)

// The bulk phase: DB.BulkLoad of the N-record files into a fresh database,
// in a process of its own (this executable again), so that its own memory
// (bulk_own_rss_mib) is the load's alone and not what the incremental
// phases before it left in this process's heap.

// bulkChildEnv, when set, makes the process the bulk phase's child: the
// value is a JSON bulkJob, the answer a JSON bulkResult on stdout.
const bulkChildEnv = "SCVBENCH_BULK"

// bulkJob is the bulk load a child process does.
type bulkJob struct {
	Data, DB, KeyFile string
	NoAtRest          bool
	Mem               store.BadgerOptions
	MemoryMiB         int // BulkOptions.MemoryMiB; 0 is the default
	// MemProfile, if set, is where the child writes a heap profile each
	// time its own memory (RssAnon) passes its peak by 16 MiB: the last
	// one is of the heap near the peak.
	MemProfile string
	// CPUProfile, if set, is where the child writes a CPU profile of
	// the load.
	CPUProfile string
}

// bulkResult is what the child measured.
type bulkResult struct {
	Read, Accepted, Receivers int
	Took, CPU                 time.Duration
	OwnPeak, PeakRSS          float64 // MiB: RssAnon sampled every 50 ms, VmHWM
	Disk                      int64   // bytes of the database directory after the load
}

// bulkRun is the bulk phase's figures.
type bulkRun struct{ bulkResult }

// rps is records read per second of the load.
func (b bulkRun) rps() float64 {
	if b.Took <= 0 {
		return 0
	}
	return float64(b.Read) / b.Took.Seconds()
}

// bulkApart runs the bulk load of job in a child process.
func bulkApart(ctx context.Context, job bulkJob, logw io.Writer) (bulkRun, error) {
	exe, err := os.Executable()
	if err != nil {
		return bulkRun{}, err
	}
	b, err := json.Marshal(job)
	if err != nil {
		return bulkRun{}, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), bulkChildEnv+"="+string(b))
	cmd.Stderr = logw
	out, err := cmd.Output()
	if err != nil {
		return bulkRun{}, fmt.Errorf("bulk load in a child process: %w", err)
	}
	var res bulkResult
	if err := json.Unmarshal(out, &res); err != nil {
		return bulkRun{}, fmt.Errorf("bulk load in a child process: its answer: %w", err)
	}
	return bulkRun{res}, nil
}

// bulkChildMain does the bulk load when the process is a child
// (bulkChildEnv set) and reports whether it was one.
func bulkChildMain(ctx context.Context, stdout io.Writer) (bool, error) {
	v, ok := os.LookupEnv(bulkChildEnv)
	if !ok {
		return false, nil
	}
	var job bulkJob
	if err := json.Unmarshal([]byte(v), &job); err != nil {
		return true, fmt.Errorf("%s: %w", bulkChildEnv, err)
	}
	db, err := scv.Open(job.DB, scv.Options{KeyFile: job.KeyFile, Memory: memoryOptions(job.Mem), NoAtRestEncryption: job.NoAtRest})
	if err != nil {
		return true, err
	}
	var res bulkResult
	if job.MemProfile != "" {
		stop := profileAtPeaks(job.MemProfile)
		defer stop()
	}
	run, err := measure(func(func(int)) error {
		return profiled(job.CPUProfile, func() error { return bulkLoad(ctx, db, job, &res) })
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return true, fmt.Errorf("bulk load: %w", err)
	}
	res.Took, res.CPU, res.OwnPeak, res.PeakRSS = run.took, run.cpu, run.ownPeak, procMiB("VmHWM")
	if res.Disk, err = diskUsage(job.DB); err != nil {
		return true, err
	}
	return true, json.NewEncoder(stdout).Encode(res)
}

// bulkLoad loads the workload of job into db, saying on stderr when
// each phase starts, and counts what it read in res.
func bulkLoad(ctx context.Context, db *scv.DB, job bulkJob, res *bulkResult) error {
	start := time.Now()
	var phase scv.BulkPhase
	// The soft memory limit scv import --bulk sets (GOMEMLIMIT
	// overrides it).
	opts := scv.BulkOptions{MemoryMiB: job.MemoryMiB, GoMemoryLimitMiB: scv.DefaultBulkGoMemoryLimitMiB, Progress: func(p scv.BulkProgress) {
		if p.Phase != phase {
			phase = p.Phase
			fmt.Fprintf(os.Stderr, "scvbench: bulk child: %s at %.1f s (RssAnon %.0f MiB)\n", p.Phase, time.Since(start).Seconds(), procMiB("RssAnon"))
		}
	}}
	sum, err := db.BulkLoad(ctx, opts, bulkSources(job.Data)...)
	res.Read, res.Accepted, res.Receivers = sum.Read, sum.Accepted, sum.Receivers
	return err
}

// bulkSources returns one source per workload file under dir, so that the
// load decodes them in parallel.
func bulkSources(dir string) []scv.BulkSource {
	var out []scv.BulkSource
	for _, f := range workload.Files() {
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		out = append(out, scv.BulkSource{File: filepath.Base(path), Records: decodeFile(path, f)})
	}
	return out
}

// decodeFile streams the records of one workload file.
func decodeFile(path string, f workload.File) iter.Seq2[identity.Record, error] {
	return func(yield func(identity.Record, error) bool) {
		fh, err := os.Open(path)
		if err != nil {
			yield(identity.Record{}, err)
			return
		}
		defer fh.Close()
		for rec, err := range identity.Decode(fh, f.Format, f.Options()) {
			if !yield(rec, err) {
				return
			}
		}
	}
}

// profileAtPeaks writes a heap profile to path each time the process's
// own memory passes its last peak by 16 MiB, sampled every 100 ms, until
// the returned func is called.
func profileAtPeaks(path string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		peak := 0.0
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if anon := procMiB("RssAnon"); anon > peak+16 {
				peak = anon
				if err := writeHeapProfile(path); err != nil {
					fmt.Fprintln(os.Stderr, "scvbench: bulk child: heap profile:", err)
					return
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
