package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// restoreScene is a database on disk, a backup of it, and what happened
// after the backup: one customer erased, one new customer ingested. The
// old database holds the new customer; the restored one does not; in
// neither may the erased customer be read.
type restoreScene struct {
	dir, keyFile string
	root         *crypto.RootKey
	backup       []byte
	erasedID     string
	erased, kept identity.Identifier
	newcomer     identity.Identifier
	oldStats     Stats // the database before any restore
}

func newRestoreScene(t *testing.T) *restoreScene {
	t.Helper()
	ctx := context.Background()
	sc := &restoreScene{dir: filepath.Join(t.TempDir(), "db"), keyFile: filepath.Join(t.TempDir(), "key"), root: crypto.GenerateRootKey()}
	if err := os.WriteFile(sc.keyFile, sc.root.KeyFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, sc.dir, crashOptions(sc.keyFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	sc.erased, sc.kept = phoneID(t, "13912345601"), phoneID(t, "13812345602")
	p, err := s.ByIdentifier(ctx, sc.erased)
	if err != nil {
		t.Fatal(err)
	}
	sc.erasedID = p.ID
	var b bytes.Buffer
	if err := s.Backup(ctx, &b); err != nil {
		t.Fatal(err)
	}
	sc.backup = b.Bytes()
	if err := s.Erase(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	sc.newcomer = phoneID(t, "13712345699")
	rec := identity.Record{Channel: identity.ChannelPOS, Source: "restore-test", ID: "R1",
		Observed: asOf.Add(-time.Hour), Identifiers: []identity.Identifier{sc.newcomer}}
	if _, err := s.Ingest(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if sc.oldStats, err = s.Stats(ctx); err != nil {
		t.Fatal(err)
	}
	return sc
}

// check opens the database and asserts that it opens, passes Verify,
// reads no trace of the erased customer, journals the erasure, and is the
// old database or the restored one, whole; it returns which.
func (sc *restoreScene) check(t *testing.T) (restored bool) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, sc.dir, crashOptions(sc.keyFile))
	if err != nil {
		t.Fatalf("Open after the restore: %v", err)
	}
	defer s.Close()
	mustVerify(t, s)
	if _, err := s.ByIdentifier(ctx, sc.erased); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased customer's phone: %v, want ErrNotFound", err)
	}
	if _, err := s.ByID(ctx, sc.erasedID); !errors.Is(err, ErrErased) {
		t.Errorf("the erased customer's id: %v, want ErrErased", err)
	}
	if _, err := s.ByIdentifier(ctx, sc.kept); err != nil {
		t.Errorf("a customer nobody erased: %v", err)
	}
	js, err := s.readJournal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	journaled := false
	for _, j := range js {
		journaled = journaled || j.Profile == sc.erasedID
	}
	if !journaled {
		t.Errorf("the erasure journal lost the erasure (%d entries)", len(js))
	}
	_, err = s.ByIdentifier(ctx, sc.newcomer)
	switch {
	case err == nil:
	case errors.Is(err, ErrNotFound):
		restored = true
	default:
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := sc.oldStats
	if restored {
		want.Profiles--
		want.Records--
	}
	if diff := cmp.Diff(want.Profiles, st.Profiles); diff != "" {
		t.Errorf("profiles (-want +got, restored %v):\n%s", restored, diff)
	}
	if diff := cmp.Diff(want.Records, st.Records); diff != "" {
		t.Errorf("records (-want +got, restored %v):\n%s", restored, diff)
	}
	for _, side := range []string{stagingDir(sc.dir), replacedDir(sc.dir)} {
		if _, err := os.Stat(side); err == nil {
			t.Errorf("%s is left after the open", filepath.Base(side))
		}
	}
	return restored
}

// restoreInto opens the scene's database and restores r into it.
func (sc *restoreScene) restoreInto(t *testing.T, ctx context.Context, r io.Reader) error {
	t.Helper()
	s, err := Open(context.Background(), sc.dir, crashOptions(sc.keyFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return s.Restore(ctx, r)
}

// TestRestoreDamagedBackup restores truncated and altered backups: each
// is refused, and the database is the one before, erasure journal and
// all. Before backups were authenticated, a truncated one left an empty
// database and an altered one was restored.
func TestRestoreDamagedBackup(t *testing.T) {
	sc := newRestoreScene(t)
	n := len(sc.backup)
	flip := func(i int) []byte {
		b := bytes.Clone(sc.backup)
		b[i] ^= 0x40
		return b
	}
	for _, tc := range []struct {
		name   string
		backup []byte
		want   error
	}{
		{"cut in the middle", sc.backup[:n/2], ErrBackupDamaged},
		{"last byte cut", sc.backup[:n-1], ErrBackupDamaged},
		{"final frame cut", sc.backup[:n-33], ErrBackupDamaged},
		{"cut after the header", sc.backup[:len(backupMagic)+200], ErrBackupDamaged},
		{"byte flipped in the middle", flip(n / 2), ErrBackupDamaged},
		{"byte flipped near the end", flip(n - 40), ErrBackupDamaged},
		{"byte flipped in the last tag", flip(n - 1), ErrBackupDamaged},
		{"byte appended", append(bytes.Clone(sc.backup), 0), ErrBackupDamaged},
		{"format from a newer build", append([]byte(backupMagic[:len(backupMagic)-1]+"\x06"), sc.backup[len(backupMagic):]...), ErrNotBackup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := sc.restoreInto(t, context.Background(), bytes.NewReader(tc.backup))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Restore: %v, want %v", err, tc.want)
			}
			if sc.check(t) {
				t.Error("a refused restore replaced the database")
			}
		})
	}
	// The intact backup restores.
	if err := sc.restoreInto(t, context.Background(), bytes.NewReader(sc.backup)); err != nil {
		t.Fatal(err)
	}
	if !sc.check(t) {
		t.Error("the intact backup did not replace the database")
	}
}

// TestRestoreCancelled cancels a restore at each of its steps: before the
// data is replaced the database stays as it was; once it is replaced the
// restore finishes regardless. At no step may the erased customer be
// read, and the database opens.
func TestRestoreCancelled(t *testing.T) {
	for _, tc := range []struct {
		step     string // "" cancels before the call; "read" halfway through the stream
		restored bool
	}{
		{"", false},
		{"read", false},
		{"loaded", false},
		{"owed", false},
		{"reapplied", false},
		{"prepared", false},
		{"swapped", true},
	} {
		t.Run("at "+tc.step, func(t *testing.T) {
			sc := newRestoreScene(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var r io.Reader = bytes.NewReader(sc.backup)
			switch tc.step {
			case "":
				cancel()
			case "read":
				r = &cancelAfter{r: r, n: len(sc.backup) / 2, cancel: cancel}
			default:
				setRestoreStep(t, func(step string) {
					if step == tc.step {
						cancel()
					}
				})
			}
			err := sc.restoreInto(t, ctx, r)
			if tc.restored != (err == nil) {
				t.Errorf("Restore cancelled at %q: %v", tc.step, err)
			}
			if got := sc.check(t); got != tc.restored {
				t.Errorf("restored %v, want %v", got, tc.restored)
			}
		})
	}
}

func setRestoreStep(t *testing.T, fn func(string)) {
	t.Helper()
	old := restoreStep
	restoreStep = fn
	t.Cleanup(func() { restoreStep = old })
}

// cancelAfter reads r and calls cancel once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.n -= k; c.n <= 0 {
		c.cancel()
	}
	return k, err
}

// TestRestoreDiskFull restores onto a filesystem reported full: the
// restore stops with ErrDiskFull, naming the directory and the space
// left, and the database is untouched.
func TestRestoreDiskFull(t *testing.T) {
	sc := newRestoreScene(t)
	old := freeSpaceFunc
	freeSpaceFunc = func(string) (uint64, error) { return 10 << 20, nil }
	t.Cleanup(func() { freeSpaceFunc = old })
	err := sc.restoreInto(t, context.Background(), bytes.NewReader(sc.backup))
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Restore on a full disk: %v, want ErrDiskFull", err)
	}
	for _, want := range []string{"10 MiB free", filepath.Dir(sc.dir)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	freeSpaceFunc = old
	if sc.check(t) {
		t.Error("a restore stopped by a full disk replaced the database")
	}
}

// TestRestoreIntoNewDatabase restores into a new database without an
// erasure journal: refused before anything is replaced, since erasures
// made after the backup cannot be known; with Force, restored with the
// backup's own erasures applied again and the report saying the rest is
// unknown. A database that journals erasures restores without Force and
// says where each erasure came from.
func TestRestoreIntoNewDatabase(t *testing.T) {
	ctx := context.Background()
	sc := newRestoreScene(t)
	fresh := filepath.Join(t.TempDir(), "fresh")
	s, err := Open(ctx, fresh, crashOptions(sc.keyFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.RestoreWith(ctx, bytes.NewReader(sc.backup), RestoreOptions{}); !errors.Is(err, ErrErasuresUnknown) {
		t.Fatalf("Restore into a new database: %v, want ErrErasuresUnknown", err)
	}
	if st, _ := s.Stats(ctx); st.Profiles != 0 {
		t.Fatalf("a refused restore left %d profiles", st.Profiles)
	}
	rep, err := s.RestoreWith(ctx, bytes.NewReader(sc.backup), RestoreOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	want := RestoreReport{Format: 5, Authenticated: true, Unknown: true}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report of a forced restore (-want +got):\n%s", diff)
	}
	// The backup predates the erasure: the customer is back, as the
	// report warned.
	if _, err := s.ByIdentifier(ctx, sc.erased); err != nil {
		t.Errorf("forced restore of a backup older than the erasure: %v", err)
	}

	o, err := Open(ctx, sc.dir, crashOptions(sc.keyFile))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	rep, err = o.RestoreWith(ctx, bytes.NewReader(sc.backup), RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want = RestoreReport{Format: 5, Authenticated: true, FromDatabase: 1}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report of a restore into the database that erased (-want +got):\n%s", diff)
	}
	// A backup of format 3, before authentication, still restores, and
	// the report says it was not authenticated.
	rep, err = o.RestoreWith(ctx, bytes.NewReader(legacyBackup(t, o, backupMagicV3)), RestoreOptions{})
	if err != nil {
		t.Fatalf("Restore of a format 3 backup: %v", err)
	}
	want = RestoreReport{Format: 3, FromDatabase: 1}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report of a format 3 restore (-want +got):\n%s", diff)
	}
}

// restoreKillEnv carries a child's parameters: the scene and the step at
// which it kills itself.
const restoreKillEnv = "SCV_RESTORE_KILL"

type restoreKillParams struct {
	Dir, Key, Backup string
	Step             string
	TwoRenames       bool
	Unstaged         bool // on an engine that cannot stage (replaceUnstaged)
}

// unstaged is an engine that can snapshot but not stage.
type unstaged struct {
	KV
	Snapshotter
}

// TestRestoreKilled kills (SIGKILL) a child process at each step of a
// restore, including between the two renames where the filesystem cannot
// exchange directories: the database then opens, passes Verify, is the
// old one or the restored one, and reads nothing of the erased customer.
func TestRestoreKilled(t *testing.T) {
	if env := os.Getenv(restoreKillEnv); env != "" {
		restoreKillChild(t, env)
		return
	}
	for _, tc := range []struct {
		step       string
		twoRenames bool
		restored   bool
	}{
		{"read", false, false},
		{"loaded", false, false},
		{"owed", false, false},
		{"reapplied", false, false},
		{"prepared", false, false},
		{"swapped", false, true},
		{"moved-aside", true, false},
		{"swapped", true, true},
	} {
		t.Run(fmt.Sprintf("at %s, two renames %v", tc.step, tc.twoRenames), func(t *testing.T) {
			sc := newRestoreScene(t)
			backup := filepath.Join(t.TempDir(), "backup")
			if err := os.WriteFile(backup, sc.backup, 0o600); err != nil {
				t.Fatal(err)
			}
			env, _ := json.Marshal(restoreKillParams{Dir: sc.dir, Key: sc.keyFile, Backup: backup, Step: tc.step, TwoRenames: tc.twoRenames})
			cmd := exec.Command(os.Args[0], "-test.run=^TestRestoreKilled$", "-test.count=1")
			cmd.Env = append(os.Environ(), restoreKillEnv+"="+string(env))
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child was not killed at %s: %v\n%s", tc.step, err, out)
			}
			if got := sc.check(t); got != tc.restored {
				t.Errorf("restored %v, want %v", got, tc.restored)
			}
			// The database a kill left restores again.
			if err := sc.restoreInto(t, context.Background(), bytes.NewReader(sc.backup)); err != nil {
				t.Fatal(err)
			}
			if !sc.check(t) {
				t.Error("the restore after the kill did not replace the database")
			}
		})
	}
}

func restoreKillChild(t *testing.T, env string) {
	var p restoreKillParams
	if err := json.Unmarshal([]byte(env), &p); err != nil {
		t.Fatal(err)
	}
	kill := func() { syscall.Kill(os.Getpid(), syscall.SIGKILL); select {} }
	restoreStep = func(step string) {
		if step == p.Step {
			kill()
		}
	}
	if p.TwoRenames {
		exchangeDirsFunc = func(string, string) error { return errNoExchange }
	}
	b, err := os.ReadFile(p.Backup)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(b)
	if p.Step == "read" {
		r = &cancelAfter{r: r, n: len(b) / 2, cancel: func() { kill() }}
	}
	ctx := context.Background()
	opts := crashOptions(p.Key)
	var s *Store
	if p.Unstaged {
		root, err := opts.Keys.RootKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := OpenBadger(BadgerOptions{Dir: p.Dir, EncryptionKey: root.AtRestKey()})
		if err != nil {
			t.Fatal(err)
		}
		if s, err = OpenKV(ctx, unstaged{b, b}, root, opts); err != nil {
			t.Fatal(err)
		}
	} else if s, err = Open(ctx, p.Dir, opts); err != nil {
		t.Fatal(err)
	}
	err = s.Restore(ctx, r)
	t.Fatalf("the restore ended without reaching step %s: %v", p.Step, err)
}

// TestRestoreOwed kills a restore on an engine that cannot stage once it
// has replaced the data, before and during the erasures' re-application:
// the restore-owed entry is then in the data, Verify reports it, and the
// next Open applies the erasures again before anything can read the
// erased customer.
func TestRestoreOwed(t *testing.T) {
	for _, step := range []string{"swapped", "reapplied"} {
		t.Run(step, func(t *testing.T) {
			sc := newRestoreScene(t)
			backup := filepath.Join(t.TempDir(), "backup")
			if err := os.WriteFile(backup, sc.backup, 0o600); err != nil {
				t.Fatal(err)
			}
			env, _ := json.Marshal(restoreKillParams{Dir: sc.dir, Key: sc.keyFile, Backup: backup, Step: step, Unstaged: true})
			cmd := exec.Command(os.Args[0], "-test.run=^TestRestoreKilled$", "-test.count=1")
			cmd.Env = append(os.Environ(), restoreKillEnv+"="+string(env))
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child was not killed at %s: %v\n%s", step, err, out)
			}
			// A store that has not finished the restore, as a reader
			// would see it without Open's finishing.
			b, err := OpenBadger(BadgerOptions{Dir: sc.dir, EncryptionKey: sc.root.AtRestKey()})
			if err != nil {
				t.Fatal(err)
			}
			res, err := merge.New(merge.Options{})
			if err != nil {
				t.Fatal(err)
			}
			clock := func() time.Time { return asOf }
			raw := &Store{kv: b, root: sc.root, resolver: res, clock: clock, asOf: clock, log: slog.Default(), absentAfter: defaultAbsentAfter}
			if err := raw.loadKeyring(context.Background()); err != nil {
				t.Fatal(err)
			}
			r, err := raw.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(r.Problems, "\n"), metaRestoreOwed) {
				t.Errorf("Verify of a database owing a restore's erasures: %q, want the %s entry reported", r.Problems, metaRestoreOwed)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if !sc.check(t) {
				t.Error("the database is not the restored one")
			}
		})
	}
}
