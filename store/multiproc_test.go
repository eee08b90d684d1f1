package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/pgtest"
	"github.com/scv-go/scv/merge"
	"github.com/scv-go/scv/store/engine/postgres"
)

// The many-processes test: several OS processes (this test binary, run
// again) ingest the same overlapping workload into one PostgreSQL
// database at once, each starting at another batch and going round, while
// the parent lists every stage and checks snapshots. One more child is
// killed with SIGKILL in the middle of its run; every batch it
// acknowledged must be there. The parent then rotates the keyring and
// retires the old epoch under the others' feet. At the end the database must hold the
// workload's ground truth: Verify clean, one profile per person, every
// record at its newest version, every order counted once.

var (
	procWriters = 3 // children that run to the end
	procPeople  = 300
	procPause   = 40 * time.Millisecond // between a child's batches
	procBatch   = 64                    // records per IngestBatch
)

const procEnv = "SCV_STORE_PROC_CHILD"

// procParams is what the parent tells a child.
type procParams struct {
	URL    string
	Key    string // key file
	Seed   uint64
	People int
	Start  int // the batch it starts at; it goes round from there
}

// countingKV counts the child's transactions and their conflicts.
type countingKV struct {
	KV
	updates, conflicts atomic.Int64
}

func (c *countingKV) Update(ctx context.Context, fn func(Txn) error) error {
	c.updates.Add(1)
	err := c.KV.Update(ctx, fn)
	if errors.Is(err, ErrConflict) {
		c.conflicts.Add(1)
	}
	return err
}

func TestManyProcesses(t *testing.T) {
	if env := os.Getenv(procEnv); env != "" {
		procChild(t, env)
		return
	}
	u := pgtest.URL(t)
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	keyFile := filepath.Join(t.TempDir(), "root.key")
	if err := os.WriteFile(keyFile, root.KeyFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorkload(7, procPeople)
	batches := (len(w.versions) + procBatch - 1) / procBatch
	t.Logf("workload: %d people, %d record versions in %d batches of %d, ingested whole by each of %d processes", procPeople, len(w.versions), batches, procBatch, procWriters)

	// The parent's store, open before the children: they find the
	// database made.
	s, err := Open(ctx, u, crashOptions(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	type child struct {
		mu     sync.Mutex // the fields below, written by the reading goroutine
		cmd    *exec.Cmd
		acked  []int // batches acknowledged, in order
		stats  string
		done   bool
		output []string
	}
	start := func(p procParams) (*child, <-chan struct{}) {
		env, _ := json.Marshal(p)
		cmd := exec.Command(os.Args[0], "-test.run=^TestManyProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), procEnv+"="+string(env))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c := &child{cmd: cmd}
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				c.mu.Lock()
				switch n, ok := strings.CutPrefix(line, "ack "); {
				case ok:
					b, _ := strconv.Atoi(n)
					c.acked = append(c.acked, b)
				case strings.HasPrefix(line, "stats "):
					c.stats = line
				case line == "done":
					c.done = true
				default:
					c.output = append(c.output, line)
				}
				c.mu.Unlock()
			}
		}()
		return c, ended
	}
	var children []*child
	var ends []<-chan struct{}
	for i := range procWriters {
		c, end := start(procParams{URL: u, Key: keyFile, Seed: 7, People: procPeople, Start: i * batches / procWriters})
		children = append(children, c)
		ends = append(ends, end)
	}
	victim, victimEnd := start(procParams{URL: u, Key: keyFile, Seed: 7, People: procPeople, Start: batches / (2 * procWriters)})

	// The reader: stage listings, Stats and whole snapshots while the
	// children write.
	stop := make(chan struct{})
	var reads atomic.Int64
	var readErr error
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, st := range merge.Stages {
				for _, err := range s.ByStage(ctx, st, Filter{}) {
					if err != nil {
						readErr = fmt.Errorf("ByStage(%s): %w", st, err)
						return
					}
				}
			}
			if _, err := s.Stats(ctx); err != nil {
				readErr = fmt.Errorf("Stats: %w", err)
				return
			}
			profiles, err := snapshot(ctx, s)
			if err == nil {
				_, err = w.checkProfiles(profiles, nil)
			}
			if err != nil {
				readErr = fmt.Errorf("snapshot while writing: %w", err)
				return
			}
			reads.Add(1)
		}
	}()

	// Kill the victim mid-run, once it has acknowledged some batches,
	// and check at once that they are there.
	r := rand.New(rand.NewPCG(7, 1))
	time.Sleep(time.Duration(r.IntN(200)) * time.Millisecond)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		victim.mu.Lock()
		n := len(victim.acked)
		victim.mu.Unlock()
		if n >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victimEnd
	victim.cmd.Wait()
	if victim.done {
		t.Fatal("the victim finished before the kill: the kill tests nothing; raise procPeople")
	}
	var ackedRecs []identity.Record
	for _, b := range victim.acked {
		ackedRecs = append(ackedRecs, w.versions[b*procBatch:min((b+1)*procBatch, len(w.versions))]...)
	}
	for k, at := range newest(ackedRecs) {
		h, err := s.Holder(ctx, k)
		if err != nil {
			t.Fatalf("record %v acknowledged by the killed process: Holder: %v", k, err)
		}
		ok := false
		for _, ref := range h.Records {
			ok = ok || ref.Key == k && !ref.Observed.Before(at)
		}
		if !ok {
			t.Fatalf("record %v acknowledged by the killed process at %v is not held at that version", k, at)
		}
	}
	t.Logf("killed a process after %d acknowledged batches; all %d of their records held", len(victim.acked), len(newest(ackedRecs)))

	// Rotate the key-encryption key and retire the old epoch while the
	// children write: they must adopt the new keyring (their reads of
	// rewrapped profiles would fail, and their new data keys would be
	// wrapped under a retired epoch, if they kept theirs).
	rot, err := s.Rotate(ctx, RotateOptions{Retire: true})
	if err != nil {
		t.Fatalf("rotate while the children write: %v", err)
	}
	running := 0
	for _, c := range children {
		c.mu.Lock()
		if !c.done {
			running++
		}
		c.mu.Unlock()
	}
	t.Logf("rotated to epoch %d (%d data keys rewrapped) with %d children still writing", rot.Epoch, rot.Rewraps, running)
	if running == 0 {
		t.Error("every child finished before the rotation: it tests nothing; raise procPeople")
	}

	for i, c := range children {
		<-ends[i]
		err := c.cmd.Wait()
		if err != nil || !c.done {
			t.Fatalf("child %d failed (%v):\n%s", i, err, strings.Join(c.output, "\n"))
		}
		t.Logf("child %d: %s", i, c.stats)
	}
	close(stop)
	rwg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	if reads.Load() == 0 {
		t.Fatal("the reader finished no pass while the children wrote")
	}
	t.Logf("%d reader passes (6 stage listings, Stats, a checked snapshot) while writing", reads.Load())
	var updates, conflicts int64
	for _, c := range children {
		var u, k int64
		fmt.Sscanf(c.stats, "stats updates=%d conflicts=%d", &u, &k)
		updates += u
		conflicts += k
	}
	t.Logf("conflicts: %d of %d transactions (%.1f%%), each retried", conflicts, updates, 100*float64(conflicts)/float64(max(updates, 1)))

	// The operator's separations, then the ground truth.
	if _, err := w.separate(ctx, s, w.separations, nil); err != nil {
		t.Fatal(err)
	}
	tot, err := w.checkFinal(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("final: %d profiles, %d records, %d paid orders, %d fen: the ground truth", tot.Profiles, tot.Records, tot.PaidOrders, tot.SpendFen)
}

// procChild ingests the whole workload in batches, starting at batch
// p.Start and going round, printing "ack N" once batch N is
// acknowledged, and its transaction and conflict counts at the end.
func procChild(t *testing.T, env string) {
	var p procParams
	if err := json.Unmarshal([]byte(env), &p); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, p.URL)
	if err != nil {
		t.Fatal(err)
	}
	kv := &countingKV{KV: db}
	opts := crashOptions(p.Key)
	root, err := opts.Keys.RootKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenKV(ctx, kv, root, opts)
	if err != nil {
		t.Fatalf("OpenKV: %v", err)
	}
	w := newWorkload(p.Seed, p.People)
	batches := (len(w.versions) + procBatch - 1) / procBatch
	for i := range batches {
		b := (p.Start + i) % batches
		chunk := w.versions[b*procBatch : min((b+1)*procBatch, len(w.versions))]
		if _, err := s.IngestBatch(ctx, chunk); err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		fmt.Printf("ack %d\n", b)
		// A pause between batches keeps the children writing through the
		// kill and the rotation however fast the machine is.
		time.Sleep(procPause)
	}
	fmt.Printf("stats updates=%d conflicts=%d\n", kv.updates.Load(), kv.conflicts.Load())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("done")
}
