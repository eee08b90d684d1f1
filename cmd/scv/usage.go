package main

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// writeUsage prints the overview "scv help" shows: each command's usage
// line and summary, then the global flags, once.
func writeUsage(w io.Writer, cmds []*command) {
	fmt.Fprint(w, `scv keeps a single customer view: the people a brand meets on WeChat, on
Weibo, in its stores and e-commerce shops, merged into one encrypted profile
per person, keyed on the mobile phone number.

Usage:
  scv COMMAND [flags] [arguments]     (flags may also follow the arguments)
  scv help COMMAND                    (a command's flags, described)
  scv --version                       (the same as scv version)

Commands:
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "  scv %s\n        %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprint(w, "\nGlobal flags, of every command that opens the database:\n")
	fs := newFlags("global")
	new(env).dbFlags(fs)
	printFlags(w, fs, "", nil)
	fmt.Fprint(w, `
The key is --key-file FILE, else $SCV_KEY_FILE (a path), else $SCV_KEY (the
key text): make one with "scv keygen --out FILE" and keep it away from the
database and its backups.

Exit status: 0 ok, 1 not found or verify failed, 2 usage or configuration
error (bad flags, missing or wrong key), 3 other failure.
`)
}

// writeUsage prints one command's usage line, description and flags;
// the global flags are named, and described in "scv help".
func (c *command) writeUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: scv %s\n\n%s.\n", strings.TrimSpace(c.name+" "+c.args), strings.ToUpper(c.summary[:1])+c.summary[1:])
	if text := commandHelp[c.name]; text != "" {
		fmt.Fprintf(w, "\n%s\n", text)
	}
	globals := globalFlagNames()
	var own []string
	hasGlobals := false
	fs.VisitAll(func(f *flag.Flag) {
		// A global flag the usage line names (restage's --rules) is
		// described with the command's own.
		if slices.Contains(globals, f.Name) && !strings.Contains(c.args, "--"+f.Name) {
			hasGlobals = true
			return
		}
		own = append(own, f.Name)
	})
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, fs, c.args, own)
	}
	if hasGlobals {
		fmt.Fprintf(w, "\nGlobal flags: --%s (see \"scv help\").\n", strings.Join(globals, ", --"))
	}
}

// printFlags describes the flags of fs named in names (all when nil),
// with two dashes, as the documentation writes them: each flag with its
// value's name (taken from the usage line args, else from the global
// flags' names), then its description and default.
func printFlags(w io.Writer, fs *flag.FlagSet, args string, names []string) {
	fs.VisitAll(func(f *flag.Flag) {
		if names != nil && !slices.Contains(names, f.Name) {
			return
		}
		head := "  --" + f.Name
		if v := flagValueName(f, args); v != "" {
			head += " " + v
		}
		_, usage := flag.UnquoteUsage(f)
		if def := f.DefValue; def != "" && def != "false" && def != "0" && !strings.Contains(usage, "(default") {
			usage += fmt.Sprintf(" (default %s)", def)
		}
		if len(head) <= 26 {
			fmt.Fprintf(w, "%-28s%s\n", head, usage)
		} else {
			fmt.Fprintf(w, "%s\n%28s%s\n", head, "", usage)
		}
	})
}

// globalValueNames are the value names of the global flags.
var globalValueNames = map[string]string{"db": "DIR", "key-file": "FILE", "erasure-journal": "FILE", "as-of": "YYYY-MM-DD", "rules": "FILE"}

// flagValueName returns the name of a flag's value: the word after the
// flag in the usage line args, the global flag's value name, or VALUE;
// "" for a boolean flag.
func flagValueName(f *flag.Flag, args string) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return ""
	}
	if m := regexp.MustCompile(`--` + regexp.QuoteMeta(f.Name) + `[ =]([^\s\]]+)`).FindStringSubmatch(args); m != nil {
		return m[1]
	}
	if v := globalValueNames[f.Name]; v != "" {
		return v
	}
	return "VALUE"
}

// commandHelp holds the longer descriptions "scv help COMMAND" prints.
var commandHelp = map[string]string{
	"keygen": `The key is the root of every key that protects the database: keep it in
a file of mode 0600 on another volume than the data, or in a secret
manager, and out of the database's backups. Without the key the database
and its backups cannot be read.`,
	"import": `Each FILE is read with the format's adapter ("-" reads stdin). A record
that cannot be used is quarantined with its reason; nothing is dropped:
read = accepted + quarantined. Importing the same file again changes
nothing. --map maps CSV fields to column headers, as field=column pairs
separated by commas; --map-file reads them from a file (one line, or one
pair per line). --format auto tells each file's format by its content. A
file none of whose first records decodes in the format given is refused
before anything is written (exit status 2), naming the format it looks
like; so is, after its import, a file most of whose records are
malformed. A record over 1 MiB is quarantined as too_large. A JSON array
that breaks where reading cannot resume is reported unread from a byte
offset, and the import ends with exit status 1. A progress line is drawn
on stderr when it is a terminal. Ctrl-C stops after the current batch,
which is committed; with --json the summary is still printed.`,
	"get": `An argument of 32 hex digits is a profile id, one with slashes a record
key (channel/source/id, as the sources list them); anything else is a
phone number in any spelling (+86, 0086, spaces, dashes, full-width
digits). --kind looks up another identifier: unionid, openid, member,
buyer, weibo or email; an openid, member number or buyer id needs --scope
(the app id, the member number's source, the platform). A phone or
identifier that merge protection keeps on several profiles lists them
all; exit status 1 only when there is none. --detail adds the orders,
interactions, surveys and stage history, each with its record key.`,
	"stage": `Stages: potential, target, first_purchase, repeat, loyal, advocate.
Risks: none, active, at_risk, lapsed. When --limit cuts the listing, the
cursor to pass to --after is printed (with --json, as a last line
{"cursor": CURSOR}). A profile that cannot be opened (it fails
authentication) is named on stderr and skipped; the listing goes on and
ends with exit status 3 and the count.`,
	"export": `"internal" is the brand's own use and lists every profile; the other
purposes list only the profiles that consented to them. The output is
one JSON profile per line (--json is accepted and implied). A profile
that cannot be opened is named on stderr and skipped, and the export
ends with exit status 3 and the count.`,
	"verify": `--repair first rebuilds the stage and identifier indexes from the
profiles that open and lists, by id, those that do not (erase them, or
restore a backup); then verifies. Badger's table checksums are checked
too.`,
	"explain": `With one argument (a phone number or profile id): the profile and, for
each of its records, the identifier kinds that link it to the others.
With --pair: whether two source records (channel/source/id, as "scv get"
lists them) are one profile, and why, or which rule keeps them apart.`,
	"unmerge": `The record leaves its profile with a do-not-link against the profile's
other records; the larger part keeps the profile id.`,
	"erase": `Erasure is irreversible: the profile's data key is destroyed, its
records are tombstoned so that a re-import cannot bring it back, and
restores of older backups erase it again. It requires --yes.`,
	"rotate-key": `Without --new-key-file: rotates the key-encryption key while the
database stays in use; --retire then deletes the old epochs. With
--new-key-file FILE: replaces the root key; no other process may have the
database open. Keep the old key as long as you keep backups made before
the rotation: they open only with it.`,
	"refresh": `Stages and risks change as time passes (a lapsed customer, an order
leaving the 365-day window). Read commands refresh before they read; this
command does it on its own and prints what changed.`,
	"backup": `The backup is sealed like the database and useless without the root
key. FILE must not exist ("-" writes to stdout).`,
	"restore": `The backup is read and authenticated whole, loaded beside the database
(DIR.restore-new), and every erasure recorded in the database, in the
--erasure-journal and in the backup is applied again there; only then is
it swapped in for the database. A backup made under another root key, a
truncated or altered backup, or a disk too full for it is refused with
nothing replaced; so is a restore into a new database when no
--erasure-journal holds an erasure, since erasures made after the backup
was taken are then not known (--force restores anyway and says so).
Interrupted (Ctrl-C, a kill) before the swap, the database is as it was;
after it, the restore is complete. The output says how many erasures
came from where.`,
	"maintain": `Badger discards old versions in its background compactions; values
kept in its value log are reclaimed only when asked. Run this on a schedule
(for example nightly, from cron); it needs the database to itself.`,
	"quarantine": `Each entry names the source, file, line, field and reason. Record ids are
shown only for sources whose ids are order or receipt numbers (ecommerce,
pos), never for WeChat openids, Weibo uids or member numbers. The
quarantine keeps each record as read, sealed (up to 64 KiB): "retry" runs
the entries --file, --reason and --source select again, with --region and
--map or --map-file as fixed, and removes the entries of those that are
now accepted; "drop" removes the entries it selects.`,
	"demo": `Creates a key and a database in a temporary directory (removed
afterwards), imports every fixture (the directory name is the format; a
NAME.map file beside a csv holds its column mapping), and prints what was
imported, the stage summary, the quarantine by reason and the loyal
customer's profile with what links its records. The fixtures are dated up
to November 2026: --as-of 2026-11-23 gives the stages testdata/README.md
lists.`,
}

// globalFlagNames returns the flags every database command shares, which
// help describes once.
func globalFlagNames() []string {
	fs := newFlags("global")
	new(env).dbFlags(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}
