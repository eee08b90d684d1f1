package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/store"
)

// TestEraseBackupRestore erases a customer, checks that nothing finds
// them and that a re-import does not bring them back, then restores a
// backup taken before the erasure: the others are back, the erased
// customer is still gone.
func TestEraseBackupRestore(t *testing.T) {
	c := newCLI(t)
	journal := filepath.Join(c.dir, "erasures.journal")
	c.extra = []string{"--erasure-journal", journal}
	c.importFixtures()
	before := c.stats()
	backup := filepath.Join(c.dir, "before.bak")
	c.ok("backup", backup)
	if r := c.run("backup", backup); r.code != exitUsage || !strings.Contains(r.stderr, "exists") {
		t.Errorf("backup over an existing file: exit %d, stderr %q", r.code, r.stderr)
	}

	// P03 张伟, the advocate: three records (two receipts, a survey).
	const phone = "13698765403"
	p := jsonLines[profileJSON](t, c.ok("get", "--json", phone).stdout)[0]
	r := c.ok("erase", phone, "--yes")
	if !strings.Contains(r.stdout, p.ID) {
		t.Errorf("erase does not print the erased profile id:\n%s", r.stdout)
	}
	for _, arg := range []string{phone, "+86 136 9876 5403", p.ID} {
		r := c.run("get", arg)
		if r.code != exitNotFound || !strings.Contains(r.stderr, "not found") {
			t.Errorf("get %s after erase: exit %d, stderr %q; want 1 and not found", arg, r.code, r.stderr)
		}
	}
	if r := c.run("erase", p.ID, "--yes"); r.code != exitNotFound {
		t.Errorf("erase twice: exit %d, want 1", r.code)
	}
	again := c.importFixtures()
	if again.Quarantined["erased"] != len(p.Sources) || again.ProfilesCreated != 0 {
		t.Errorf("re-import after erase: %d records refused as erased, %d profiles created; want %d and 0",
			again.Quarantined["erased"], again.ProfilesCreated, len(p.Sources))
	}
	if r := c.run("get", phone); r.code != exitNotFound {
		t.Errorf("get after re-import: exit %d, want 1 (the erased customer came back)", r.code)
	}
	for _, q := range c.export("internal") {
		if q.ID == p.ID || strings.Contains(strings.Join(q.Phones, ","), "+86"+phone) {
			t.Errorf("export lists the erased customer")
		}
	}
	after := c.stats()
	if after.Profiles != before.Profiles-1 || after.Erased != 1 {
		t.Errorf("after erase: %d profiles, %d erased; want %d and 1", after.Profiles, after.Erased, before.Profiles-1)
	}

	r = c.ok("restore", backup)
	if !strings.Contains(r.stdout, "restored") {
		t.Errorf("restore says %q", r.stdout)
	}
	restored := c.stats()
	if restored.Profiles != before.Profiles-1 || restored.Erased != 1 {
		t.Errorf("after restore: %d profiles, %d erased; want %d (all but the erased) and 1", restored.Profiles, restored.Erased, before.Profiles-1)
	}
	if r := c.run("get", phone); r.code != exitNotFound {
		t.Errorf("get after restore: exit %d, want 1: the restore brought the erased customer back", r.code)
	}
	if r := c.ok("get", "13912345601", "--json"); !strings.Contains(r.stdout, "王芳") {
		t.Errorf("P01 is not back after restore")
	}
	if r := c.run("verify"); r.code != exitOK {
		t.Errorf("verify after restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A fresh database restored from the old backup, with the erasure
	// journal: the erased customer stays erased.
	fresh := *c
	fresh.db = filepath.Join(c.dir, "fresh")
	fresh.ok("restore", backup)
	if r := fresh.run("get", phone); r.code != exitNotFound {
		t.Errorf("get in a fresh database restored with the journal: exit %d, want 1", r.code)
	}

	// Another key refuses the backup before replacing anything.
	other := newCLI(t)
	other.db = filepath.Join(other.dir, "other")
	if r := other.run("restore", backup); r.code != exitUsage || !strings.Contains(r.stderr, "another root key") {
		t.Errorf("restore under another key: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(other.db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused restore left a database behind (stat: %v)", err)
	}
	if r := c.run("restore", c.key); r.code != exitUsage || !strings.Contains(r.stderr, "not an scv backup") {
		t.Errorf("restore of a key file: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestVerify checks verify's report and exit status on a sound database.
// Damage is the store tests' business: they reach into its keys.
func TestVerify(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	st := c.stats()
	r := c.run("verify", "--json")
	if r.code != exitOK {
		t.Fatalf("verify: exit %d\n%s", r.code, r.stderr)
	}
	var rep struct {
		Profiles, Records, Quarantined int
		Problems                       []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Profiles != st.Profiles || rep.Records != st.Records || rep.Quarantined != st.Quarantined || len(rep.Problems) != 0 {
		t.Errorf("verify report %+v, stats %+v", rep, st)
	}
	if r := c.ok("verify"); !strings.Contains(r.stdout, "ok:") {
		t.Errorf("verify says %q", r.stdout)
	}
	if r := c.ok("maintain"); !strings.Contains(r.stdout, "maintenance done") {
		t.Errorf("maintain says %q", r.stdout)
	}
	if diff := cmp.Diff(st, c.stats()); diff != "" {
		t.Errorf("maintain changed the stats (-before +after):\n%s", diff)
	}
}

// TestQuarantine checks the listing against testdata/README.md's rows
// that are nobody, and that it shows record ids only where they are not
// personal.
func TestQuarantine(t *testing.T) {
	c := newCLI(t)
	sum := c.importFixtures()
	type entry struct {
		Source   string `json:"source"`
		Line     int    `json:"line"`
		RecordID string `json:"record_id"`
		Field    string `json:"field"`
		Reason   string `json:"reason"`
	}
	entries := jsonLines[entry](t, c.ok("quarantine", "--json").stdout)
	got := map[string]int{}
	for _, e := range entries {
		got[e.Reason]++
		if e.RecordID != "" && e.Source != "ecommerce" && e.Source != "pos" {
			t.Errorf("record id shown for source %s", e.Source)
		}
	}
	want := map[string]int{}
	for k, v := range sum.Quarantined {
		want[string(k)] = v
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("quarantine by reason (-import summary +listing):\n%s", diff)
	}
	// Rows of testdata/README.md: taobao line 28, payment 12.345; POS
	// line 31, amount abc; both have ids that are order numbers.
	for _, w := range []entry{
		{Source: "ecommerce", Line: 28, RecordID: "3301000000009003", Field: "payment", Reason: "invalid_amount"},
		{Source: "pos", Line: 31, RecordID: "SZ01/SZ01-26091001", Field: "amount", Reason: "invalid_amount"},
		{Source: "wechat", Line: 11, Field: "openid", Reason: "missing_id"},
	} {
		found := false
		for _, e := range entries {
			found = found || e == w
		}
		if !found {
			t.Errorf("no quarantine entry %+v", w)
		}
	}
	human := c.ok("quarantine").stdout
	if !strings.Contains(human, "SOURCE") || !strings.Contains(human, "by reason") || !strings.Contains(human, "invalid_encoding") {
		t.Errorf("human quarantine listing:\n%s", human)
	}
}

// TestWrongKey checks that a database refuses another key at open, says
// so, and is left as it was.
func TestWrongKey(t *testing.T) {
	for _, variant := range []struct {
		name  string
		extra []string
	}{{"at-rest encryption", nil}, {"no at-rest encryption", []string{"--no-at-rest-encryption"}}} {
		t.Run(variant.name, func(t *testing.T) {
			c := newCLI(t)
			c.extra = variant.extra
			c.importFixtures()
			before := c.stats()
			files := dirDigest(t, c.db)

			wrong := *c
			wrong.key = filepath.Join(c.dir, "wrong.key")
			if r := run1(t, "keygen", "--out", wrong.key); r.code != exitOK {
				t.Fatal(r.stderr)
			}
			for _, args := range [][]string{{"stats"}, {"get", "13912345601"}, {"import", "--format", "pos", filepath.Join(fixturesDir, "pos", "stores.csv")}} {
				r := wrong.run(args...)
				if r.code != exitUsage && r.code != exitFailure || !strings.Contains(r.stderr, "wrong key") {
					t.Errorf("%s with the wrong key: exit %d, stderr %q; want 2 or 3 and \"wrong key\"", args[0], r.code, r.stderr)
				}
				if r.stdout != "" {
					t.Errorf("%s with the wrong key printed %q", args[0], r.stdout)
				}
			}
			if variant.extra == nil {
				// Refused before Badger replays or writes anything.
				if diff := cmp.Diff(files, dirDigest(t, c.db)); diff != "" {
					t.Errorf("database files changed by the refused opens (-before +after):\n%s", diff)
				}
			}
			if diff := cmp.Diff(before, c.stats()); diff != "" {
				t.Errorf("stats changed (-before +after):\n%s", diff)
			}
		})
	}
}

// dirDigest returns the SHA-256 of every file in dir but Badger's LOCK.
func dirDigest(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "LOCK" {
			return err
		}
		b, err := os.ReadFile(path)
		out[d.Name()] = sha256.Sum256(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLocked opens the database as a service would, then runs the
// command: it must say the database is locked.
func TestLocked(t *testing.T) {
	c := newCLI(t)
	c.ok("import", "--format", "pos", filepath.Join(fixturesDir, "pos", "stores.csv"))
	db, err := scv.Open(c.db, scv.Options{KeyFile: c.key})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{{"stats"}, {"import", "--format", "pos", filepath.Join(fixturesDir, "pos", "stores.csv")}} {
		r := c.run(args...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "locked") {
			t.Errorf("%s while another holder has the database: exit %d, stderr %q; want 3 and locked", args[0], r.code, r.stderr)
		}
	}
	newKey := filepath.Join(c.dir, "new.key")
	run1(t, "keygen", "--out", newKey)
	if r := c.run("rotate-key", "--new-key-file", newKey); r.code != exitFailure || !strings.Contains(r.stderr, "locked") {
		t.Errorf("rotate-key --new-key-file while the database is open: exit %d, stderr %q; want 3 and locked", r.code, r.stderr)
	}
	if _, err := db.Stats(context.Background()); err != nil {
		t.Errorf("the holder's database broke: %v", err)
	}
}

// TestRotateKey rotates the key-encryption key online, then the root key
// offline: the old key is refused afterwards, the new one opens the same
// profiles.
func TestRotateKey(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	before := c.export("internal")
	if r := c.ok("rotate-key"); !strings.Contains(r.stdout, "epoch 2") {
		t.Errorf("rotate-key says %q", r.stdout)
	}
	if r := c.ok("rotate-key", "--retire"); !strings.Contains(r.stdout, "retired") {
		t.Errorf("rotate-key --retire says %q", r.stdout)
	}
	newKey := filepath.Join(c.dir, "new.key")
	run1(t, "keygen", "--out", newKey)
	if r := c.run("rotate-key", "--new-key-file", c.key); r.code != exitUsage {
		t.Errorf("rotating to the same key: exit %d, want 2", r.code)
	}
	c.ok("rotate-key", "--new-key-file", newKey)
	if r := c.run("stats"); r.code != exitUsage || !strings.Contains(r.stderr, "wrong key") {
		t.Errorf("the old key after root rotation: exit %d, stderr %q", r.code, r.stderr)
	}
	c.key = newKey
	if diff := cmp.Diff(before, c.export("internal")); diff != "" {
		t.Errorf("profiles changed by key rotation (-before +after):\n%s", diff)
	}
	if r := c.run("verify"); r.code != exitOK {
		t.Errorf("verify after rotation: exit %d: %s", r.code, r.stderr)
	}
}

// TestExplainAndUnmerge explains a profile and a pair, unmerges a record
// and checks that the pair is then kept apart by the operator's rule.
func TestExplainAndUnmerge(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	r := c.ok("explain", "13912345601")
	for _, want := range []string{"王芳", "what links each record", "pos/pos/SZ01/SZ01-25111501", "member (pos)", "unionid", "linking identifiers"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "M1001") || strings.Contains(r.stdout, "oU9rTP01Hc2NpQ8sWx5yA") {
		t.Errorf("explain's links print identifier values:\n%s", r.stdout)
	}
	a, b := "pos/pos/SZ01/SZ01-25111501", "csv/csv/C0001"
	var pair struct {
		Same bool   `json:"same"`
		Rule string `json:"rule"`
	}
	json.Unmarshal([]byte(c.ok("explain", "--pair", a, b, "--json").stdout), &pair)
	if !pair.Same {
		t.Errorf("explain --pair %s %s: not one profile", a, b)
	}
	r = c.ok("unmerge", b)
	if !strings.Contains(r.stdout, "(new) now holds the record") {
		t.Errorf("unmerge says %q", r.stdout)
	}
	json.Unmarshal([]byte(c.ok("explain", "--pair", a, b, "--json").stdout), &pair)
	if pair.Same || pair.Rule != "do_not_link" {
		t.Errorf("after unmerge: same %v rule %q; want apart by do_not_link", pair.Same, pair.Rule)
	}
	if r := c.run("unmerge", "pos/pos/NO/SUCH"); r.code != exitNotFound {
		t.Errorf("unmerge of an unknown record: exit %d, want 1", r.code)
	}
	if r := c.run("explain", "--pair", a, "pos/pos/NO/SUCH"); r.code != exitNotFound {
		t.Errorf("explain --pair of an unknown record: exit %d, want 1", r.code)
	}
}

// TestWatch reads the change feed until the command is stopped: the
// writer cancels the context once it has seen a number of events, as an
// operator's Ctrl-C would.
func TestWatch(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := cancelAfter(5, cancel)
	var errb strings.Builder
	code := run(ctx, []string{"watch", "--db", c.db, "--key-file", c.key}, strings.NewReader(""), w, &errb)
	if code != exitOK {
		t.Fatalf("watch: exit %d: %s", code, errb.String())
	}
	type event struct {
		Cursor, Kind, Profile, To string
	}
	evs := jsonLines[event](t, w.b.String())
	if len(evs) < 5 {
		t.Fatalf("watch printed %d events before it stopped", len(evs))
	}
	for _, ev := range evs {
		if ev.Cursor == "" || ev.Kind == "" || len(ev.Profile) != 32 {
			t.Errorf("event %+v lacks a cursor, kind or profile", ev)
		}
	}
	// Resuming after the third event starts with the fourth.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	w2 := cancelAfter(1, cancel2)
	run(ctx2, []string{"watch", "--after", evs[2].Cursor, "--db", c.db, "--key-file", c.key}, strings.NewReader(""), w2, &errb)
	if got := jsonLines[event](t, w2.b.String()); len(got) == 0 || got[0] != evs[3] {
		t.Errorf("watch --after the third event starts with %+v, want %+v", got, evs[3])
	}
}

// cancelAfter collects lines and cancels a context after n of them.
// cancelWhen collects what is written and cancels once done says the
// output so far is enough.
type cancelWhen struct {
	b      strings.Builder
	done   func(out string) bool
	cancel context.CancelFunc
}

func (w *cancelWhen) Write(p []byte) (int, error) {
	w.b.Write(p)
	if w.done(w.b.String()) {
		w.cancel()
	}
	return len(p), nil
}

// cancelAfter cancels after n lines.
func cancelAfter(n int, cancel context.CancelFunc) *cancelWhen {
	return &cancelWhen{done: func(out string) bool { return strings.Count(out, "\n") >= n }, cancel: cancel}
}

// cancelOn cancels once the output holds sub.
func cancelOn(sub string, cancel context.CancelFunc) *cancelWhen {
	return &cancelWhen{done: func(out string) bool { return strings.Contains(out, sub) }, cancel: cancel}
}

// TestRestoreRefusals restores damaged backups and restores into a new
// database without a journal: each is refused with nothing replaced, and
// a forced restore says which erasures it could not apply again. Before,
// a truncated backup emptied the database, a flipped byte restored, and a
// new database was told "erasures since the backup applied again" with
// the erased customer back.
func TestRestoreRefusals(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	backup := filepath.Join(c.dir, "before.bak")
	c.ok("backup", backup)
	const phone = "13698765403"
	c.ok("erase", phone, "--yes")
	before := c.stats()
	body, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(body)
	flipped[len(flipped)/2] ^= 1
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"truncated", body[:len(body)*2/3]},
		{"byte flipped", flipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(c.dir, "damaged.bak")
			if err := os.WriteFile(f, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			r := c.run("restore", f)
			if r.code != exitFailure || !strings.Contains(r.stderr, "damaged") || !strings.Contains(r.stderr, "nothing was replaced") {
				t.Errorf("restore of a %s backup: exit %d, stderr %q; want 3, damaged, nothing replaced", tc.name, r.code, r.stderr)
			}
			if diff := cmp.Diff(before, c.stats()); diff != "" {
				t.Errorf("the refused restore changed the database (-want +got):\n%s", diff)
			}
			if r := c.run("get", phone); r.code != exitNotFound {
				t.Errorf("get of the erased customer after a refused restore: exit %d, want 1", r.code)
			}
			if r := c.run("verify"); r.code != exitOK {
				t.Errorf("verify after a refused restore: exit %d\n%s", r.code, r.stdout)
			}
		})
	}

	fresh := *c
	fresh.db = filepath.Join(c.dir, "fresh")
	r := fresh.run("restore", backup)
	if r.code != exitUsage || !strings.Contains(r.stderr, "not known") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("restore into a new database without a journal: exit %d, stderr %q; want 2, naming --force", r.code, r.stderr)
	}
	if _, err := os.Stat(fresh.db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused restore left a database behind (stat: %v)", err)
	}
	r = fresh.ok("restore", "--force", backup)
	for _, want := range []string{"0 from this database's journal, 0 from the erasure journal file, 0 from the backup", "not applied again: erasures made after the backup was taken"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("forced restore says %q, want %q", r.stdout, want)
		}
	}
	if strings.Contains(r.stdout, "erasures since the backup applied again") {
		t.Errorf("forced restore claims the erasures since the backup were applied: %q", r.stdout)
	}
	r = c.ok("restore", backup)
	if want := "1 from this database's journal"; !strings.Contains(r.stdout, want) {
		t.Errorf("restore into the database that erased says %q, want %q", r.stdout, want)
	}
}

// TestDamagedProfileCLI damages one sealed profile: stage and export list
// every other profile, name the damaged one on stderr and exit 3 with the
// count; erase removes it and the listings are whole again.
func TestDamagedProfileCLI(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	const phone = "13812345602"
	p := jsonLines[profileJSON](t, c.ok("get", "--json", phone).stdout)[0]
	all := len(c.export("internal"))
	text, err := os.ReadFile(c.key)
	if err != nil {
		t.Fatal(err)
	}
	root, err := crypto.ParseRootKey(text)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.OpenBadger(store.BadgerOptions{Dir: c.db, EncryptionKey: root.AtRestKey()})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := store.ParseProfileID(p.ID)
	k := append([]byte{'P'}, id[:]...)
	err = b.Update(context.Background(), func(tx store.Txn) error {
		v, err := tx.Get(k)
		if err != nil {
			return err
		}
		v[len(v)-1] ^= 1
		return tx.Set(k, v)
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	r := c.run("export", "--purpose", "internal")
	if r.code != exitFailure || !strings.Contains(r.stderr, "skipped damaged profile "+p.ID) || !strings.Contains(r.stderr, "1 damaged profile skipped") {
		t.Errorf("export with a damaged profile: exit %d, stderr %q; want 3 naming %s and the count", r.code, r.stderr, p.ID)
	}
	if got := len(jsonLines[profileJSON](t, r.stdout)); got != all-1 {
		t.Errorf("export listed %d profiles, want the %d others", got, all-1)
	}
	if r := c.run("stage", p.Stage); r.code != exitFailure || !strings.Contains(r.stderr, p.ID) {
		t.Errorf("stage with a damaged profile: exit %d, stderr %q", r.code, r.stderr)
	}
	r = c.run("verify", "--repair")
	if want := "damaged: profile " + p.ID; r.code != exitNotFound || !strings.Contains(r.stdout, want) {
		t.Errorf("verify --repair with a damaged profile: exit %d, stdout %q; want 1 and %q", r.code, r.stdout, want)
	}
	c.ok("erase", p.ID, "--yes")
	if got := len(c.export("internal")); got != all-1 {
		t.Errorf("export after erasing the damaged profile: %d profiles, want %d", got, all-1)
	}
	if r := c.run("verify"); r.code != exitOK {
		t.Errorf("verify after erasing the damaged profile: exit %d\n%s", r.code, r.stdout)
	}
}

// TestFullDiskCLI runs the commands on a tmpfs mounted for the test
// (skipped where it cannot be), filled until less space is free than the
// database keeps in reserve: an import exits 3 naming the directory and
// the space left, with nothing written, read commands go on, and once
// space is back the database verifies. (store's TestFullTmpfs fills a
// filesystem to the end: without the reserve, Badger's mapped writes
// raise SIGBUS, a Go stack trace and exit 2.)
func TestFullDiskCLI(t *testing.T) {
	c := newCLI(t)
	mnt := filepath.Join(c.dir, "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=200m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	c.db = filepath.Join(mnt, "db")
	c.importFixtures()
	before := c.stats()
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(mnt, "filler")
	free := int64(st.Bavail) * int64(st.Bsize)
	if err := os.WriteFile(filler, make([]byte, free-100<<20), 0o600); err != nil { // 100 MiB left, under the 144 MiB reserve
		t.Fatal(err)
	}
	group := fixtureGroups(t)[0]
	args := append([]string{"import", "--format", string(group.format), "--source", "another"}, group.files...)
	if group.mapping != "" {
		args = append(args, "--map", group.mapping)
	}
	r := c.run(args...)
	if r.code != exitFailure || !strings.Contains(r.stderr, "MiB free") || !strings.Contains(r.stderr, c.db) {
		t.Errorf("import onto a full disk: exit %d, stderr %q; want 3 naming %s and the MiB free", r.code, r.stderr, c.db)
	}
	if diff := cmp.Diff(before, c.stats()); diff != "" {
		t.Errorf("stats on the full disk (-want +got):\n%s", diff)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if r := c.run("verify"); r.code != exitOK {
		t.Errorf("verify once space is back: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRestage checks that the command opens a database under its own
// stored rules, refuses --rules that differ naming the field, and that
// restage re-stages everything under new rules, says how many profiles
// changed, and makes them the database's.
func TestRestage(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	before := c.stats()
	loyal2 := filepath.Join(c.dir, "loyal2.json")
	if err := os.WriteFile(loyal2, []byte(`{"Stage": {"LoyalOrders": 2}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	defaults := filepath.Join(c.dir, "defaults.json")
	if err := os.WriteFile(defaults, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := c.run("stats", "--rules", loyal2); r.code != exitUsage || !strings.Contains(r.stderr, "Stage.LoyalOrders stored default, given 2") {
		t.Errorf("stats --rules with other rules: exit %d, stderr %q; want 2 and the rule named", r.code, r.stderr)
	}
	var sum scv.RestageSummary
	if err := json.Unmarshal([]byte(c.ok("restage", "--rules", loyal2, "--json").stdout), &sum); err != nil {
		t.Fatal(err)
	}
	after := c.stats()
	if sum.StageChanged == 0 || sum.Changed < sum.StageChanged || len(sum.Rules) != 1 || sum.Rules[0].Field != "Stage.LoyalOrders" {
		t.Errorf("restage summary %+v, want stages changed and the rule named", sum)
	}
	if after.Stages["loyal"] <= before.Stages["loyal"] {
		t.Errorf("loyal profiles: %d before, %d after LoyalOrders 2", before.Stages["loyal"], after.Stages["loyal"])
	}
	c.ok("stats", "--rules", loyal2) // the database's rules now
	if r := c.run("stats", "--rules", defaults); r.code != exitUsage {
		t.Errorf("stats with the defaults after the restage: exit %d, want 2", r.code)
	}
	r := c.ok("restage", "--rules", defaults)
	if !strings.Contains(r.stdout, "Stage.LoyalOrders: 2 -> default") {
		t.Errorf("restage back to the defaults printed:\n%s", r.stdout)
	}
	if got := c.stats(); !maps.Equal(got.Stages, before.Stages) {
		t.Errorf("stages after restaging back to the defaults: %v, want %v", got.Stages, before.Stages)
	}
}
