package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// The crash test: a child process (this test binary, run again) ingests a
// large workload into an on-disk store with the default options (every
// commit synced), printing the number of each batch IngestBatch has
// acknowledged, and the parent kills it with SIGKILL at random moments.
// After each kill the parent reopens the store and checks that it is
// consistent and that every acknowledged record is there; the next child
// ingests the same workload from the start, which must change nothing that
// was acknowledged, and goes on. A last child runs to the end. A machine
// that ingests the whole workload before the kills are done gets its
// database checked against the ground truth, and the next kills go to a
// fresh one (before, such a run failed asking for a larger -crashpeople:
// run alone on this machine, 8,000 people lasted 6 of the 10 kills).
//
// SIGKILL tests what a crashed or killed process leaves behind, not a power
// cut: the kernel still writes out what the process had written.

var (
	crashKills  = flag.Int("crashkills", 10, "how many times the crash test kills the ingesting child")
	crashPeople = flag.Int("crashpeople", 8000, "people in the crash test's workload (about 3.6 records each)")
	crashSeed   = flag.Uint64("crashseed", 1, "seed of the crash test's workload and kill times")
	crashDelay  = flag.Duration("crashdelay", 1500*time.Millisecond, "the crash test kills after a uniform random delay up to this")
)

const (
	crashEnv   = "SCV_STORE_CRASH_CHILD" // the child's parameters, as JSON
	crashBatch = 256                     // records per IngestBatch
)

// crashParams is what the parent tells a child.
type crashParams struct {
	Dir    string
	Key    string // key file
	Seed   uint64
	People int
	Acked  int // the highest batch acknowledged by an earlier child; -1 for none
}

func TestCrash(t *testing.T) {
	if env := os.Getenv(crashEnv); env != "" {
		crashChild(t, env)
		return
	}
	if raceEnabled() {
		t.Skip("crash test skipped under -race: its children would be race-detector builds, too slow to reach the kills; go test without -race runs it")
	}
	forEachEngine(t, onDisk, testCrash)
}

func testCrash(t *testing.T, e testEngine) {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	keyFile := filepath.Join(t.TempDir(), "root.key")
	if err := os.WriteFile(keyFile, root.KeyFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	p := crashParams{Dir: e.dir(t), Key: keyFile, Seed: *crashSeed, People: *crashPeople, Acked: -1}
	if e.postgres() {
		// PostgreSQL ingests a few times slower here, and the last
		// child ingests the whole workload: a quarter of it proves the
		// same in a quarter of the time.
		p.People = max(*crashPeople/4, 100)
	}
	w := newWorkload(p.Seed, p.People)
	batches := (len(w.versions) + crashBatch - 1) / crashBatch
	t.Logf("workload: seed %d, %d people, %d record versions in %d batches of %d", p.Seed, p.People, len(w.versions), batches, crashBatch)
	r := rand.New(rand.NewPCG(p.Seed, 0xc0ffee))

	// A kill comes after a random delay, counted from the child's start
	// for every fourth child (so that it may land while the store opens or
	// the acknowledged batches are ingested again) and otherwise from the
	// moment the child starts on batches not acknowledged before.
	// checkFinal checks that the database holds the whole workload.
	checkFinal := func(when string) {
		t.Helper()
		s, err := Open(ctx, p.Dir, crashOptions(keyFile))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		tot, err := w.checkFinal(ctx, s)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		t.Logf("%s: %d profiles, %d records, %d paid orders, %d fen: the ground truth", when, tot.Profiles, tot.Records, tot.PaidOrders, tot.SpendFen)
	}
	var phases struct{ opening, reingest, ingest int }
	rounds := 1 // databases ingested into, each from empty
	for kills, runs := 0, 0; kills < *crashKills; runs++ {
		if runs == 2**crashKills {
			t.Fatalf("%d children killed in %d runs: the others finished; raise -crashpeople", kills, runs)
		}
		delay := time.Duration(1 + r.Int64N(int64(*crashDelay)))
		fromStart := runs%4 == 3
		out := runCrashChild(t, p, delay, fromStart)
		switch {
		case !out.killed:
			t.Logf("child %d finished before its kill", runs+1)
		case !out.opened:
			phases.opening++
		case out.acked+1 <= p.Acked: // it was ingesting a batch acknowledged before
			phases.reingest++
		default:
			phases.ingest++
		}
		if out.killed {
			kills++
		}
		p.Acked = max(p.Acked, out.acked)
		from := "the resume"
		if fromStart {
			from = "the start"
		}
		took := crashCheck(t, ctx, w, p)
		t.Logf("child %d (kill %d), %v after %s: batches acknowledged up to %d of %d; checked in %v",
			runs+1, kills, delay.Round(time.Millisecond), from, p.Acked, batches, took.Round(time.Millisecond))
		if t.Failed() {
			return
		}
		if p.Acked == batches-1 && kills < *crashKills {
			// Every batch is acknowledged before the kills are done (a
			// machine fast enough to ingest the workload in a few
			// kills): the database must hold the ground truth; the next
			// kills go to a fresh one.
			checkFinal(fmt.Sprintf("after %d kills, the workload acknowledged whole", kills))
			p.Dir, p.Acked = e.dir(t), -1
			rounds++
		}
	}
	t.Logf("%d kills in %d databases: %d while opening, %d while ingesting acknowledged batches again, %d while ingesting new batches",
		*crashKills, rounds, phases.opening, phases.reingest, phases.ingest)
	if phases.ingest == 0 {
		t.Errorf("no kill landed while new batches were being ingested")
	}
	if out := runCrashChild(t, p, 0, false); out.killed || !out.done {
		t.Fatalf("the last child did not finish")
	}
	checkFinal(fmt.Sprintf("after %d kills", *crashKills))
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

func crashOptions(keyFile string) Options {
	return Options{Keys: crypto.FileKeyProvider{Path: keyFile}, Clock: func() time.Time { return asOf }}
}

// crashOutcome is what the parent saw of a child.
type crashOutcome struct {
	opened bool // the child opened the store
	acked  int  // the highest batch it acknowledged; -1 for none
	done   bool // it ingested every batch and closed the store
	killed bool // it was killed before it exited
}

// runCrashChild runs a child with p and kills it with SIGKILL after delay,
// counted from its start, or with resume from the moment it starts on
// batches not acknowledged before; a delay of 0 lets it run to the end. A
// child that fails (rather than being killed) fails the test with its
// output.
func runCrashChild(t *testing.T, p crashParams, delay time.Duration, fromStart bool) crashOutcome {
	t.Helper()
	env, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+string(env))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := crashOutcome{acked: -1}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var kill <-chan time.Time
	arm := func() {
		if delay > 0 {
			timer := time.NewTimer(delay)
			t.Cleanup(func() { timer.Stop() })
			kill = timer.C
		}
	}
	if fromStart {
		arm()
	}
	var tail []string // the child's other output, for a failure message
	killed := false
	for lines != nil {
		select {
		case <-kill:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatal(err)
			}
			killed, kill, delay = true, nil, 0
		case line, ok := <-lines:
			switch n, isAck := strings.CutPrefix(line, "ack "); {
			case !ok:
				lines = nil
			case isAck:
				b, err := strconv.Atoi(n)
				if err != nil || b != out.acked+1 {
					t.Fatalf("child printed %q after acknowledging batch %d", line, out.acked)
				}
				out.acked = b
			case line == "open":
				out.opened = true
			case line == "resume":
				if !fromStart {
					arm()
				}
			case line == "done":
				out.done = true
			default:
				tail = append(tail, line)
			}
		}
	}
	err = cmd.Wait()
	if killed {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			out.killed = true
			return out
		}
	}
	if err != nil || !out.done {
		t.Fatalf("child failed (%v):\n%s\n%s", err, strings.Join(tail, "\n"), stderr.String())
	}
	return out
}

// crashChild is the child: it ingests the workload from the start, batch by
// batch, printing "ack N" once IngestBatch has returned for batch N, and
// "resume" when it starts on the batches no earlier child acknowledged.
// The batches an earlier child acknowledged must come back unchanged.
func crashChild(t *testing.T, env string) {
	var p crashParams
	if err := json.Unmarshal([]byte(env), &p); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(ctx, p.Dir, crashOptions(p.Key))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	fmt.Println("open")
	w := newWorkload(p.Seed, p.People)
	in := map[identity.RecordKey]bool{} // the records ingested so far
	pending := w.separations
	for b := 0; b*crashBatch < len(w.versions); b++ {
		if b == p.Acked+1 {
			fmt.Println("resume")
		}
		chunk := w.versions[b*crashBatch : min((b+1)*crashBatch, len(w.versions))]
		res, err := s.IngestBatch(ctx, chunk)
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		// The operator's separations of the records in so far, again
		// after a kill (a second Separate changes nothing).
		for _, v := range chunk {
			in[v.Key()] = true
		}
		if pending, err = w.separate(ctx, s, pending, func(k identity.RecordKey) bool { return in[k] }); err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		if b <= p.Acked {
			for i, r := range res {
				if r.Outcome != OutcomeUnchanged && r.Outcome != OutcomeStale {
					t.Fatalf("batch %d, acknowledged before, ingested again: record %v: %s, want %s or %s", b, chunk[i].Key(), r.Outcome, OutcomeUnchanged, OutcomeStale)
				}
			}
		}
		fmt.Printf("ack %d\n", b)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("done")
}

// crashCheck opens the store a killed child left and checks it: Verify is
// clean; every record of every acknowledged batch is held (Holder) at the
// version acknowledged or a newer one; the profiles pass the snapshot
// checks; and the batch after the last acknowledged one, which the child
// may have committed without printing so, is in whole or not at all. It
// returns how long the check took.
func crashCheck(t *testing.T, ctx context.Context, w *workload, p crashParams) time.Duration {
	t.Helper()
	start := time.Now()
	s, err := Open(ctx, p.Dir, crashOptions(p.Key))
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("Verify after kill found %d problems, first: %s", len(rep.Problems), rep.Problems[0])
	}
	end := min((p.Acked+1)*crashBatch, len(w.versions))
	acked := newest(w.versions[:end])
	for k, at := range acked {
		h, err := s.Holder(ctx, k)
		if err != nil {
			t.Fatalf("acknowledged record %v: Holder: %v", k, err)
		}
		var refs []merge.RecordRef
		for _, ref := range h.Records {
			if ref.Key == k {
				refs = append(refs, ref)
			}
		}
		if len(refs) != 1 || refs[0].Observed.Before(at) {
			t.Fatalf("acknowledged record %v (version %v): Holder returned profile %s, which lists it %d times (%v)", k, at, h.ID, len(refs), refs)
		}
	}
	profiles, err := snapshot(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.checkProfiles(profiles, acked); err != nil {
		t.Fatalf("after kill: %v", err)
	}
	// The batch in flight: the versions it brings that no acknowledged
	// batch did are all held, or none is.
	if end < len(w.versions) {
		held := map[identity.RecordKey]bool{}
		for _, pr := range profiles {
			for _, ref := range pr.Records {
				held[ref.Key] = true
			}
		}
		fresh, in := 0, 0
		for _, v := range w.versions[end:min(end+crashBatch, len(w.versions))] {
			if _, old := acked[v.Key()]; old {
				continue
			}
			fresh++
			if held[v.Key()] {
				in++
			}
		}
		if in != 0 && in != fresh {
			t.Fatalf("batch %d, in flight at the kill, is in part: %d of its %d new records held", p.Acked+1, in, fresh)
		}
	}
	return time.Since(start)
}
