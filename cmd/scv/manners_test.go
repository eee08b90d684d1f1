package main

import (
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestVersion checks that "scv version" and "scv --version" print the
// same version line: the module version, the commit and the Go release.
func TestVersion(t *testing.T) {
	a := run1(t, "version")
	b := run1(t, "--version")
	if a.code != exitOK || b.code != exitOK {
		t.Fatalf("exit %d and %d, want 0; stderr:\n%s%s", a.code, b.code, a.stderr, b.stderr)
	}
	if diff := cmp.Diff(a.stdout, b.stdout); diff != "" {
		t.Errorf("scv version and scv --version differ (-version +--version):\n%s", diff)
	}
	if !regexp.MustCompile(`^scv \S+ \(commit \S+.*go1\.\d+`).MatchString(a.stdout) {
		t.Errorf("scv version printed %q, want \"scv VERSION (commit REV ..., go1.N ...)\"", a.stdout)
	}
}

// TestHelpLongFlags checks that help names every flag with two dashes,
// as the documentation writes them.
func TestHelpLongFlags(t *testing.T) {
	single := regexp.MustCompile(`(^|[\s\[|])-[a-z]`)
	outputs := []string{run1(t, "help").stdout}
	for _, c := range commands() {
		r := run1(t, "help", c.name)
		if r.code != exitOK {
			t.Fatalf("scv help %s: exit %d", c.name, r.code)
		}
		outputs = append(outputs, r.stdout)
	}
	for _, out := range outputs {
		for line := range strings.SplitSeq(out, "\n") {
			if single.MatchString(line) {
				t.Errorf("help shows a flag with one dash: %q", line)
			}
		}
	}
	if r := run1(t, "stats", "--frobnicate"); !strings.Contains(r.stderr, "--frobnicate") {
		t.Errorf("an unknown flag is not named with two dashes: %q", r.stderr)
	}
}

// TestUsageLines checks that each command's usage line lists every flag
// of its own, and no flag it does not have; the global flags are shown
// once, in "scv help", and not under each command.
func TestUsageLines(t *testing.T) {
	globals := globalFlagNames()
	if len(globals) == 0 {
		t.Fatal("no global flags")
	}
	overview := run1(t, "help").stdout
	for _, g := range globals {
		if n := countLines(overview, "  --"+g+" "); n != 1 {
			t.Errorf("scv help describes --%s %d times, want once", g, n)
		}
	}
	flagRef := regexp.MustCompile(`--([a-z][a-z-]*)`)
	for _, c := range commands() {
		fs := newFlags(c.name)
		c.setup(fs, &env{})
		var own []string
		fs.VisitAll(func(f *flag.Flag) {
			if !slices.Contains(globals, f.Name) {
				own = append(own, f.Name)
			}
		})
		var listed []string
		for _, m := range flagRef.FindAllStringSubmatch(c.args, -1) {
			if !slices.Contains(listed, m[1]) {
				listed = append(listed, m[1])
			}
		}
		for _, f := range own {
			if !slices.Contains(listed, f) {
				t.Errorf("usage line of %s leaves out --%s: %q", c.name, f, c.args)
			}
		}
		for _, f := range listed {
			if fs.Lookup(f) == nil {
				t.Errorf("usage line of %s lists --%s, which it does not have", c.name, f)
			}
		}
		help := run1(t, "help", c.name).stdout
		if want := strings.TrimSpace("Usage: scv " + c.name + " " + c.args); !strings.Contains(help, want) {
			t.Errorf("scv help %s does not start with its usage line %q:\n%s", c.name, want, help)
		}
		for _, g := range globals {
			if countLines(help, "  --"+g+" ") > 0 && !slices.Contains(listed, g) {
				t.Errorf("scv help %s describes the global flag --%s again:\n%s", c.name, g, help)
			}
		}
	}
}

// countLines counts the lines of s that start with prefix.
func countLines(s, prefix string) int {
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			n++
		}
	}
	return n
}
