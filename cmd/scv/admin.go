package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

func setupKeygen(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	out := flags.String("out", "", "write the key to this new file (mode 0600) instead of stdout; an existing file is never overwritten")
	return func(ctx context.Context, args []string) error {
		if err := wantArgs("keygen", args, 0, "no arguments"); err != nil {
			return err
		}
		key := scv.GenerateKey()
		if *out == "" {
			_, err := e.stdout.Write(key)
			return err
		}
		root, err := crypto.ParseRootKey(key)
		if err != nil {
			return err
		}
		if err := writeNewFile(*out, key); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return usageError("keygen: %s exists: a key file is never overwritten (it may be the only key to a database)", *out)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "wrote a new root key (key id %s) to %s, mode 0600; keep it away from the database and its backups\n", root.ID(), *out)
		return nil
	}
}

// writeNewFile writes data to a file that must not exist yet, with mode
// 0600, and syncs it.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

func setupUnmerge(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("unmerge", args, 1, "one RECORDKEY (channel/source/id)"); err != nil {
			return err
		}
		k, err := identity.ParseRecordKey(args[0])
		if err != nil {
			return usageError("unmerge: not a record key: want channel/source/id, as \"scv get\" lists a profile's sources")
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		ch, err := db.Unmerge(ctx, k)
		if errors.Is(err, scv.ErrNotFound) {
			return notFound("no profile holds that record")
		}
		if err != nil {
			return err
		}
		if ch.NoOp {
			fmt.Fprintln(e.stdout, "nothing to do: the record is already apart")
			return nil
		}
		// The record's new profile first, then the rest, in the order of
		// their ids.
		ps := slices.Clone(ch.Profiles)
		slices.SortStableFunc(ps, func(a, b *scv.Profile) int { return cmp.Compare(boolInt(!a.Holds(k)), boolInt(!b.Holds(k))) })
		for _, p := range ps {
			what := "keeps"
			if p.Holds(k) {
				what = "now holds the record;"
			}
			created := ""
			if slices.Contains(ch.Created, p.ID) {
				created = " (new)"
			}
			fmt.Fprintf(e.stdout, "profile %s%s %s %d record%s, stage %s\n", p.ID, created, what, len(p.Sources), plural(len(p.Sources)), p.Stage)
		}
		return nil
	}
}

func setupErase(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	e.regionFlag(flags)
	yes := flags.Bool("yes", false, "confirm: erasure is irreversible")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("erase", args, 1, "one PHONE or profile ID"); err != nil {
			return err
		}
		if !*yes {
			return usageError("erase: erasure is irreversible: pass --yes to confirm")
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		p, err := lookup(ctx, db, args[0], e.region)
		if de := (*scv.DamagedError)(nil); errors.As(err, &de) {
			// Shredding needs no decryption: a profile that cannot be
			// opened is erased by its id.
			if err := db.Erase(ctx, de.ID); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "erased damaged profile %s without opening it: its source records tombstoned, a re-import of them is refused\n", de.ID)
			return nil
		}
		if err != nil {
			return err
		}
		switch err := db.Erase(ctx, p.ID); {
		case errors.Is(err, scv.ErrErased):
			return notFound("profile not found: it was erased before")
		case errors.Is(err, scv.ErrNotFound):
			return notFound("profile not found")
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "erased profile %s: %d source record%s tombstoned, a re-import of them is refused\n", p.ID, len(p.Sources), plural(len(p.Sources)))
		fmt.Fprintln(e.stdout, "its identifiers no one else has are suppressed: a record from any source carrying one is quarantined as suppressed (\"scv unsuppress\" lifts it)")
		if kept := db.ErasureRetention(); kept != "" {
			fmt.Fprintf(e.stdout, "the engine cannot purge: old versions of the profile's wrapped data key stay in it %s; \"scv verify\" reports the purge owed\n", kept)
		} else {
			fmt.Fprintln(e.stdout, "every stored version of its wrapped data key is purged: no older copy of its data opens again")
		}
		return nil
	}
}

func setupUnsuppress(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	e.regionFlag(flags)
	kind := flags.String("kind", "phone", "the identifier's kind: "+kindNames())
	scope := flags.String("scope", "", "the scope of an openid (app id), member number (source) or buyer id (platform)")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("unsuppress", args, 1, "one identifier VALUE (a PHONE by default)"); err != nil {
			return err
		}
		k, err := identity.ParseKind(*kind)
		if err != nil {
			return usageError("unsuppress: unknown --kind %s: want one of %s", shown(*kind), kindNames())
		}
		id := identity.Identifier{Kind: k, Value: args[0]}
		switch {
		case k == identity.KindPhone:
			ph, err := identity.ParsePhone(args[0], e.region)
			if err != nil {
				return usageError("unsuppress: not a phone number that can be a key (see --region), or pass --kind")
			}
			id.Value = ph.String()
		case k == identity.KindEmail:
			if id.Value, err = identity.NormaliseEmail(args[0]); err != nil {
				return usageError("unsuppress: not an email address")
			}
		case k.Scoped():
			if *scope == "" {
				return usageError("unsuppress: a %s identifier needs --scope", k)
			}
			id.Scope = *scope
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		switch err := db.Unsuppress(ctx, id); {
		case errors.Is(err, scv.ErrNotFound):
			return notFound("that %s identifier is not suppressed", k)
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "suppression lifted: records carrying that %s identifier are imported again\n", k)
		return nil
	}
}

// kindNames lists the identifier kinds.
func kindNames() string {
	names := make([]string, len(identity.Kinds))
	for i, k := range identity.Kinds {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}

func setupRotateKey(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	retire := flags.Bool("retire", false, "after rotating, delete the old key-encryption-key epochs")
	newKeyFile := flags.String("new-key-file", "", "replace the root key with the key in this file (the database must not be open elsewhere)")
	asJSON := flags.Bool("json", false, "print the rotation summary as JSON")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("rotate-key", args, 0, "no arguments"); err != nil {
			return err
		}
		if *newKeyFile != "" {
			if *retire {
				return usageError("rotate-key: --retire rotates the key-encryption key; it does not go with --new-key-file")
			}
			return e.rotateRoot(ctx, *newKeyFile)
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		sum, err := db.Rotate(ctx, scv.RotateOptions{Retire: *retire})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, sum)
		}
		fmt.Fprintf(e.stdout, "key-encryption key rotated to epoch %d: %d data keys rewrapped, %d store values resealed", sum.Epoch, sum.Rewraps, sum.Reseals)
		if len(sum.Retired) > 0 {
			fmt.Fprintf(e.stdout, "; epochs %v retired", sum.Retired)
		}
		fmt.Fprintln(e.stdout)
		return nil
	}
}

// rotateRoot replaces the database's root key with the key in newKeyFile.
func (e *env) rotateRoot(ctx context.Context, newKeyFile string) error {
	oldRoot, err := e.rootKey()
	if err != nil {
		return err
	}
	newRoot, err := e.readKeyFile(newKeyFile, "--new-key-file")
	if err != nil {
		return err
	}
	if newRoot.ID() == oldRoot.ID() {
		return usageError("rotate-key: the new key is the current key")
	}
	dir := e.dbDir()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return usageError("no database in %s (pass --db DIR or set SCV_DB)", dir)
	}
	// store.RotateRoot rewrites Badger's key registry before it opens the
	// database, so it would not notice another process holding it. Open
	// it first: that takes the lock, or fails with ErrLocked. A wrong-key
	// error is left to RotateRoot, which resumes an interrupted rotation
	// (the database then opens with neither key alone).
	if db, err := e.open(openOptions{}); err == nil {
		if err := db.Close(); err != nil {
			return err
		}
	} else if !errors.Is(err, scv.ErrWrongKey) {
		return err
	}
	err = store.RotateRoot(ctx, dir, oldRoot, newRoot, store.Options{NoAtRestEncryption: e.noAtRest})
	switch {
	case errors.Is(err, store.ErrWrongKey):
		return &exitError{code: exitUsage, err: err, msg: fmt.Sprintf("rotate-key: the database in %s opens with neither the current key (%s) nor the new one (%s); nothing was changed", dir, oldRoot.ID(), newRoot.ID())}
	case errors.Is(err, store.ErrLocked):
		return &exitError{code: exitFailure, err: err, msg: fmt.Sprintf("database %s is locked: another process has it open; root rotation needs it closed", dir)}
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stdout, "root key rotated: the database in %s now opens with key %s (%s) only; keep the old key %s as long as you keep backups made before now\n",
		dir, newRoot.ID(), newKeyFile, oldRoot.ID())
	return nil
}

func setupRefresh(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	asJSON := flags.Bool("json", false, "print JSON")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("refresh", args, 0, "no arguments"); err != nil {
			return err
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		sum, err := db.Refresh(ctx, e.asOf)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, sum)
		}
		fmt.Fprintf(e.stdout, "refreshed as of %s: %d profiles read, %d changed stage or risk\n", e.asOf.In(chinaTime).Format("2006-01-02 15:04"), sum.Profiles, sum.Changed)
		return nil
	}
}

func setupRestage(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	asJSON := flags.Bool("json", false, "print JSON")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("restage", args, 0, "no arguments"); err != nil {
			return err
		}
		db, err := e.open(openOptions{restage: true})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		sum := db.Restaged()
		if sum == nil { // the rules were the database's already: re-resolve anyway
			s, err := db.Restage(ctx)
			if err != nil {
				return err
			}
			sum = &s
		}
		if *asJSON {
			return writeJSON(e.stdout, sum)
		}
		fmt.Fprintf(e.stdout, "restaged %d profiles: %d changed, %d changed stage\n", sum.Profiles, sum.Changed, sum.StageChanged)
		if len(sum.Rules) == 0 {
			fmt.Fprintln(e.stdout, "the rules were unchanged")
		}
		for _, d := range sum.Rules {
			fmt.Fprintf(e.stdout, "  %s: %s -> %s\n", d.Field, ruleText(d.Stored), ruleText(d.Given))
		}
		return nil
	}
}

func ruleText(v string) string {
	if v == "" {
		return "default"
	}
	return v
}

func setupBackup(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("backup", args, 1, "one FILE (- for stdout)"); err != nil {
			return err
		}
		path := args[0]
		if path != "-" {
			if _, err := os.Lstat(path); err == nil {
				return usageError("backup: %s exists: a backup never overwrites a file", path)
			}
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		if path == "-" {
			return db.Backup(ctx, e.stdout)
		}
		n, err := writeBackup(ctx, db, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "backup written to %s (%d bytes); it opens only with the current root key\n", path, n)
		return nil
	}
}

// writeBackup writes a backup to a temporary file beside path and links
// it into place, so that path holds a complete backup or nothing.
func writeBackup(ctx context.Context, db *scv.DB, path string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	cw := &countWriter{w: tmp}
	err = db.Backup(ctx, cw)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, usageError("backup: %s appeared while the backup was written; it was left alone", path)
		}
		return 0, err
	}
	return cw.n, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func setupRestore(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	force := flags.Bool("force", false, "restore into a new database even though erasures made since the backup are not known")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("restore", args, 1, "one FILE (- for stdin)"); err != nil {
			return err
		}
		var r io.Reader = e.stdin
		if args[0] != "-" {
			f, err := os.Open(args[0])
			if err != nil {
				return usageError("restore: cannot read %s: %v", args[0], errors.Unwrap(err))
			}
			defer f.Close()
			r = f
		}
		dir := e.dbDir()
		_, statErr := os.Stat(dir)
		db, err := e.open(openOptions{create: true})
		if err != nil {
			return err
		}
		defer func() {
			closeDB(db, &err)
			// A refused restore into a new directory leaves no empty
			// database behind (removed after the close, never before).
			if err != nil && errors.Is(statErr, fs.ErrNotExist) && !store.IsURL(dir) {
				os.RemoveAll(dir)
			}
		}()
		rep, err := db.RestoreWith(ctx, r, scv.RestoreOptions{Force: *force})
		switch {
		case errors.Is(err, scv.ErrWrongKey):
			return &exitError{code: exitUsage, err: err, msg: "restore: the backup was made under another root key; nothing was replaced"}
		case errors.Is(err, scv.ErrNotBackup):
			return &exitError{code: exitUsage, err: err, msg: "restore: that is not an scv backup; nothing was replaced"}
		case errors.Is(err, scv.ErrErasuresUnknown):
			return &exitError{code: exitUsage, err: err, msg: "restore: this database is new and no --erasure-journal file holds an erasure, " +
				"so erasures made since the backup was taken are not known and could not be applied again; " +
				"give the --erasure-journal of the database the backup came from, or --force to apply only the erasures the backup holds; nothing was replaced"}
		case errors.Is(err, scv.ErrBackupDamaged):
			return &exitError{code: exitFailure, err: err, msg: fmt.Sprintf("restore: %v; nothing was replaced", err)}
		case errors.Is(err, scv.ErrDiskFull):
			return &exitError{code: exitFailure, err: err, msg: fmt.Sprintf("restore: %v; nothing was replaced", err)}
		case err != nil:
			return err
		}
		st, err := db.Stats(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "restored: %d profiles, %d source records, %d quarantined; %d erased\n",
			st.Profiles, st.Records, st.Quarantined, st.Erased)
		fmt.Fprintf(e.stdout, "erasures applied again: %d from this database's journal, %d from the erasure journal file, %d from the backup\n",
			rep.FromDatabase, rep.FromJournal, rep.FromBackup)
		if rep.Unknown {
			fmt.Fprintln(e.stdout, "not applied again: erasures made after the backup was taken, which this new database and no erasure journal recorded (restored with --force); erase those customers again")
		}
		if !rep.Authenticated {
			fmt.Fprintf(e.stdout, "note: a backup of format %d is not authenticated: run verify; new backups are\n", rep.Format)
		}
		return nil
	}
}

func setupVerify(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	asJSON := flags.Bool("json", false, "print the report as JSON")
	repair := flags.Bool("repair", false, "first rebuild the stage and identifier indexes from the profiles that open, and list those that do not")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("verify", args, 0, "no arguments"); err != nil {
			return err
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		if *repair {
			rr, err := db.Repair(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				if err := writeJSON(e.stdout, rr); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(e.stdout, "repair: %d profiles open; %d stage and %d identifier entries rebuilt or removed\n", rr.Profiles, rr.Stages, rr.Identifiers)
				for _, id := range rr.Damaged {
					fmt.Fprintf(e.stdout, "damaged: profile %s cannot be opened and was left as it is: erase it (scv erase %s --yes) or restore a backup\n", id, id)
				}
			}
		}
		rep, err := db.Verify(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			if err := writeJSON(e.stdout, rep); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(e.stdout, "profiles %d, source records %d, identifiers %d, forwarded ids %d, quarantined %d\n",
				rep.Profiles, rep.Records, rep.Identifiers, rep.Forwards, rep.Quarantined)
			for _, p := range rep.Problems {
				fmt.Fprintf(e.stdout, "problem: %s\n", p)
			}
			if rep.OK() {
				fmt.Fprintln(e.stdout, "ok: every index entry points at a profile that points back, and the counts reconcile")
			}
		}
		if !rep.OK() {
			return &exitError{code: exitNotFound, msg: fmt.Sprintf("verify found %d problem%s", len(rep.Problems), plural(len(rep.Problems)))}
		}
		return nil
	}
}

func setupMaintain(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("maintain", args, 0, "no arguments"); err != nil {
			return err
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		if err := db.Maintain(ctx); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "maintenance done: the space of overwritten and deleted values is reclaimed")
		return nil
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
