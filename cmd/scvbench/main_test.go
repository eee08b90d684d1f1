package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
)

// TestMain lets the test binary be the raw Badger run's child process, as
// scvbench is its own.
func TestMain(m *testing.M) {
	child, err := childMain(context.Background(), os.Stdout, os.Stderr)
	if !child {
		child, err = bulkChildMain(context.Background(), os.Stdout)
	}
	if child {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRun runs the whole benchmark at a tiny N and checks the last line:
// exactly the keys, and figures that make sense together.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-n", "2000", "-json", "-lookups", "500", "-dir", dir, "-memtable-mib", "16"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]

	var fields map[string]float64
	if err := json.Unmarshal([]byte(last), &fields); err != nil {
		t.Fatalf("last line is not a JSON object of numbers: %v\n%s", err, last)
	}
	checkHeadline(t, fields, "byphone_p50_us", "byphone_p99_us", "bystage_pps", "ingest_ratio", "ingest_rps",
		"badger_rps", "own_rss_mib", "peak_rss_mib", "phone_speedup", "scaling_ratio",
		"ref_sha256_mbps", "ingest_rps_norm", "badger_rps_norm", "bystage_pps_norm",
		"bulk_rps", "bulk_ratio", "bulk_own_rss_mib", "bulk_peak_rss_mib")
	if fields["byphone_p50_us"] > fields["byphone_p99_us"] {
		t.Errorf("p50 %v > p99 %v", fields["byphone_p50_us"], fields["byphone_p99_us"])
	}
	if got, want := fields["ingest_ratio"], fields["ingest_rps"]/fields["badger_rps"]; math.Abs(got-want) > 0.01*want+0.001 {
		t.Errorf("ingest_ratio %v, but ingest_rps / badger_rps = %v", got, want)
	}
	for _, k := range []string{"ingest_rps", "badger_rps", "bystage_pps"} {
		if v := fields[k+"_norm"]; !(v > 0) {
			t.Errorf("%s_norm = %v, want > 0", k, v)
		}
	}
	if got, want := fields["bulk_ratio"], fields["bulk_rps"]/fields["badger_rps"]; math.Abs(got-want) > 0.01*want+0.001 {
		t.Errorf("bulk_ratio %v, but bulk_rps / badger_rps = %v", got, want)
	}
	if fields["bulk_own_rss_mib"] > fields["bulk_peak_rss_mib"] {
		t.Errorf("bulk_own_rss_mib %v > bulk_peak_rss_mib %v", fields["bulk_own_rss_mib"], fields["bulk_peak_rss_mib"])
	}
	// The process's own memory is part of its resident set.
	if fields["own_rss_mib"] > fields["peak_rss_mib"] {
		t.Errorf("own_rss_mib %v > peak_rss_mib %v", fields["own_rss_mib"], fields["peak_rss_mib"])
	}

	// The human report came first, with the targets, the ground-truth
	// check of the stage stream, and the Badger settings the run had.
	report := stdout.String()
	for _, s := range []string{"N = 2,000 records", "ingest_ratio", "bulk_ratio", ">= 0.5", "<= 512", "Verify: consistent",
		"they match the ground truth", "they agree on every value ParsePhone accepts", "ParsePhone refuses ", "masked ", "placeholder ", "service ", "errors: none",
		"its last tenth: ", "the last tenth of each run", "SHA-256 of 16 MiB", "around the ingest ", "own_rss_mib", "<= 1024",
		"3 x 16 MiB memtables, values from 160 bytes in the value log", "raw Badger alone, in a process of its own: peak RSS", "this machine's own spread: p50"} {
		if !strings.Contains(report, s) {
			t.Errorf("the report does not say %q:\n%s", s, report)
		}
	}

	// The work directory is gone.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("left %d entries in -dir, want none without -keep", len(entries))
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"too few records", []string{"-n", "9"}},
		{"no lookups", []string{"-lookups", "0"}},
		{"negative batch", []string{"-batch", "-1"}},
		{"an argument", []string{"extra"}},
		{"an unknown flag", []string{"-fast"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr)
			if !errors.As(err, new(usageError)) {
				t.Errorf("run(%q) = %v, want a usage error", tc.args, err)
			}
			if stdout.Len() != 0 {
				t.Errorf("run(%q) printed a report", tc.args)
			}
		})
	}
}

// TestParseFlagsMemory checks that the Badger memory flags reach the
// options the store and the raw Badger run share, in bytes, and that
// negative sizes are refused.
func TestParseFlagsMemory(t *testing.T) {
	c, err := parseFlags([]string{"-memtable-mib", "32", "-memtables", "2", "-block-cache-mib", "16",
		"-index-cache-mib", "8", "-value-threshold", "1024", "-vlog-file-mib", "128"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := c.mem
	if m.MemTableSize != 32<<20 || m.NumMemtables != 2 || m.BlockCacheSize != 16<<20 ||
		m.IndexCacheSize != 8<<20 || m.ValueThreshold != 1024 || m.ValueLogFileSize != 128<<20 {
		t.Errorf("memory options %+v", m)
	}
	opt := badgerOptions("/nonexistent", nil, m, io.Discard)
	if opt.MemTableSize != 32<<20 || opt.ValueThreshold != 1024 || opt.ValueLogFileSize != 128<<20 {
		t.Errorf("badger options: memtable %d, value threshold %d, value log file %d", opt.MemTableSize, opt.ValueThreshold, opt.ValueLogFileSize)
	}
	if _, err := parseFlags([]string{"-memtable-mib", "-1"}, io.Discard); err == nil {
		t.Error("a negative memtable size was accepted")
	}
}

// TestRunQuality runs the benchmark with -quality at a tiny N and checks
// the quality line and its four JSON fields beside the others.
func TestRunQuality(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-n", "3000", "-json", "-quality", "-lookups", "200", "-verify=false",
		"-dir", t.TempDir(), "-memtable-mib", "16"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var fields map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &fields); err != nil {
		t.Fatalf("last line is not a JSON object of numbers: %v", err)
	}
	for _, k := range []string{"quality_precision", "quality_recall", "quality_f1", "quality_ceiling", "ingest_rps"} {
		if v, ok := fields[k]; !ok || !(v > 0) || strings.HasPrefix(k, "quality") && v > 1 {
			t.Errorf("%s = %v (present %t), want in (0, 1]", k, v, ok)
		}
	}
	p, r := fields["quality_precision"], fields["quality_recall"]
	if got, want := fields["quality_f1"], 2*p*r/(p+r); math.Abs(got-want) > 0.001 {
		t.Errorf("quality_f1 %v, but precision %v and recall %v give %v", got, p, r, want)
	}
	report := stdout.String()
	for _, s := range []string{"quality    China trap workload, 3,000 records", "false/missed pairs by trap: gift ", "quality_precision", ">= 0.995"} {
		if !strings.Contains(report, s) {
			t.Errorf("the report does not say %q:\n%s", s, report)
		}
	}
}

// TestTailRate checks that the rate of a phase's last tenth comes from its
// progress marks: a phase that slows down at the end has a tail rate
// below its average, and one without marks falls back to the average.
func TestTailRate(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name  string
		marks []progressMark
		took  time.Duration
		want  float64
	}{
		// 900 records in 9 s, the last 100 in 10 s.
		{"slowing down", []progressMark{{300, 3 * s}, {600, 6 * s}, {900, 9 * s}, {950, 14 * s}}, 19 * s, 10},
		// Steady: 100 records per second throughout.
		{"steady", []progressMark{{450, 4500 * time.Millisecond}, {900, 9 * s}}, 10 * s, 100},
		// The mark closest before the tail is used, not one inside it.
		{"mark inside the tail", []progressMark{{800, 8 * s}, {910, 9 * s}}, 10 * s, 100},
		{"no marks", nil, 4 * s, 250},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := phaseRun{took: tc.took, marks: tc.marks}
			if got := p.tailRate(1000, 10); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("tailRate = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestScalingRatio checks that scaling_ratio divides the rate of the N
// run's last tenth by the rate of the N/10 run's last tenth (the same
// kinds of records, the workload's files being read in one order), so
// that a late slowdown shows although the N run's average hides it.
func TestScalingRatio(t *testing.T) {
	s := time.Second
	ms := time.Millisecond
	// 90 records in 900 ms, the last 10 in 100 ms: 100/s throughout.
	small := ingestRun{n: 100, sum: scv.Summary{Read: 100}, phase: phaseRun{took: s, marks: []progressMark{{50, 500 * ms}, {90, 900 * ms}}}}
	// 900 records at 100/s, then 100 records at 25/s: average 1000/13 s.
	large := ingestRun{n: 1000, sum: scv.Summary{Read: 1000}, phase: phaseRun{took: 13 * s,
		marks: []progressMark{{500, 5 * s}, {900, 9 * s}, {1000, 13 * s}}}}
	h := headlineOf(&results{small: small, large: large, badger: badgerRun{n: 1, took: s}, phone: phoneRun{calls: 1, fast: 1, ref: 1},
		stages: stageRun{took: s}})
	if h.ScalingRatio != 0.25 {
		t.Errorf("scaling_ratio = %v, want 0.25 (last tenths 25/s over 100/s; the averages would give %.3f)", h.ScalingRatio, large.rps()/small.rps())
	}
}

// TestReference checks the reference's median and spread, and that each
// phase gets the mean of the two samples around it.
func TestReference(t *testing.T) {
	var r reference
	if r.mbps() != 0 || r.of("ingest") != 0 {
		t.Fatal("a reference before any sample")
	}
	r.samples = []float64{300, 100, 200}
	if got := r.mbps(); got != 200 {
		t.Errorf("median of 300, 100, 200 = %v", got)
	}
	if lo, hi := r.spread(); lo != 100 || hi != 300 {
		t.Errorf("spread = %v, %v", lo, hi)
	}
	r = reference{}
	ran := false
	if err := r.around("ingest", func() error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("around: ran %t, err %v", ran, err)
	}
	if len(r.samples) != 2 || !(r.samples[0] > 0) || r.of("ingest") != (r.samples[0]+r.samples[1])/2 {
		t.Errorf("samples %v, ingest's reference %v", r.samples, r.of("ingest"))
	}
}

// TestParseFlagsOnly checks -only and -bulk-memory-mib: what they set,
// and the combinations refused.
func TestParseFlagsOnly(t *testing.T) {
	type got struct {
		Only      string
		MemoryMiB int
		Usage     bool
	}
	for _, tc := range []struct {
		name string
		args []string
		want got
	}{
		{"every phase", nil, got{}},
		{"bulk only", []string{"-only", "bulk", "-n", "10000000"}, got{Only: "bulk"}},
		{"bulk only in 256 MiB", []string{"-only", "bulk", "-bulk-memory-mib", "256"}, got{Only: "bulk", MemoryMiB: 256}},
		{"bulk memory for the whole run", []string{"-bulk-memory-mib", "128"}, got{MemoryMiB: 128}},
		{"another phase", []string{"-only", "ingest"}, got{Only: "ingest", Usage: true}},
		{"bulk only without bulk", []string{"-only", "bulk", "-bulk=false"}, got{Only: "bulk", Usage: true}},
		{"bulk only with quality", []string{"-only", "bulk", "-quality"}, got{Only: "bulk", Usage: true}},
		{"negative bulk memory", []string{"-bulk-memory-mib", "-1"}, got{MemoryMiB: -1, Usage: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args, io.Discard)
			g := got{Only: c.only, MemoryMiB: c.bulkMemMiB, Usage: errors.As(err, new(usageError))}
			if err != nil && !g.Usage {
				t.Fatalf("parseFlags(%q): %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("parseFlags(%q) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// TestRunBulkOnly runs -only bulk at a tiny N and checks the last line:
// exactly its keys, each figure there, N the records loaded.
func TestRunBulkOnly(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-only", "bulk", "-n", "2000", "-json", "-lookups", "200",
		"-dir", t.TempDir(), "-memtable-mib", "16", "-bulk-memory-mib", "64"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "ingest") {
		t.Errorf("-only bulk ran an incremental ingest:\n%s", stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var fields map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &fields); err != nil {
		t.Fatalf("last line is not a JSON object of numbers: %v\n%s", err, stdout.String())
	}
	checkHeadline(t, fields, "bulk_own_rss_mib", "bulk_peak_rss_mib", "bulk_rps", "bulk_s", "bystage_pps",
		"byphone_p50_us", "byphone_p99_us", "disk_mib", "n")
	if fields["n"] != 2000 {
		t.Errorf("n = %v, want 2000", fields["n"])
	}
	if fields["byphone_p50_us"] > fields["byphone_p99_us"] {
		t.Errorf("p50 %v > p99 %v", fields["byphone_p50_us"], fields["byphone_p99_us"])
	}
}

// checkHeadline checks that the last JSON line's fields are exactly want,
// each positive.
func checkHeadline(t *testing.T, fields map[string]float64, want ...string) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(fields))
	want = slices.Sorted(slices.Values(want))
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys of the last line (-want +got):\n%s", diff)
	}
	for _, k := range want {
		if v := fields[k]; !(v > 0) {
			t.Errorf("%s = %v, want > 0", k, v)
		}
	}
}
