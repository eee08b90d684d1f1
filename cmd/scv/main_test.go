package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestUsageErrors checks that bad command lines end with exit status 2
// and a message that says what is wrong, before anything is opened.
func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	db := []string{"--db", c.db, "--key-file", c.key}
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no command", nil, exitUsage, "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"help of unknown command", []string{"help", "frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", append([]string{"stats", "--frobnicate"}, db...), exitUsage, "flag provided but not defined: --frobnicate"},
		{"missing key", []string{"stats", "--db", c.db}, exitUsage, "scv keygen --out FILE"},
		{"missing key file", []string{"stats", "--db", c.db, "--key-file", filepath.Join(c.dir, "nope.key")}, exitUsage, "does not exist"},
		{"bad --as-of", append([]string{"stats", "--as-of", "2026-13-01"}, db...), exitUsage, "bad --as-of"},
		{"bad --as-of form", append([]string{"stage", "loyal", "--as-of", "23/11/2026"}, db...), exitUsage, "want a date as YYYY-MM-DD"},
		{"missing --format", append([]string{"import", "x.csv"}, db...), exitUsage, "--format is required"},
		{"bad --format", append([]string{"import", "--format", "xml", "x.csv"}, db...), exitUsage, `unknown --format "xml"`},
		{"--map for json", append([]string{"import", "--format", "wechat", "--map", "phone=tel", "x"}, db...), exitUsage, "--map is for --format csv only"},
		{"bad --map", append([]string{"import", "--format", "csv", "--map", "shoe=size", "x"}, db...), exitUsage, "bad --map"},
		{"--source with a slash", append([]string{"import", "--format", "pos", "--source", "a/b", "x"}, db...), exitUsage, "must not contain"},
		{"--source named after another format", append([]string{"import", "--format", "wechat", "--source", "pos", "x"}, db...), exitUsage, "name of another format"},
		{"import without files", append([]string{"import", "--format", "pos"}, db...), exitUsage, "no FILE"},
		{"import of a missing file", append([]string{"import", "--format", "pos", filepath.Join(c.dir, "none.csv")}, db...), exitUsage, "cannot read"},
		{"stdin twice", append([]string{"import", "--format", "pos", "-", "-"}, db...), exitUsage, "given 2 times"},
		{"no database", append([]string{"stats"}, db...), exitUsage, "no database in"},
		{"get without argument", append([]string{"get"}, db...), exitUsage, "want one PHONE, profile ID or RECORDKEY"},
		{"unknown stage", append([]string{"stage", "vip"}, db...), exitUsage, `unknown stage "vip"`},
		{"bad --risk", append([]string{"stage", "loyal", "--risk", "high"}, db...), exitUsage, `unknown --risk "high"`},
		{"bad --channel", append([]string{"stage", "loyal", "--channel", "tiktok"}, db...), exitUsage, `unknown --channel "tiktok"`},
		{"negative --limit", append([]string{"stage", "loyal", "--limit", "-1"}, db...), exitUsage, "must not be negative"},
		{"bad --purpose", append([]string{"export", "--purpose", "resale"}, db...), exitUsage, "--purpose must be"},
		{"erase without --yes", append([]string{"erase", "13912345601"}, db...), exitUsage, "pass --yes"},
		{"explain --pair with one key", append([]string{"explain", "--pair", "pos/pos/1"}, db...), exitUsage, "two RECORDKEYs"},
		{"unmerge of a bad key", append([]string{"unmerge", "nonsense"}, db...), exitUsage, "not a record key"},
		{"rotate-key --retire with --new-key-file", append([]string{"rotate-key", "--retire", "--new-key-file", c.key}, db...), exitUsage, "does not go with"},
		{"keygen with an argument", []string{"keygen", "extra"}, exitUsage, "want no arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run1(t, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, r.stderr)
			}
			if tc.code == exitUsage && tc.args != nil && !strings.HasPrefix(r.stderr, "scv: ") {
				t.Errorf("stderr is not prefixed \"scv: \":\n%s", r.stderr)
			}
		})
	}
	// A phone number typed in the wrong place is never repeated.
	for _, args := range [][]string{
		{"13912345601"},
		append([]string{"stage", "+86 139 1234 5601"}, db...),
		append([]string{"stage", "loyal", "--limit", "139-1234-5601"}, db...),
		append([]string{"get", "--json=13912345601"}, db...),
		append([]string{"stage", "loyal", "--risk", "13912345601"}, db...),
		append([]string{"import", "--format", "13912345601", "x"}, db...),
	} {
		r := run1(t, args...)
		if r.code != exitUsage || strings.Contains(r.stderr, "1234") || !strings.Contains(r.stderr, "(value not shown)") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the value not shown", args, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Errorf("a usage error created the database directory (stat: %v)", err)
	}
}

// TestHelp checks that help and -h print usage on stdout with status 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"help", "import"}, {"import", "-h"}, {"stage", "--help"}, {"get", "13912345601", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := run1(t, args...)
			if r.code != exitOK || !strings.Contains(r.stdout, "Usage:") || r.stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0 and usage on stdout", r.code, r.stdout, r.stderr)
			}
		})
	}
	r := run1(t, "help", "import")
	for _, flag := range []string{"-format", "-source", "-region", "-map", "-json", "-db", "-key-file", "-as-of"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("help import does not list %s", flag)
		}
	}
}

// TestParseInterleaved checks that flags may come before, between and
// after positional arguments, and that "--" ends them.
func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantJSON bool
		wantSrc  string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, false, ""},
		{[]string{"--json", "a", "b"}, []string{"a", "b"}, true, ""},
		{[]string{"a", "--json", "b", "--source", "s"}, []string{"a", "b"}, true, "s"},
		{[]string{"a", "b", "--source=s", "--json"}, []string{"a", "b"}, true, "s"},
		{[]string{"-", "--json"}, []string{"-"}, true, ""},
		{[]string{"a", "--", "--json", "b"}, []string{"a", "--json", "b"}, false, ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			e := &env{now: time.Now, getenv: func(string) string { return "" }}
			fs := newFlags("x")
			asJSON := fs.Bool("json", false, "")
			src := fs.String("source", "", "")
			pos, err := e.parse(&command{name: "x"}, fs, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantPos, pos); diff != "" {
				t.Errorf("positional arguments (-want +got):\n%s", diff)
			}
			if *asJSON != tc.wantJSON || *src != tc.wantSrc {
				t.Errorf("json %v source %q, want %v %q", *asJSON, *src, tc.wantJSON, tc.wantSrc)
			}
		})
	}
}

// TestAsOf checks how --as-of becomes an instant: the end of the day in
// China Standard Time, or now when the day is today.
func TestAsOf(t *testing.T) {
	now := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC) // 19:00 in China
	tests := []struct {
		text string
		want time.Time
		set  bool
	}{
		{"", now, false},
		{"2026-11-22", time.Date(2026, 11, 22, 23, 59, 59, 999999999, chinaTime), true},
		{"2026-11-23", now, true},
		{"2026-12-01", time.Date(2026, 12, 1, 23, 59, 59, 999999999, chinaTime), true},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			e := &env{now: func() time.Time { return now }, asOfText: tc.text}
			if err := e.resolveAsOf(); err != nil {
				t.Fatal(err)
			}
			if !e.asOf.Equal(tc.want) || e.asOfSet != tc.set {
				t.Errorf("as of %v (set %v), want %v (set %v)", e.asOf, e.asOfSet, tc.want, tc.set)
			}
			if asOf := e.asOfFunc(); (asOf != nil) != tc.set {
				t.Errorf("as-of function set %v, want %v", asOf != nil, tc.set)
			} else if asOf != nil && !asOf().Equal(tc.want) {
				t.Errorf("as-of function gives %v, want %v", asOf(), tc.want)
			}
		})
	}
}

// TestKeygen checks that keygen prints a key that opens a database, and
// that --out writes a file of mode 0600 and never overwrites one.
func TestKeygen(t *testing.T) {
	c := newCLI(t)
	r := run1(t, "keygen")
	if r.code != exitOK || !strings.HasPrefix(strings.TrimSpace(lastLine(r.stdout)), "SCV-ROOT-KEY-1-") {
		t.Fatalf("keygen: exit %d, stdout %q", r.code, r.stdout)
	}
	t.Setenv("SCV_KEY", r.stdout)
	t.Setenv("SCV_DB", c.db)
	if r := run1(t, "import", "--format", "pos", filepath.Join(fixturesDir, "pos", "stores.csv")); r.code != exitOK {
		t.Fatalf("import with SCV_KEY and SCV_DB: exit %d: %s", r.code, r.stderr)
	}
	if r := run1(t, "stats"); r.code != exitOK || !strings.Contains(r.stdout, "profiles by stage") {
		t.Errorf("stats with SCV_KEY: exit %d: %s", r.code, r.stderr)
	}

	out := filepath.Join(c.dir, "new.key")
	if r := run1(t, "keygen", "--out", out); r.code != exitOK {
		t.Fatalf("keygen --out: exit %d: %s", r.code, r.stderr)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	before, _ := os.ReadFile(out)
	r = run1(t, "keygen", "--out", out)
	after, _ := os.ReadFile(out)
	if r.code != exitUsage || string(before) != string(after) {
		t.Errorf("keygen over an existing file: exit %d, file changed %v; want 2 and unchanged", r.code, string(before) != string(after))
	}
	// A key file named by SCV_KEY_FILE wins over SCV_KEY: with the new
	// key, the database refuses to open.
	t.Setenv("SCV_KEY_FILE", out)
	if r := run1(t, "stats"); r.code != exitUsage || !strings.Contains(r.stderr, "wrong key") {
		t.Errorf("stats with SCV_KEY_FILE of another key: exit %d, stderr %q; want 2 and wrong key", r.code, r.stderr)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
