package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Purge implements [engine.Purger]: it deletes every row under the
// prefixes in one transaction, then runs VACUUM on the table, which
// reclaims the dead tuples of those rows (and of every other deleted or
// overwritten row). It cannot reach the WAL, a WAL archive, a replica or
// a base backup, nor overwrite a reclaimed tuple's bytes on its page
// before the page is reused (see the package documentation).
func (db *DB) Purge(ctx context.Context, prefixes ...[]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(prefixes) == 0 {
		return nil
	}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return mapError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := db.deletePrefixes(ctx, tx, prefixes); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return mapError(err)
	}
	return db.vacuum(ctx)
}

// Maintain implements [engine.Maintainer] with VACUUM on the table.
// PostgreSQL's autovacuum does the same on its own schedule; this runs it
// now.
func (db *DB) Maintain(ctx context.Context) error { return db.vacuum(ctx) }

// vacuum runs VACUUM on the table; an engine without VACUUM (feature not
// supported, or a syntax error) reclaims old versions itself, and the
// error is dropped.
func (db *DB) vacuum(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, "VACUUM "+db.table)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "0A000" || pe.Code == "42601") {
		return nil
	}
	return err
}

// Notify implements [engine.Notifier] with LISTEN on a connection of its
// own: every committed update sends a NOTIFY naming the first bytes of
// the keys it wrote. Without notifications (scv_notify=off) it waits for
// ctx and returns, and the store polls.
func (db *DB) Notify(ctx context.Context, prefix []byte, fn func()) error {
	if !db.notify {
		<-ctx.Done()
		return nil
	}
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+db.table); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		first, derr := hex.DecodeString(n.Payload)
		if derr != nil || len(first) == 0 || len(prefix) == 0 || bytes.IndexByte(first, prefix[0]) >= 0 {
			fn()
		}
	}
}

// deletePrefixes deletes every row under the prefixes in tx.
func (db *DB) deletePrefixes(ctx context.Context, tx pgx.Tx, prefixes [][]byte) error {
	for _, p := range prefixes {
		var err error
		if end := prefixEnd(p); end != nil {
			_, err = tx.Exec(ctx, "DELETE FROM "+db.table+" WHERE k >= $1 AND k < $2", p, end)
		} else {
			_, err = tx.Exec(ctx, "DELETE FROM "+db.table+" WHERE k >= $1", p)
		}
		if err != nil {
			return mapError(err)
		}
	}
	return nil
}
