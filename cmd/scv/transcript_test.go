package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run this test binary as the scv command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"scv": main})
}

// docsCLI is the documentation whose transcripts TestDocTranscripts runs.
var docsCLI = filepath.Join("..", "..", "docs", "cli.md")

// TestDocTranscripts runs every "$ scv ..." example of docs/cli.md, in
// order, in one directory with the repository's fixtures under testdata/
// and the environment the document states, and checks that each prints
// what the document shows: a changed output fails here until the
// document is changed with it. In the document's outputs, profile ids
// (32 hex digits), key ids (16), cursors, byte counts, timestamps with
// fractions of a second and "..." (a whole line: any lines; in a line: any
// text) stand for whatever the run prints. "$ export VAR=value" sets the
// environment of the steps after it; "scv watch" is interrupted after two
// seconds; the restage example's loyal2.json is written first, as the
// document says.
func TestDocTranscripts(t *testing.T) {
	doc, err := os.ReadFile(docsCLI)
	if err != nil {
		t.Fatal(err)
	}
	steps := transcripts(string(doc))
	if len(steps) < 10 {
		t.Fatalf("found %d transcripts in %s, want the examples of every command", len(steps), docsCLI)
	}
	var script, files strings.Builder
	script.WriteString("env SCV_KEY_FILE=keys/scv.key\nenv SCV_AS_OF=" + asOfDay + "\nmkdir keys\n")
	for i, st := range steps {
		fmt.Fprintf(&script, "# %s\n", st.line)
		switch {
		case st.env != "":
			fmt.Fprintf(&script, "env %s\n", st.env)
			continue
		case st.args[0] == "watch":
			// watch runs until interrupted: interrupt it once it has
			// caught up.
			fmt.Fprintf(&script, "exec %s &watch&\nsleep 2s\nkill -INT watch\nwait watch\n", st.quoted())
		case st.fails():
			fmt.Fprintf(&script, "! exec %s\n", st.quoted())
		default:
			fmt.Fprintf(&script, "exec %s\n", st.quoted())
		}
		fmt.Fprintf(&script, "transcript %d\n", i)
		fmt.Fprintf(&files, "-- expect/%d --\n%s", i, st.want)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cli.txtar"), []byte(script.String()+files.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	fixtures, err := filepath.Abs(fixturesDir)
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			if err := os.WriteFile(filepath.Join(env.WorkDir, "loyal2.json"), []byte(`{"Stage": {"LoyalOrders": 2}}`), 0o600); err != nil {
				return err
			}
			return os.Symlink(fixtures, filepath.Join(env.WorkDir, "testdata"))
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
			"transcript": func(ts *testscript.TestScript, neg bool, args []string) {
				want := ts.ReadFile("expect/" + args[0])
				got := strings.TrimRight(ts.ReadFile("stdout")+ts.ReadFile("stderr"), "\n") + "\n"
				if !transcriptPattern(want).MatchString(got) {
					ts.Fatalf("docs/cli.md shows:\n%s\nthe command printed:\n%s", want, got)
				}
			},
		},
	})
}

// step is one "$ scv ..." line of a transcript and the output shown
// under it.
type step struct {
	line string   // the command line as shown, without "$ "
	args []string // its words, quotes removed
	want string   // the lines shown under it
	env  string   // VAR=value of an "export VAR=value" line instead
}

// transcripts returns the steps of the document's code blocks, in order.
func transcripts(doc string) []step {
	var steps []step
	in := false
	for line := range strings.SplitSeq(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			in = !in
			continue
		}
		switch {
		case !in:
		case strings.HasPrefix(line, "$ scv "):
			cmd := strings.TrimPrefix(line, "$ ")
			steps = append(steps, step{line: cmd, args: shellWords(cmd)[1:]})
		case strings.HasPrefix(line, "$ export "):
			steps = append(steps, step{line: line[2:], env: strings.TrimPrefix(line, "$ export ")})
		case strings.HasPrefix(line, "$ "):
			steps = append(steps, step{}) // not scv: its output is not checked
		case len(steps) > 0 && steps[len(steps)-1].line != "" && steps[len(steps)-1].env == "":
			steps[len(steps)-1].want += line + "\n"
		}
	}
	out := steps[:0]
	for _, st := range steps {
		if st.line != "" {
			out = append(out, st)
		}
	}
	return out
}

// shellWords splits a command line as a shell does for plain words and
// double or single quotes.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	quote, inWord := rune(0), false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
			}
			inWord = false
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// quoted returns the step's command for a testscript line.
func (st step) quoted() string {
	q := make([]string, len(st.args)+1)
	q[0] = "scv"
	for i, a := range st.args {
		q[i+1] = "'" + strings.ReplaceAll(a, "'", "''") + "'"
	}
	return strings.Join(q, " ")
}

// fails reports whether the step's output shows an error: a line
// "scv: ..." that is neither a warning nor a note.
func (st step) fails() bool {
	for line := range strings.SplitSeq(st.want, "\n") {
		if strings.HasPrefix(line, "scv: ") && !strings.HasPrefix(line, "scv: warning") && !strings.HasPrefix(line, "scv: more") {
			return true
		}
	}
	return false
}

// stand are the values a transcript shows for what changes from run to
// run, and the patterns they stand for.
var stand = []struct{ re, pattern string }{
	{`[0-9a-f]{32}`, `[0-9a-f]{32}`},
	{`\b[0-9a-f]{16}\b`, `[0-9a-f]{16}`},
	{`--after \S+`, `--after \S+`},
	{`"cursor":"[^"]*"`, `"cursor":"[^"]*"`},
	{`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z`, `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`},
	{`\(\d+ bytes\)`, `\(\d+ bytes\)`},
	{`\.\.\.`, `.*`},
}

var standRE = func() *regexp.Regexp {
	parts := make([]string, len(stand))
	for i, s := range stand {
		parts[i] = "(" + s.re + ")"
	}
	return regexp.MustCompile(strings.Join(parts, "|"))
}()

// transcriptPattern returns the regular expression a command's output,
// ending with one newline, must match to be what the transcript shows.
func transcriptPattern(want string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	lines := strings.Split(strings.TrimRight(want, "\n"), "\n")
	for _, line := range lines {
		if strings.TrimSpace(line) == "..." {
			b.WriteString(`(?:[^\n]*\n)*?`)
			continue
		}
		rest := strings.TrimRight(line, " ")
		for rest != "" {
			loc := standRE.FindStringSubmatchIndex(rest)
			if loc == nil {
				b.WriteString(regexp.QuoteMeta(rest))
				break
			}
			b.WriteString(regexp.QuoteMeta(rest[:loc[0]]))
			for j := range stand {
				if loc[2+2*j] >= 0 {
					b.WriteString(stand[j].pattern)
					break
				}
			}
			rest = rest[loc[1]:]
		}
		b.WriteString(` *\n`)
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}
