// Command scvbench measures scv under load, from one run on one machine:
// how fast the library ingests against the limit of the Badger engine under
// it, how fast it parses phones, answers lookups and streams lifecycle
// stages, how much memory it takes, and how its ingest rate holds as the
// database grows.
//
// Usage:
//
//	go run ./cmd/scvbench -n N [-json] [-seed S] [-dir DIR] [-keep] [-cpuprofile F]
//	                      [-memprofile F] [-lookups L] [-batch B] [-stream] [-verify=false] [-quality]
//	                      [-engine postgres -pg postgres://...] [-only bulk] [-bulk-memory-mib M]
//
// # What it does
//
// It generates a workload of N records with internal/workload (native
// WeChat, Weibo, Taobao, JD, POS and CSV files for about N/2.5 people),
// writes it to disk untimed, and then, in a fresh temporary directory under
// DIR (deleted at the end unless -keep):
//
//   - ingests a workload of N/10 records into a fresh database, then one of
//     N records into another, each with scv.Open's default Options (a
//     generated key file, Badger's encryption at rest under the store's own
//     sealing, blind indexes, synced commits) through DB.IngestAll fed by
//     identity.Decode reading the files: ingest_rps is records read per
//     second of that, decoding included, generation excluded (-stream feeds
//     the generator's record stream instead, generation included);
//   - writes N values, of the mean size the store wrote per record (key and
//     value bytes of the database's live entries, from a scan, divided by
//     N), through a Badger WriteBatch into a fresh Badger directory with the
//     store's settings, in a process of its own (this executable again), so
//     that its peak memory is measured apart and reported beside the
//     store's: badger_rps, the limit, and ingest_ratio =
//     ingest_rps / badger_rps;
//   - times identity.ParsePhone against phonenumbers.Parse and Format on the
//     same phone values, the workload's mix of what phone columns hold
//     (workload.PhoneMix: its mobiles in their spellings, 70%, and numbers
//     masked by platforms, cashiers' typos and placeholders, landlines
//     with and without 转 extensions, foreign mobiles, service numbers and
//     junk), after checking that phonenumbers gives the same number for
//     every value ParsePhone accepts: phone_speedup;
//   - looks up L (default 100,000) random phones known to be in the
//     database with DB.ByPhone, once to warm up and once timed per call:
//     byphone_p50_us and byphone_p99_us; then times L runs of identical
//     work (SHA-256 of 32 KiB) the same way, for the machine's own spread
//     of latencies;
//   - streams every stage with DB.ByStage: bystage_pps, decrypted profiles
//     per second;
//   - samples the process's own memory (RssAnon: heap and stacks, not the
//     pages of the files Badger maps) every 50 ms through every phase, and
//     reports its peak over the run as own_rss_mib, the memory figure with
//     a target, and each phase's peak on the memory line; the peak
//     resident set size (VmHWM), which counts mapped file pages too, is
//     peak_rss_mib;
//   - keeps the time of every batch each ingest commits, and divides the
//     rate of the N run's last tenth of records (from the last batch at
//     or before N - N/10 to the end) by the rate of the N/10 run's last
//     tenth: scaling_ratio, which an ingest that slows down as the
//     database grows cannot hide behind its average. The two tenths hold
//     the same kinds of records (the files are read in one order, each
//     the same share of either workload: the end of the POS rows, the
//     CRM and survey CSV), so neither rate is of cheaper records;
//   - times fixed work that no code of scv runs (SHA-256 of 16 MiB on every
//     core at once) right before and right after the N ingest, the stage
//     scan and the raw Badger run: ref_sha256_mbps is the median of the
//     six, and ingest_rps_norm, badger_rps_norm and bystage_pps_norm are
//     each rate divided by the mean of the two samples around its phase,
//     so that runs on a busy and a quiet day compare better (the ratios
//     against raw Badger are normalised already).
//
// A phase is measured by measure (phase.go): wall and CPU time, progress
// marks, own memory.
//
// With -only bulk it runs the bulk phase alone, for the hand-run figures
// at N = 10,000,000: it generates the N records, bulk-loads them in a
// process of its own, and times ByPhone and ByStage on the bulk-loaded
// database; the report gives the load's time, records/s, own memory
// (peak RssAnon) and VmHWM, the database's disk size, ByPhone p50 and
// p99 and ByStage's rate, and with -json the last line is one object with
// exactly the keys n, bulk_s, bulk_rps, bulk_own_rss_mib,
// bulk_peak_rss_mib, disk_mib, byphone_p50_us, byphone_p99_us and
// bystage_pps. -bulk-memory-mib sets BulkOptions.MemoryMiB.
//
// Unless -bulk=false it also bulk-loads the same N-record files
// (DB.BulkLoad, one source per file) into a fresh database, in a process
// of its own (this executable again) after the stage scan, so that the
// load's own memory is not what the incremental phases left in this
// process: bulk_rps (records read per second), bulk_ratio = bulk_rps /
// badger_rps (issue 18's target, >= 0.5, is this one; ingest_ratio is
// reported as it is), bulk_own_rss_mib (the child's peak RssAnon, target
// <= 512) and bulk_peak_rss_mib (its VmHWM).
//
// With -engine postgres it measures the same ingest, lookups and stage
// scan on the PostgreSQL server of -pg beside Badger's, and ingests the
// workload from 1, 2 and 4 processes at once into one database (see
// postgres.go); the JSON object then also has pg_ingest_rps,
// pg_ingest_ratio (PostgreSQL over Badger, same workload, one process),
// pg_byphone_p50_us, pg_byphone_p99_us, pg_bystage_pps, pg_procs_rps (by
// process count) and pg_conflict_rate.
//
// With -quality it also measures resolution quality, after everything
// else (so that neither the timings nor the peak RSS above carry it): the
// China trap workload of N records (internal/workload with Config.Traps:
// gift orders, recycled numbers, cashiers' typos and placeholders, masked
// receivers, name spellings, lead forms without timestamps, families,
// records without an identifier) is ingested file by file into a database
// of its own, and its profiles are compared with the workload's truth:
// pairwise precision, recall and F1, the ceiling that identifiers of one
// person allow, and each trap's false and missed pairs.
//
// It prints a table with the targets (set for N = 1,000,000 on
// two cores) and whether each is met; with -json the last line is one JSON
// object with exactly the keys ingest_rps, badger_rps, ingest_ratio,
// phone_speedup, byphone_p50_us, byphone_p99_us, bystage_pps, own_rss_mib,
// peak_rss_mib, scaling_ratio, ref_sha256_mbps, ingest_rps_norm,
// badger_rps_norm, bystage_pps_norm, bulk_rps, bulk_ratio,
// bulk_own_rss_mib and bulk_peak_rss_mib (these four are 0 with
// -bulk=false), and with -quality also quality_precision,
// quality_recall, quality_f1 and quality_ceiling. -cpuprofile F writes a CPU profile of the N-record
// ingest to F, and of the lookups and the stage scan beside it (F
// cpu.prof gives cpu-byphone.prof and cpu-bystage.prof); -memprofile a heap profile taken right after it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/scv-go/scv/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	child, err := childMain(ctx, os.Stdout, os.Stderr)
	if !child {
		child, err = pgChildMain(ctx, os.Stdout)
	}
	if !child {
		child, err = bulkChildMain(ctx, os.Stdout)
	}
	if !child {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "scvbench:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "scvbench:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	n          int
	seed       uint64
	json       bool
	dir        string
	keep       bool
	cpuprofile string
	memprofile string
	lookups    int
	batch      int
	stream     bool
	verify     bool
	quality    bool                // also measure resolution quality on the China trap workload
	bulk       bool                // also bulk-load the N records (DB.BulkLoad) in a child process
	only       string              // "" for every phase, "bulk" for the bulk load and lookups on its database alone
	bulkMemMiB int                 // BulkOptions.MemoryMiB of the bulk load; 0 is the default
	noAtRest   bool                // Badger's encryption at rest off, for the store and raw Badger alike
	engine     string              // "badger", or "postgres" for the PostgreSQL phases beside Badger's
	pg         string              // the PostgreSQL server's URL, with -engine postgres
	mem        store.BadgerOptions // memtables and caches, for the store and raw Badger alike
}

// usageError is a bad command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("scvbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.n, "n", 100_000, "records to generate and ingest (at least 10)")
	fs.Uint64Var(&c.seed, "seed", 1, "workload seed")
	fs.BoolVar(&c.json, "json", false, "end with one JSON object of the headline figures")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "directory to make the temporary work directory in")
	fs.BoolVar(&c.keep, "keep", false, "keep the work directory (workload, databases, key)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the N-record ingest to this file, and of the lookups and the stage scan beside it")
	fs.StringVar(&c.memprofile, "memprofile", "", "write a heap profile taken right after the N-record ingest to this file; with -only bulk, of the bulk load's child near its peak own memory (each profile forces a GC, which lowers that peak: measure without it)")
	fs.IntVar(&c.lookups, "lookups", 100_000, "ByPhone lookups to time")
	fs.IntVar(&c.batch, "batch", 0, "IngestOptions.BatchSize; 0 is the store's default")
	fs.BoolVar(&c.stream, "stream", false, "feed IngestAll the generator's record stream (generation timed too) instead of the files")
	fs.BoolVar(&c.verify, "verify", true, "run DB.Verify after the N-record ingest (untimed)")
	fs.BoolVar(&c.bulk, "bulk", true, "also bulk-load the N records (DB.BulkLoad) into a fresh database in a process of its own: bulk_rps, bulk_ratio, bulk_own_rss_mib")
	fs.StringVar(&c.only, "only", "", `"bulk": generate N records, bulk-load them in a process of its own and time ByPhone and ByStage on that database, skipping the incremental and raw Badger runs (for N = 10,000,000 by hand)`)
	fs.IntVar(&c.bulkMemMiB, "bulk-memory-mib", 0, "BulkOptions.MemoryMiB of the bulk load; 0 is the default")
	fs.BoolVar(&c.quality, "quality", false, "also measure resolution quality (precision, recall, F1, ceiling) on the China trap workload of N records")
	fs.StringVar(&c.engine, "engine", "badger", "badger, or postgres: also measure the ingest, lookups and stage scan on PostgreSQL beside Badger's, and ingest from 1, 2 and 4 processes")
	fs.StringVar(&c.pg, "pg", os.Getenv("SCV_TEST_POSTGRES"), "with -engine postgres, the server's postgres:// URL (default $SCV_TEST_POSTGRES)")
	var memtable, blockCache, indexCache, vlogFile int64
	fs.Int64Var(&vlogFile, "vlog-file-mib", 0, "Badger value log file size in MiB; 0 is the store's default")
	fs.BoolVar(&c.noAtRest, "no-at-rest", false, "turn Badger's encryption at rest off, for the store and raw Badger alike (scv still seals every value)")
	fs.Int64Var(&c.mem.ValueThreshold, "value-threshold", 0, "Badger value threshold in bytes; 0 is the store's default")
	fs.Int64Var(&memtable, "memtable-mib", 0, "Badger memtable size in MiB, for the store and raw Badger alike; 0 is the store's default")
	fs.IntVar(&c.mem.NumMemtables, "memtables", 0, "Badger memtables kept in memory; 0 is the store's default")
	fs.Int64Var(&blockCache, "block-cache-mib", 0, "Badger block cache in MiB; 0 is the store's default")
	fs.Int64Var(&indexCache, "index-cache-mib", 0, "Badger index cache in MiB; 0 is the store's default")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err.Error()}
	}
	c.mem.MemTableSize, c.mem.BlockCacheSize, c.mem.IndexCacheSize, c.mem.ValueLogFileSize = memtable<<20, blockCache<<20, indexCache<<20, vlogFile<<20
	switch {
	case fs.NArg() > 0:
		return c, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case c.n < 10:
		return c, usageError{"-n must be at least 10 (the scaling run ingests N/10)"}
	case c.lookups < 1:
		return c, usageError{"-lookups must be at least 1"}
	case memtable < 0 || vlogFile < 0 || c.mem.ValueThreshold < 0 || c.mem.NumMemtables < 0 || blockCache < 0 || indexCache < 0:
		return c, usageError{"memory sizes must not be negative"}
	case c.only != "" && c.only != "bulk":
		return c, usageError{"-only must be bulk (or not given)"}
	case c.only == "bulk" && (!c.bulk || c.quality || c.engine != "badger" || c.stream):
		return c, usageError{"-only bulk measures the bulk load alone: not with -bulk=false, -quality, -stream or -engine postgres"}
	case c.bulkMemMiB < 0:
		return c, usageError{"-bulk-memory-mib must not be negative"}
	case c.batch < 0:
		return c, usageError{"-batch must not be negative"}
	case c.engine != "badger" && c.engine != "postgres":
		return c, usageError{"-engine must be badger or postgres"}
	case c.engine == "postgres" && !store.IsURL(c.pg):
		return c, usageError{"-engine postgres needs -pg postgres://... (or SCV_TEST_POSTGRES)"}
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.only == "bulk" {
		r, err := benchBulkOnly(ctx, c, stderr)
		if r != nil && err == nil {
			printBulkOnly(stdout, c, r)
		}
		return err
	}
	r, err := bench(ctx, c, stderr)
	if r != nil {
		printReport(stdout, c, r)
	}
	return err
}
