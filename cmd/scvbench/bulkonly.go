package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/scv-go/scv"
)

// The bulk-only mode (-only bulk), for the hand-run figures at N =
// 10,000,000 where the incremental runs would take hours: generate the N
// records, bulk-load them in a child process as the bulk phase does, and
// on the bulk-loaded database time ByPhone and ByStage as the main run
// does on the incrementally ingested one.

// bulkOnlyRun is what the bulk-only mode measured.
type bulkOnlyRun struct {
	machine  machine
	workload prepared
	truth    truth
	bulk     bulkRun
	lookups  lookupRun
	stages   stageRun
}

// bulkHeadline is the last line of -only bulk -json.
type bulkHeadline struct {
	N              int     `json:"n"`
	BulkSeconds    float64 `json:"bulk_s"`
	BulkRPS        float64 `json:"bulk_rps"`
	BulkOwnRSSMiB  float64 `json:"bulk_own_rss_mib"`
	BulkPeakRSSMiB float64 `json:"bulk_peak_rss_mib"`
	DiskMiB        float64 `json:"disk_mib"`
	ByPhoneP50     float64 `json:"byphone_p50_us"`
	ByPhoneP99     float64 `json:"byphone_p99_us"`
	ByStagePPS     float64 `json:"bystage_pps"`
}

// benchBulkOnly runs the bulk-only mode in a fresh work directory under
// c.dir, removed at the end unless c.keep.
func benchBulkOnly(ctx context.Context, c config, logw io.Writer) (r *bulkOnlyRun, err error) {
	r = &bulkOnlyRun{machine: describeMachine()}
	work, keyFile, done, err := workDir(c, logw)
	if err != nil {
		return nil, err
	}
	defer done(&err)
	progress := func(format string, a ...any) {
		fmt.Fprintf(logw, "scvbench: "+format+" (RSS %.0f MiB)\n", append(a, procMiB("VmRSS"))...)
	}
	progress("generating %d records", c.n)
	large, err := prepare(ctx, work, c.n, c.seed)
	if err != nil {
		return nil, err
	}
	r.workload = *large
	r.truth = readTruth(large.g)
	progress("bulk-loading the %d records into a fresh database, in a process of its own", c.n)
	job := bulkJob{Data: large.dir, DB: filepath.Join(work, "db-bulk"), KeyFile: keyFile, NoAtRest: c.noAtRest, Mem: c.mem, MemoryMiB: c.bulkMemMiB, MemProfile: c.memprofile, CPUProfile: c.cpuprofile}
	if r.bulk, err = bulkApart(ctx, job, logw); err != nil {
		return nil, err
	}
	if r.bulk.Read != c.n {
		return nil, fmt.Errorf("bulk load read %d records, want %d", r.bulk.Read, c.n)
	}
	if err := removeUnlessKept(c, large.dir); err != nil {
		return nil, err
	}
	db, err := scv.Open(job.DB, scv.Options{KeyFile: keyFile, Memory: memoryOptions(c.mem), NoAtRestEncryption: c.noAtRest})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	progress("%d ByPhone lookups on the bulk-loaded database", c.lookups)
	if r.lookups, err = lookups(ctx, db, r.truth.knownPhones, c.lookups, c.seed); err != nil {
		return nil, err
	}
	progress("streaming every stage of the bulk-loaded database")
	if r.stages, err = streamStages(ctx, db); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *bulkOnlyRun) headline(n int) bulkHeadline {
	return bulkHeadline{
		N:              n,
		BulkSeconds:    round(r.bulk.Took.Seconds(), 1),
		BulkRPS:        round(r.bulk.rps(), 1),
		BulkOwnRSSMiB:  round(r.bulk.OwnPeak, 1),
		BulkPeakRSSMiB: round(r.bulk.PeakRSS, 1),
		DiskMiB:        round(float64(r.bulk.Disk)/(1<<20), 1),
		ByPhoneP50:     round(float64(r.lookups.p50.Nanoseconds())/1e3, 1),
		ByPhoneP99:     round(float64(r.lookups.p99.Nanoseconds())/1e3, 1),
		ByStagePPS:     round(float64(r.stages.profiles)/r.stages.took.Seconds(), 1),
	}
}

// printBulkOnly writes the bulk-only report and, with -json, its
// headline object as the last line.
func printBulkOnly(w io.Writer, c config, r *bulkOnlyRun) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	m := r.machine
	h := r.headline(c.n)
	p("scvbench   -only bulk, N = %s records, seed %d", count(c.n), c.seed)
	p("machine    %d cores (GOMAXPROCS %d), %s, %s memory, %s %s; load average %s at the start, %s at the end",
		m.cores, m.procs, m.cpu, m.memory, m.goVersion, m.platform, m.load, loadAverage())
	p("workload   %s people in %s records, %.1f MB of native files (not timed)",
		count(r.truth.people), count(r.workload.g.NumRecords()), float64(r.workload.bytes)/1e6)
	mem := "the default"
	if c.bulkMemMiB > 0 {
		mem = fmt.Sprintf("%d MiB", c.bulkMemMiB)
	}
	p("bulk       DB.BulkLoad, one source per file, BulkOptions.MemoryMiB %s, in a process of its own:", mem)
	p("           %s records in %.1f s = %s records/s (process CPU %s); own memory (peak RssAnon) %.0f MiB, VmHWM %.0f MiB",
		count(r.bulk.Read), r.bulk.Took.Seconds(), rate(r.bulk.rps()), cpuShare(r.bulk.CPU, r.bulk.Took, m.procs), r.bulk.OwnPeak, r.bulk.PeakRSS)
	p("disk       %.0f MiB for the database after the load", h.DiskMiB)
	p("ByPhone    %s lookups on the bulk-loaded database: p50 %.1f µs, p99 %.1f µs", count(r.lookups.n), h.ByPhoneP50, h.ByPhoneP99)
	p("ByStage    %s profiles streamed in %.2f s = %s profiles/s", count(r.stages.profiles), r.stages.took.Seconds(), rate(h.ByStagePPS))
	if c.json {
		b, _ := json.Marshal(h)
		p("%s", b)
	}
}
