package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/nyaruka/phonenumbers"

	"github.com/scv-go/scv/store"
)

// badgerOptions are the settings store.OpenBadger uses with mem (the
// defaults when mem is zero) and encryption at rest with key, with Badger's
// messages passed to logw.
func badgerOptions(dir string, key []byte, mem store.BadgerOptions, logw io.Writer) badger.Options {
	mem.Dir, mem.EncryptionKey = dir, key
	return mem.Options().WithLogger(quietLogger{logw})
}

// quietLogger passes Badger's warnings and errors on and drops the rest.
type quietLogger struct{ w io.Writer }

func (l quietLogger) Errorf(f string, a ...any) {
	fmt.Fprintln(l.w, "badger:", strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (l quietLogger) Warningf(f string, a ...any) {
	fmt.Fprintln(l.w, "badger:", strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

// stored is what the store left in Badger.
type stored struct {
	keys       int
	keyBytes   int64
	valueBytes int64
	perRecord  float64 // (keyBytes + valueBytes) / N
	disk       int64   // bytes of the files in the directory, after close
}

// scanStored opens the closed database's Badger directory (with the at-rest
// key derived from the run's root key, when atRest) and adds up its live
// keys and values.
func scanStored(dir, keyFile string, atRest bool, mem store.BadgerOptions, logw io.Writer) (stored, error) {
	var s stored
	root, err := rootKey(keyFile)
	if err != nil {
		return s, err
	}
	var key []byte
	if atRest {
		key = root.AtRestKey()
	}
	db, err := badger.Open(badgerOptions(dir, key, mem, logw))
	if err != nil {
		return s, fmt.Errorf("open the database's Badger directory: %w", err)
	}
	defer db.Close()
	err = db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			s.keys++
			s.keyBytes += int64(len(item.Key()))
			s.valueBytes += item.ValueSize() // exact for values kept in the LSM tree, as the store's are
		}
		return nil
	})
	return s, err
}

// badgerRun is the raw WriteBatch run.
type badgerRun struct {
	n         int
	keySize   int
	valueSize int
	took      time.Duration
	cpu       time.Duration
	opts      badger.Options // as the run opened Badger
	live      float64        // MiB: live Go heap after the run, Badger still open
	peak      float64        // MiB: the child process's peak resident set (VmHWM)
	anon      float64        // MiB: the child process's peak RssAnon
}

func (r badgerRun) rps() float64 { return float64(r.n) / r.took.Seconds() }

// rawKeySize is the size of the raw run's keys: a namespace byte and 16
// random bytes, like the store's profile ids and blind indexes.
const rawKeySize = 17

// rawBadger writes n random values through one WriteBatch into a fresh
// Badger directory with the store's settings and a random 32-byte at-rest
// key, so that key and value add up to perRecord bytes on average, and times
// it from the first Set to the end of Flush. It measures the live Go heap
// after the run, Badger still open.
func rawBadger(ctx context.Context, dir string, n int, perRecord float64, seed uint64, atRest bool, mem store.BadgerOptions, logw io.Writer) (badgerRun, error) {
	run := badgerRun{n: n, keySize: rawKeySize, valueSize: max(1, int(math.Round(perRecord))-rawKeySize)}
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'b', 'a', 'd', 'g', 'e', 'r'})
	var key []byte
	if atRest {
		key = make([]byte, 32)
		rng.Read(key)
	}
	run.opts = badgerOptions(dir, key, mem, logw)
	db, err := badger.Open(run.opts)
	if err != nil {
		return run, err
	}
	defer db.Close() // Close is idempotent: the first call wins
	keys := make([]byte, n*rawKeySize)
	rng.Read(keys)
	pool := make([]byte, 16<<20+run.valueSize) // values are windows of a random pool
	rng.Read(pool)
	start, cpu0 := time.Now(), cpuTime()
	wb := db.NewWriteBatch()
	for i := range n {
		if i%65536 == 0 && ctx.Err() != nil {
			wb.Cancel()
			return run, ctx.Err()
		}
		off := (i * 4099) % (len(pool) - run.valueSize)
		if err := wb.Set(keys[i*rawKeySize:(i+1)*rawKeySize], pool[off:off+run.valueSize]); err != nil {
			wb.Cancel()
			return run, err
		}
	}
	if err := wb.Flush(); err != nil {
		return run, err
	}
	run.took, run.cpu = time.Since(start), cpuTime()-cpu0
	keys, pool = nil, nil
	run.live = liveHeapMiB()
	return run, db.Close()
}

// childEnv, when set, makes the process the raw run's child: the value is
// a JSON childJob, the answer a JSON childResult on stdout.
const childEnv = "SCVBENCH_RAW_BADGER"

// childJob is the raw run a child process does.
type childJob struct {
	Dir       string
	N         int
	PerRecord float64
	Seed      uint64
	AtRest    bool
	// The memory settings of store.BadgerOptions (its Logger does not
	// cross a process boundary).
	MemTableSize, BlockCacheSize, IndexCacheSize, ValueThreshold, ValueLogFileSize int64
	NumMemtables                                                                   int
}

// childResult is what the child measured.
type childResult struct {
	N, KeySize, ValueSize   int
	Took, CPU               time.Duration
	Live, PeakRSS, PeakAnon float64 // MiB
	// Badger's settings as the child opened it.
	MemTableSize, BlockCacheSize, IndexCacheSize, ValueThreshold int64
	NumMemtables                                                 int
}

// rawBadgerApart runs rawBadger in a child process (this executable again),
// so that the peak memory of Badger alone writing the same bytes is
// measured apart from the store's: VmHWM is a high-water mark of the whole
// process and cannot be split afterwards.
func rawBadgerApart(ctx context.Context, job childJob, logw io.Writer) (badgerRun, error) {
	exe, err := os.Executable()
	if err != nil {
		return badgerRun{}, err
	}
	b, err := json.Marshal(job)
	if err != nil {
		return badgerRun{}, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	cmd.Stderr = logw
	out, err := cmd.Output()
	if err != nil {
		return badgerRun{}, fmt.Errorf("raw Badger run in a child process: %w", err)
	}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		return badgerRun{}, fmt.Errorf("raw Badger run in a child process: its answer: %w", err)
	}
	run := badgerRun{n: res.N, keySize: res.KeySize, valueSize: res.ValueSize, took: res.Took, cpu: res.CPU,
		live: res.Live, peak: res.PeakRSS, anon: res.PeakAnon}
	run.opts.MemTableSize, run.opts.NumMemtables, run.opts.ValueThreshold = res.MemTableSize, res.NumMemtables, res.ValueThreshold
	run.opts.BlockCacheSize, run.opts.IndexCacheSize = res.BlockCacheSize, res.IndexCacheSize
	return run, nil
}

// childMain does the raw run when the process is a child (childEnv set)
// and reports whether it was one.
func childMain(ctx context.Context, stdout, stderr io.Writer) (bool, error) {
	v, ok := os.LookupEnv(childEnv)
	if !ok {
		return false, nil
	}
	var job childJob
	if err := json.Unmarshal([]byte(v), &job); err != nil {
		return true, fmt.Errorf("%s: %w", childEnv, err)
	}
	mem := store.BadgerOptions{MemTableSize: job.MemTableSize, NumMemtables: job.NumMemtables, BlockCacheSize: job.BlockCacheSize,
		IndexCacheSize: job.IndexCacheSize, ValueThreshold: job.ValueThreshold, ValueLogFileSize: job.ValueLogFileSize}
	anon := sampleAnon(100 * time.Millisecond)
	defer anon.stop()
	run, err := rawBadger(ctx, job.Dir, job.N, job.PerRecord, job.Seed, job.AtRest, mem, stderr)
	if err != nil {
		return true, err
	}
	o := run.opts
	return true, json.NewEncoder(stdout).Encode(childResult{N: run.n, KeySize: run.keySize, ValueSize: run.valueSize,
		Took: run.took, CPU: run.cpu, Live: run.live, PeakRSS: procMiB("VmHWM"), PeakAnon: anon.peak(),
		MemTableSize: o.MemTableSize, NumMemtables: o.NumMemtables, ValueThreshold: o.ValueThreshold,
		BlockCacheSize: o.BlockCacheSize, IndexCacheSize: o.IndexCacheSize})
}

// referenceParse is the reference for ParsePhone: phonenumbers.Parse and
// Format in E.164.
func referenceParse(s string) (string, error) {
	num, err := phonenumbers.Parse(s, "CN")
	if err != nil {
		return "", err
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}
