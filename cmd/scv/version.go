package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// modulePath is the module scv is built from.
const modulePath = "github.com/scv-go/scv"

// versionLine returns what "scv version" prints: the module version
// ("(devel)" for a build from a work tree), the commit and its time from
// the build's version-control stamp, and the Go release and platform.
func versionLine() string {
	version, commit, when, modified := "(devel)", "unknown", "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && info.Main.Path == modulePath {
			version = v
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
				if len(commit) > 12 {
					commit = commit[:12]
				}
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "scv %s (commit %s", version, commit)
	if when != "" {
		fmt.Fprintf(&b, ", %s", when)
	}
	if modified {
		b.WriteString(", modified")
	}
	fmt.Fprintf(&b, "; %s %s/%s)", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

func setupVersion(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(_ context.Context, args []string) error {
		if err := wantArgs("version", args, 0, "no arguments"); err != nil {
			return err
		}
		writeVersion(e.stdout)
		return nil
	}
}

func writeVersion(w io.Writer) { fmt.Fprintln(w, versionLine()) }
