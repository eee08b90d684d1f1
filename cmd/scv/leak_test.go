package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// needles returns the personal data of the fixtures, each at least 4
// bytes: every identifier value (phones as E.164, as national digits and
// as the files spell them), every withheld value, and every name, nick,
// remark and text the records carry.
func needles(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	addNeedle := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= 4 {
			set[s] = true
		}
	}
	var nationals []string
	for _, rec := range decodeFixtures(t) {
		for _, id := range rec.Identifiers {
			addNeedle(id.Value)
			if id.Kind == identity.KindPhone {
				national := strings.TrimPrefix(id.Value, "+86")
				addNeedle(national)
				nationals = append(nationals, national)
			}
		}
		for _, w := range rec.Withheld {
			// A service number (10086) or a staff placeholder is nobody's:
			// short and public, it would turn up in any long output.
			if w.Reason != identity.ReasonServicePhone && w.Reason != identity.ReasonPlaceholderPhone {
				addNeedle(w.Value)
			}
		}
		a := rec.Attributes
		for _, s := range []string{a.Name, a.Nickname, a.Remark, a.Bio} {
			addNeedle(s)
		}
		for _, in := range rec.Interactions {
			addNeedle(in.Text)
		}
		for _, fb := range rec.Feedback {
			addNeedle(fb.Text)
		}
	}
	// Phones as the files spell them: "139 1234 5601", "+86-139-8712-3322",
	// full-width digits.
	spelled := regexp.MustCompile(`[+＋]?[0-9０-９][0-9０-９ \-()]{5,}[0-9０-９]`)
	err := filepath.WalkDir(fixturesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, "golden") || strings.HasSuffix(path, ".md") {
			return err
		}
		b, err := os.ReadFile(path)
		for _, m := range spelled.FindAll(b, -1) {
			digits := strings.Map(func(r rune) rune {
				if unicode.IsDigit(r) {
					return r
				}
				return -1
			}, norm.NFKC.String(string(m)))
			for _, n := range nationals {
				if strings.HasSuffix(digits, n) {
					addNeedle(string(m))
				}
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	if len(out) < 100 {
		t.Fatalf("only %d distinct needles in the fixtures; want at least 100", len(out))
	}
	return out
}

// leaks returns the needles found in b.
func leaks(b []byte, needles []string) []string {
	var found []string
	for _, n := range needles {
		if bytes.Contains(b, []byte(n)) {
			found = append(found, n)
		}
	}
	return found
}

// scanDir fails the test for every file under dir that holds a needle,
// read as raw bytes. It names the file, not the needle.
func scanDir(t *testing.T, dir string, needles []string) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		found, err := scanFile(path, needles)
		if len(found) > 0 {
			t.Errorf("%s holds %d pieces of the fixtures' personal data in plaintext", filepath.Base(path), len(found))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// scanFile returns the needles in the file at path. It reads the file in
// chunks that overlap by the longest needle, and skips chunks of zeros
// quickly: an open Badger database has a sparse 2 GiB value log and a
// 128 MiB write-ahead log, mostly holes.
func scanFile(path string, needles []string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	longest := 0
	for _, n := range needles {
		longest = max(longest, len(n))
	}
	const chunk = 1 << 20
	buf := make([]byte, chunk+longest)
	zeros := make([]byte, len(buf))
	found := map[string]bool{}
	carry := 0
	for {
		n, err := io.ReadFull(f, buf[carry:carry+chunk])
		data := buf[:carry+n]
		if !bytes.Equal(data, zeros[:len(data)]) {
			for _, s := range leaks(data, needles) {
				found[s] = true
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
		carry = min(len(data), longest-1)
		copy(buf, data[len(data)-carry:])
	}
	return slices.Sorted(maps.Keys(found)), nil
}

// TestNoPlaintextOnDisk imports every fixture through the command and
// scans every file of the database for the fixtures' personal data, with
// Badger's encryption at rest on (the default) and off: the store's own
// sealing must leak nothing by itself. A third case scans an open
// database, whose write-ahead log holds the latest writes.
func TestNoPlaintextOnDisk(t *testing.T) {
	ns := needles(t)
	t.Logf("%d needles", len(ns))
	for _, variant := range []struct {
		name  string
		extra []string
	}{{"at-rest encryption", nil}, {"no at-rest encryption", []string{"--no-at-rest-encryption"}}} {
		t.Run(variant.name, func(t *testing.T) {
			c := newCLI(t)
			c.extra = variant.extra
			if sum := c.importFixtures(); sum.Accepted < 100 {
				t.Fatalf("%d records imported; the scan would prove little", sum.Accepted)
			}
			c.ok("refresh")
			if files := scanDir(t, c.db, ns); files < 3 {
				t.Errorf("scanned %d files; the database should have more", files)
			}
		})
	}
	t.Run("open, no at-rest encryption", func(t *testing.T) {
		c := newCLI(t)
		db, err := scv.Open(c.db, scv.Options{KeyFile: c.key, NoAtRestEncryption: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		files, _ := fixtureFiles(fixturesDir)
		for _, fx := range files {
			f, err := os.Open(fx.path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.IngestAll(context.Background(), identity.Decode(f, fx.format, fx.opts), scv.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		memtables := 0
		filepath.WalkDir(c.db, func(path string, d fs.DirEntry, err error) error {
			if strings.HasSuffix(path, ".mem") {
				memtables++
			}
			return err
		})
		if memtables == 0 {
			t.Error("no write-ahead log (.mem) in the open database: the case tests nothing")
		}
		scanDir(t, c.db, ns)
	})
}

// TestNoPersonalDataInMessages checks what the command prints where the
// operator did not ask for a profile: not-found errors for a phone the
// operator typed, erase, quarantine, import and stats.
func TestNoPersonalDataInMessages(t *testing.T) {
	ns := needles(t)
	c := newCLI(t)
	var outputs []result
	for _, group := range fixtureGroups(t) {
		args := append([]string{"import", "--format", string(group.format)}, group.files...)
		if group.mapping != "" {
			args = append(args, "--map", group.mapping)
		}
		outputs = append(outputs, c.ok(args...))
	}
	outputs = append(outputs,
		c.ok("erase", "+86 136 9876 5403", "--yes"),
		c.run("get", "13698765403"),
		c.run("get", "136 9876 5403", "--json"),
		c.run("erase", "13698765403", "--yes"),
		c.run("explain", "13698765403"),
		c.run("get", "13800000000"), // placeholder
		c.run("get", "4008123123"),  // service number
		c.run("get", "159****2310"), // masked
		c.ok("quarantine"),
		c.ok("quarantine", "--json"),
		c.ok("stats"),
		c.ok("verify"),
	)
	for i, r := range outputs {
		if found := leaks([]byte(r.stdout+r.stderr), ns); len(found) > 0 {
			t.Errorf("output %d (exit %d) holds personal data: %d needles, e.g. a %d-byte one", i, r.code, len(found), len(found[0]))
		}
	}
	for _, i := range []int{len(outputs) - 11, len(outputs) - 10} {
		if outputs[i].code != exitNotFound {
			t.Errorf("output %d: get of the erased phone: exit %d, want 1", i, outputs[i].code)
		}
	}
}

// TestScanFile checks the scanner the leak test relies on: it finds the
// needles in the fixtures themselves, and a needle that straddles two
// chunks after a run of zeros.
func TestScanFile(t *testing.T) {
	ns := needles(t)
	found, err := scanFile(filepath.Join(fixturesDir, "pos", "stores.csv"), ns)
	if err != nil || len(found) < 20 {
		t.Errorf("scanFile found %d needles in stores.csv (err %v), want many", len(found), err)
	}
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, 3<<20)
	copy(data[1<<20-3:], "王芳") // 6 bytes across the first chunk boundary
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	found, err = scanFile(path, []string{"王芳", "13912345601"})
	if err != nil || !slices.Equal(found, []string{"王芳"}) {
		t.Errorf("scanFile across a chunk boundary found %q (err %v), want [王芳]", found, err)
	}
}
