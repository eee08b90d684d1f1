// Command scv is the operator's tool for an scv single-customer-view
// database: it makes keys, imports channel exports, looks customers up,
// lists lifecycle stages, exports by consent purpose, erases, rotates keys,
// backs up, restores and verifies.
//
// # Usage
//
//	scv COMMAND [flags] [arguments]
//	scv help [COMMAND]
//	scv version          (or scv --version)
//
// Flags may come before or after the arguments. Output is human-readable
// by default and JSON with --json.
//
// # Key and database
//
// The root key comes from --key-file FILE, else the file named by
// SCV_KEY_FILE, else the key text in SCV_KEY; "scv keygen --out FILE"
// makes one. The command never generates a key on its own. The database
// is --db DIR, else SCV_DB, else ./scv-data; only import and restore create
// it. A postgres:// URL in their place names a PostgreSQL database that
// many processes share (see package store/engine/postgres for the URL's
// parameters). --erasure-journal FILE (or SCV_ERASURE_JOURNAL) names the
// external erasure journal of scv.Options.ErasureJournal.
//
// # Time
//
// --as-of YYYY-MM-DD (or SCV_AS_OF) computes stages as of the end of that
// day in China Standard Time (now, when the day is today); the default is
// now.
// Read commands (get, stage, stats, export, explain) given --as-of
// compute stages as of that time for their answer only: they store
// nothing and add nothing to the change feed. Without --as-of they
// refresh the stored stages to now before they read; "scv refresh" moves
// the stored stages to any time.
//
// # Exit status
//
// 0 success; 1 not found, or verify found a problem; 2 usage or
// configuration error (bad flags, missing or wrong key); 3 any other
// failure. Errors go to stderr prefixed "scv: " and never contain personal
// data, even data typed on the command line.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// The exit statuses.
const (
	exitOK       = 0
	exitNotFound = 1 // not found, or verify found problems
	exitUsage    = 2 // bad flags or arguments, missing or wrong key
	exitFailure  = 3 // anything else
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process as usual.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError is an error with the exit status it ends the command with.
// Its text is shown to the operator: it must hold no personal data.
type exitError struct {
	code int
	msg  string
	err  error // optional cause, for errors.Is in tests; not shown
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &exitError{code: exitNotFound, msg: fmt.Sprintf(format, args...)}
}

// command is one subcommand of scv. setup declares its flags on fs
// (bound to the env's common settings and its own variables) and returns
// the function that runs it with the positional arguments.
type command struct {
	name    string
	args    string // synopsis of flags and arguments
	summary string
	setup   func(fs *flag.FlagSet, e *env) func(ctx context.Context, args []string) error
}

// commands lists the subcommands in the order help shows them.
func commands() []*command {
	return []*command{
		{"keygen", "[--out FILE]", "print a new root key, or write it to a new file of mode 0600", setupKeygen},
		{"import", "--format wechat|weibo|ecommerce|pos|csv|auto [--source NAME] [--region CC] [--map field=column,... | --map-file FILE] [--json] [--no-sync] [--bulk] FILE...", "read channel exports into the database (- is stdin)", setupImport},
		{"get", "[--json] [--detail] [--region CC] PHONE|ID|RECORDKEY  |  --kind KIND [--scope SCOPE] VALUE", "show a customer's profile, by phone, profile id, record key or any identifier", setupGet},
		{"stage", "[--json] [--limit N] [--risk R] [--channel C] [--consent PURPOSE] [--active-since DATE] [--after CURSOR] STAGE", "list the profiles in a lifecycle stage", setupStage},
		{"stats", "[--json]", "count profiles by stage and risk, records, quarantined records", setupStats},
		{"export", "--purpose internal|marketing|personalisation|third_party [--json]", "write the profiles a purpose may use, one JSON object per line", setupExport},
		{"explain", "[--json] [--region CC] PHONE|ID  |  --pair RECORDKEY RECORDKEY", "show what links a profile's records, or why two records are (not) one profile", setupExplain},
		{"suggest", "[--json] [--limit N] [--min-probability P] [--min-score P] [--max-block N] [--show-names] [--region CC] [PHONE|ID]  |  --link-above P", "list pairs of profiles that may be the same person, for review (nothing is merged)", setupSuggest},
		{"unmerge", "RECORDKEY", "take a source record (channel/source/id) out of its profile and keep it apart", setupUnmerge},
		{"link", "[--actor NAME] ID|RECORDKEY ID|RECORDKEY", "undo an unmerge: let two profiles rejoin, recording who and when", setupLink},
		{"erase", "--yes [--region CC] PHONE|ID", "erase a customer for good (crypto-shredding) and suppress their identifiers", setupErase},
		{"unsuppress", "[--kind KIND] [--scope SCOPE] [--region CC] VALUE", "lift the suppression an erasure put on an identifier (a phone by default)", setupUnsuppress},
		{"rotate-key", "[--json] [--retire]  |  --new-key-file FILE", "rotate the key-encryption key online, or the root key offline", setupRotateKey},
		{"refresh", "[--json]", "recompute time-dependent stages and risks as of --as-of", setupRefresh},
		{"restage", "[--rules FILE] [--json]", "re-resolve and re-stage every profile under the rules of FILE (default: the built-in defaults) and store them as the database's", setupRestage},
		{"backup", "FILE", "write a consistent backup to a new FILE (- is stdout)", setupBackup},
		{"restore", "[--force] FILE", "replace the database with a backup; erasures made since stay applied", setupRestore},
		{"verify", "[--repair] [--json]", "check every index both ways; exit status 1 on any problem", setupVerify},
		{"maintain", "", "finish interrupted erasure purges and reclaim the space of overwritten and deleted values (run it on a schedule, e.g. nightly)", setupMaintain},
		{"quarantine", "[list|retry|drop] [--file F] [--reason R] [--source S] [--json] [--region CC] [--map ... | --map-file FILE]", "list the records that were not imported, with reasons; retry them after a fix, or drop them", setupQuarantine},
		{"watch", "[--after CURSOR]", "print stage transitions, detractor feedback, merges, splits, links and erasures as JSON lines until interrupted", setupWatch},
		{"version", "", "print the version of scv: module version, commit, Go release", setupVersion},
		{"serve", "[--addr HOST:PORT] [--tls-cert FILE --tls-key FILE] [--region CC]", "serve the HTTP API (/v1), the web console and /metrics until SIGTERM or Ctrl-C", setupServe},
		{"token", "[--json] create --scope read|import|admin --purpose PURPOSE [--label TEXT]  |  list  |  revoke ID", "manage the API tokens of scv serve (a token is shown once)", setupToken},
		{"demo", "[--fixtures DIR] [--as-of YYYY-MM-DD]", "import the fixtures into a temporary database and show what scv makes of them", setupDemo},
	}
}

// run is the command line: it runs one command and returns the exit
// status. Everything it prints goes to stdout and stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}
	cmds := commands()
	if len(args) == 0 {
		writeUsage(stderr, cmds)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	if name == "--version" || name == "-version" {
		writeVersion(stdout)
		return exitOK
	}
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		if len(rest) == 0 {
			writeUsage(stdout, cmds)
			return exitOK
		}
		c := findCommand(cmds, rest[0])
		if c == nil {
			fmt.Fprintf(stderr, "scv: unknown command %s; run \"scv help\"\n", shown(rest[0]))
			return exitUsage
		}
		fs := newFlags(c.name)
		c.setup(fs, e)
		c.writeUsage(stdout, fs)
		return exitOK
	}
	c := findCommand(cmds, name)
	if c == nil {
		fmt.Fprintf(stderr, "scv: unknown command %s; run \"scv help\"\n", shown(name))
		return exitUsage
	}
	fs := newFlags(c.name)
	runCmd := c.setup(fs, e)
	pos, err := e.parse(c, fs, rest)
	if err == nil {
		err = runCmd(ctx, pos)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		fmt.Fprintf(stderr, "scv: %s\n", xe.msg)
		return xe.code
	}
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "scv: %s: interrupted\n", c.name)
		return exitFailure
	}
	// Library errors name fields, record ids and key ids, never personal
	// data: their packages promise it.
	fmt.Fprintf(stderr, "scv: %s: %v\n", c.name, err)
	return exitFailure
}

func findCommand(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

// newFlags returns an empty flag set for a command; parse reports its
// errors.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with fs, flags and positional arguments interleaved:
// the flag package stops at the first positional argument, so parsing
// resumes after each one; "--" ends the flags. It returns the positional
// arguments, a usage error for bad flags, or flag.ErrHelp after printing
// the command's usage to stdout.
func (e *env) parse(c *command, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.writeUsage(e.stdout, fs)
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, usageError("%s: %s (see \"scv help %s\")", c.name, flagError(err), c.name)
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if err := e.resolveAsOf(); err != nil {
		return nil, err
	}
	return pos, nil
}

// shown quotes a value the operator typed for an error message if it
// looks like a word or a date (a command, a stage, a format); anything
// else might be a phone number typed in the wrong place, and is not
// repeated.
func shown(s string) string {
	if wordLike.MatchString(s) {
		return strconv.Quote(s)
	}
	return "(value not shown)"
}

var wordLike = regexp.MustCompile(`^[A-Za-z][A-Za-z_-]{0,31}$|^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$`)

// flagError returns the flag package's error without the value it
// quotes, which may be anything the operator typed, and with the flag's
// name written with two dashes.
func flagError(err error) string {
	msg := singleDash.ReplaceAllString(err.Error(), "$1 --$2")
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		s, uerr := strconv.Unquote(q)
		if uerr != nil {
			return "(value not shown)"
		}
		return shown(s)
	})
}

var singleDash = regexp.MustCompile(`(flag provided but not defined:|flag needs an argument:|for flag) -([a-z])`)

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// wantArgs checks the number of positional arguments.
func wantArgs(cmd string, args []string, n int, what string) error {
	if len(args) != n {
		return usageError("%s: want %s, got %d argument(s) (see \"scv help %s\")", cmd, what, len(args), cmd)
	}
	return nil
}

// sortedKeys returns a map's keys in order.
func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// byCountDesc returns a count map's keys, largest count first, then by
// name.
func byCountDesc[K ~string](m map[K]int) []K {
	keys := sortedKeys(m)
	sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	return keys
}

// chinaTime is China Standard Time, the zone of --as-of dates and of the
// dates the command prints.
var chinaTime = time.FixedZone("CST", 8*60*60)

// env is what every command shares: the streams, the environment and the
// common flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time

	// Common flags, bound by the commands that use them.
	db, keyFile, journal, region, asOfText string
	rulesFile                              string
	noAtRest                               bool

	asOf    time.Time // --as-of resolved by parse; now when not given
	asOfSet bool
}

// dbFlags binds the flags of commands that open the database.
func (e *env) dbFlags(fs *flag.FlagSet) {
	fs.StringVar(&e.db, "db", "", "database directory or postgres:// URL (default $SCV_DB, else ./scv-data)")
	fs.StringVar(&e.keyFile, "key-file", "", "root key file (default $SCV_KEY_FILE, else the key text in $SCV_KEY)")
	fs.StringVar(&e.journal, "erasure-journal", "", "external erasure journal file (default $SCV_ERASURE_JOURNAL)")
	fs.StringVar(&e.asOfText, "as-of", "", "compute stages as of the end of this day, YYYY-MM-DD (default $SCV_AS_OF, else now)")
	fs.BoolVar(&e.noAtRest, "no-at-rest-encryption", false, "the database was made without Badger's own encryption at rest (the store's sealing stays on)")
	fs.StringVar(&e.rulesFile, "rules", "", "merge rules, a JSON file of scv.MergeOptions: refused if the database's differ (default: the database's own rules; the defaults for a new one)")
}

// regionFlag binds --region, the default region of phone numbers.
func (e *env) regionFlag(fs *flag.FlagSet) {
	fs.StringVar(&e.region, "region", "", "default region of phone numbers without a country code, ISO 3166 (default CN)")
}

// resolveAsOf reads --as-of, else $SCV_AS_OF: the end of that day in
// China Standard Time, or now when the day is today (so that --as-of
// today is the default).
func (e *env) resolveAsOf() error {
	now := e.now()
	text, from := e.asOfText, "--as-of"
	if text == "" && e.getenv != nil {
		text, from = e.getenv("SCV_AS_OF"), "SCV_AS_OF"
	}
	if text == "" {
		e.asOf = now
		return nil
	}
	day, err := time.ParseInLocation(time.DateOnly, text, chinaTime)
	if err != nil {
		return usageError("bad %s %s: want a date as YYYY-MM-DD", from, shown(text))
	}
	end := day.AddDate(0, 0, 1).Add(-time.Nanosecond)
	if !day.After(now) && end.After(now) {
		end = now
	}
	e.asOf, e.asOfSet = end, true
	return nil
}

// asOfFunc is the Options.AsOf for --as-of: stages are computed for that
// time, while events and journal entries keep the wall clock. Without
// --as-of it is nil: the wall clock for both.
func (e *env) asOfFunc() func() time.Time {
	if !e.asOfSet {
		return nil
	}
	at := e.asOf
	return func() time.Time { return at }
}

// dbDir returns the database directory: --db, $SCV_DB or ./scv-data.
func (e *env) dbDir() string {
	switch {
	case e.db != "":
		return e.db
	case e.getenv("SCV_DB") != "":
		return e.getenv("SCV_DB")
	}
	return "scv-data"
}

// noKeyHelp says how to supply a key.
const noKeyHelp = `pass --key-file FILE, or set SCV_KEY_FILE to a key file or SCV_KEY to the key text; make a key with "scv keygen --out FILE" and keep it away from the database and its backups`

// rootKey resolves the root key: --key-file, $SCV_KEY_FILE, $SCV_KEY. A
// missing or unreadable key is a configuration error (exit status 2).
func (e *env) rootKey() (*crypto.RootKey, error) {
	path, from := e.keyFile, "--key-file"
	if path == "" {
		path, from = e.getenv("SCV_KEY_FILE"), "SCV_KEY_FILE"
	}
	if path != "" {
		return e.readKeyFile(path, from)
	}
	if text := e.getenv(crypto.DefaultKeyEnv); text != "" {
		root, err := crypto.ParseRootKey([]byte(text))
		if err != nil {
			return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("SCV_KEY does not hold a key: %v", err), err: err}
		}
		return root, nil
	}
	return nil, usageError("no key: %s", noKeyHelp)
}

func (e *env) readKeyFile(path, from string) (*crypto.RootKey, error) {
	text, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usageError("key file %s (from %s) does not exist: %s", path, from, noKeyHelp)
	}
	if err != nil {
		return nil, usageError("key file (from %s): %v", from, err)
	}
	root, err := crypto.ParseRootKey(text)
	if err != nil {
		return nil, &exitError{code: exitUsage, msg: fmt.Sprintf("key file %s (from %s): %v", path, from, err), err: err}
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(e.stderr, "scv: warning: key file %s is readable by other users; chmod 600 it\n", path)
	}
	if inside(path, e.dbDir()) {
		fmt.Fprintf(e.stderr, "scv: warning: key file %s is inside the database directory: a key kept beside the data protects nothing\n", path)
	}
	return root, nil
}

// inside reports whether path is inside dir.
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// openOptions are what a command asks of open besides the common flags.
type openOptions struct {
	create  bool // import and restore create the database; others need it
	noSync  bool // import --no-sync
	restage bool // restage: re-resolve everything under --rules (or the defaults)
}

// rules returns the merge rules and policy to open the database with:
// the --rules file's, refused if they differ from the database's; without
// --rules, the database's own (restage: the defaults, re-applied).
func (e *env) rules(o openOptions) (scv.MergeOptions, scv.RulesPolicy, error) {
	policy := scv.RulesRefuse
	if o.restage {
		policy = scv.RulesReapply
	}
	if e.rulesFile == "" {
		if !o.restage {
			policy = scv.RulesStored
		}
		return scv.MergeOptions{}, policy, nil
	}
	b, err := os.ReadFile(e.rulesFile)
	if err != nil {
		return scv.MergeOptions{}, 0, usageError("--rules: %v", err)
	}
	var m scv.MergeOptions
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return scv.MergeOptions{}, 0, usageError("--rules %s: not a JSON object of scv.MergeOptions: %v", e.rulesFile, err)
	}
	return m, policy, nil
}

// open opens the database with the common flags. It maps the library's
// errors onto exit statuses: a missing or wrong key is a configuration
// error (2), a database another process holds a failure (3).
func (e *env) open(o openOptions) (*scv.DB, error) {
	root, err := e.rootKey()
	if err != nil {
		return nil, err
	}
	if _, err := identity.NewPhoneParser(e.region, nil); err != nil {
		return nil, usageError("bad --region: want an ISO 3166 region code such as CN or AU")
	}
	dir := e.dbDir()
	if !o.create && !store.IsURL(dir) {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, usageError("no database in %s (import creates one; pass --db DIR or set SCV_DB)", dir)
		}
	}
	journal := e.journal
	if journal == "" {
		journal = e.getenv("SCV_ERASURE_JOURNAL")
	}
	rules, policy, err := e.rules(o)
	if err != nil {
		return nil, err
	}
	logs := &heldWriter{w: e.stderr, held: true}
	db, err := scv.Open(dir, scv.Options{
		Keys:               crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		Merge:              rules,
		Rules:              policy,
		Region:             e.region,
		NoSync:             o.noSync,
		NoAtRestEncryption: e.noAtRest,
		AsOf:               e.asOfFunc(),
		ErasureJournal:     journal,
		Logger:             engineLogger(logs),
	})
	var rerr *store.RulesError
	// The engine's own complaint about a wrong key or a lock says less
	// than the message below: drop what it logged while opening.
	logs.release(!errors.Is(err, scv.ErrWrongKey) && !errors.Is(err, scv.ErrLocked))
	switch {
	case errors.Is(err, scv.ErrWrongKey):
		return nil, &exitError{code: exitUsage, err: err, msg: fmt.Sprintf(
			"wrong key: the database in %s was made with another root key (key id %s given)%s; it was not opened", dir, root.ID(), e.atRestHint())}
	case errors.Is(err, scv.ErrLocked):
		return nil, &exitError{code: exitFailure, err: err, msg: fmt.Sprintf(
			"database %s is locked: another process (an scv command or a service embedding scv) has it open", dir)}
	case errors.As(err, &rerr):
		msg := fmt.Sprintf("the database in %s was resolved under other merge rules: %s; drop --rules to open it under its own, or run scv restage --rules FILE to re-resolve and re-stage every profile under the new ones", dir, rerr.Diff())
		if rerr.Interrupted {
			msg = fmt.Sprintf("a restage of the database in %s under new merge rules did not finish; run scv restage again (with the same --rules) to finish it", dir)
		}
		return nil, &exitError{code: exitUsage, err: err, msg: msg}
	case err != nil:
		return nil, err
	}
	return db, nil
}

func (e *env) atRestHint() string {
	if e.noAtRest {
		return ", or it was made with Badger's encryption at rest (drop --no-at-rest-encryption)"
	}
	return ", or it was made without Badger's encryption at rest (add --no-at-rest-encryption)"
}

// closeDB closes db and keeps the first error.
func closeDB(db *scv.DB, err *error) {
	if cerr := db.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
