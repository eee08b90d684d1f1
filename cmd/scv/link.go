package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

func init() {
	commandHelp["link"] = `Each side is a profile id (as "scv get" lists them) or a record key
(channel/source/id: the profile holding it). Every do-not-link between the
two profiles' records (an unmerge, a separation) is removed and the two
are re-resolved: they become one profile when an identifier links them.
The change feed records who (--actor, default $USER) and when. Merging two
profiles that share no identifier is not an operation of this version.`
}

func setupLink(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	actor := flags.String("actor", "", "who links them, for the change feed (default $USER)")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("link", args, 2, "two profile IDs or RECORDKEYs"); err != nil {
			return err
		}
		who := *actor
		if who == "" {
			who = e.getenv("USER")
		}
		if who == "" {
			return usageError("link: say who links them: pass --actor NAME (or set $USER)")
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		var ids [2]string
		for i, a := range args {
			if ids[i], err = linkSide(ctx, db, a, i+1); err != nil {
				return err
			}
		}
		if ids[0] == ids[1] {
			fmt.Fprintf(e.stdout, "nothing to undo: both name profile %s\n", ids[0])
			return nil
		}
		res, err := db.Link(ctx, ids[0], ids[1], who)
		switch {
		case errors.Is(err, scv.ErrNotFound), errors.Is(err, scv.ErrErased):
			return notFound("profile not found")
		case err != nil:
			return err
		case !res.Changed:
			fmt.Fprintf(e.stdout, "nothing to undo: no do-not-link keeps %s and %s apart; merging profiles that share no identifier is not an operation of this version\n", ids[0], ids[1])
		case res.Joined:
			fmt.Fprintf(e.stdout, "linked: %s and %s are one profile, %s\n", ids[0], ids[1], res.Profile)
		default:
			fmt.Fprintf(e.stdout, "the do-not-link between %s and %s is removed, but no identifier links them: they stay apart\n", ids[0], ids[1])
		}
		return nil
	}
}

// linkSide returns the profile id an argument of link names: a profile
// id, or the holder of a record key.
func linkSide(ctx context.Context, db *scv.DB, arg string, n int) (string, error) {
	if isProfileID(arg) {
		p, err := lookup(ctx, db, arg, "")
		if err != nil {
			return "", err
		}
		return p.ID, nil
	}
	k, err := identity.ParseRecordKey(arg)
	if err != nil {
		return "", usageError("link: argument %d is neither a profile id nor a record key (channel/source/id)", n)
	}
	p, err := db.ByRecord(ctx, k)
	if errors.Is(err, scv.ErrNotFound) {
		return "", notFound("no profile holds the record of argument %d", n)
	}
	if err != nil {
		return "", err
	}
	return p.ID, nil
}
