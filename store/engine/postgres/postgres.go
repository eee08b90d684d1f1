// Package postgres is the engine of package store for PostgreSQL and the
// Postgres-wire engines: one table of (k bytea primary key, v bytea),
// shared by as many processes and machines as the brand runs.
//
// Every [DB.Update] is a SERIALIZABLE transaction; a serialization
// failure or a deadlock (SQLSTATE 40001, 40P01) is returned wrapping
// [engine.ErrConflict], and the store retries the transaction whole. A
// [DB.View] is a REPEATABLE READ, READ ONLY transaction: one snapshot.
// Writes are kept in the transaction until it ends (or until a scan needs
// them) and then sent in one round trip; reads see them. A prefix scan is
// a key range (k >= prefix AND k < the prefix's successor) read in pages.
//
// # Configuration
//
// Everything comes from the URL, as pgx reads it: pool_max_conns (the
// pool size, default the larger of 4 and the number of CPUs),
// sslmode/sslrootcert/sslcert/sslkey (TLS), connect_timeout, and any
// server setting such as statement_timeout=30000 (milliseconds), which
// pgx sends at connect. Two parameters are this package's and are not
// sent to the server: scv_table (the table's name, default scv_kv) and
// scv_notify=off (no LISTEN/NOTIFY, for engines that lack it; the
// store's change feed then polls).
//
// # What is stored
//
// The store writes only sealed values and keys without personal data
// (blind-index tags, random ids), so the table, its WAL and its dumps
// hold no plaintext. There is no second layer of encryption at rest as
// Badger has: use the server's (disk or tablespace encryption) if policy
// asks for one.
//
// # Old versions and erasure
//
// PostgreSQL keeps a deleted or overwritten row as a dead tuple until
// VACUUM reclaims it. [DB.Purge] deletes the rows and runs VACUUM at
// once, so an erased profile's wrapped data key leaves the table's live
// and dead tuples; what it cannot reach: the WAL until its segments are
// recycled (and any WAL archive, replica or base backup), and the bytes
// of a reclaimed tuple on its page until the page is rewritten.
// Crypto-shredding still holds for all of those as long as the keyring
// epochs that wrapped the key are retired ("scv rotate-key --retire").
//
// # Engines tested
//
// The tests run against PostgreSQL (15 and later). The SQL is kept to
// what CockroachDB and YugabyteDB also accept (bytea, ON CONFLICT, unnest,
// = ANY, SERIALIZABLE, SAVEPOINT), but neither was tested. On CockroachDB
// set scv_notify=off (it has no LISTEN/NOTIFY); VACUUM is skipped where
// the engine has none, and its old versions stay for the zone's
// gc.ttlseconds.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scv-go/scv/store/engine"
)

// DB is the [engine.KV] on a PostgreSQL database. It also implements
// [engine.SortedGetter] (on its transactions), [engine.Purger],
// [engine.Snapshotter], [engine.Stager], [engine.Maintainer] and
// [engine.Notifier]. A DB is safe for concurrent use; any number of
// processes may open the same database.
type DB struct {
	pool   *pgxpool.Pool
	table  string // quoted
	name   string // unquoted, the NOTIFY channel
	notify bool
	q      queries

	trips atomic.Int64 // round trips to the server, for benchmarks
}

var (
	_ engine.KV          = (*DB)(nil)
	_ engine.Purger      = (*DB)(nil)
	_ engine.Snapshotter = (*DB)(nil)
	_ engine.Stager      = (*DB)(nil)
	_ engine.Maintainer  = (*DB)(nil)
	_ engine.Notifier    = (*DB)(nil)
)

// queries are the statements on the table, built once.
type queries struct {
	get, getMany, upsert, del, scanKV, scanK, scanKVTo, scanKTo string
}

func newQueries(t string) queries {
	return queries{
		get:      "SELECT v FROM " + t + " WHERE k = $1",
		getMany:  "SELECT k, v FROM " + t + " WHERE k = ANY($1)",
		upsert:   "INSERT INTO " + t + " (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
		del:      "DELETE FROM " + t + " WHERE k = ANY($1)",
		scanKV:   "SELECT k, v FROM " + t + " WHERE k >= $1 ORDER BY k LIMIT $2",
		scanK:    "SELECT k FROM " + t + " WHERE k >= $1 ORDER BY k LIMIT $2",
		scanKVTo: "SELECT k, v FROM " + t + " WHERE k >= $1 AND k < $3 ORDER BY k LIMIT $2",
		scanKTo:  "SELECT k FROM " + t + " WHERE k >= $1 AND k < $3 ORDER BY k LIMIT $2",
	}
}

// IsURL reports whether s names a PostgreSQL database (postgres:// or
// postgresql://) rather than a directory.
func IsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
}

// Open connects to the database at rawURL (see the package documentation
// for its parameters) and creates the table if it is missing. The error
// never repeats the URL's password.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !IsURL(rawURL) {
		return nil, errors.New("postgres: not a postgres:// URL")
	}
	q := u.Query()
	name := q.Get("scv_table")
	if name == "" {
		name = "scv_kv"
	}
	notify := q.Get("scv_notify") != "off"
	q.Del("scv_table")
	q.Del("scv_notify")
	u.RawQuery = q.Encode()
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", redact(err))
	}
	if !q.Has("pool_max_conns") {
		cfg.MaxConns = int32(max(4, runtime.GOMAXPROCS(0)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", redact(err))
	}
	t := pgx.Identifier{name}.Sanitize()
	db := &DB{pool: pool, table: t, name: name, notify: notify, q: newQueries(t)}
	if err := db.create(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// redact drops what a connection error may quote of the URL.
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection URL")
	}
	return err
}

// create makes the table if it is missing. Processes that start at once
// may race on CREATE TABLE IF NOT EXISTS; the loser's error is dropped.
func (db *DB) create(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		_, err := db.pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+db.table+" (k BYTEA PRIMARY KEY, v BYTEA NOT NULL)")
		var pe *pgconn.PgError
		if err == nil || attempt < 3 && errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07" || pe.Code == "40001") {
			if err == nil {
				return nil
			}
			continue
		}
		return fmt.Errorf("postgres: create table: %w", err)
	}
}

// RoundTrips returns how many statements (each one round trip to the
// server, a flush of buffered writes counted once) the transactions of db
// have sent, begin and commit included: where the time of an ingest goes.
func (db *DB) RoundTrips() int64 { return db.trips.Load() }

// Close implements [engine.KV]: it closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Update implements [engine.KV] with a SERIALIZABLE transaction.
func (db *DB) Update(ctx context.Context, fn func(engine.Txn) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return mapError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	db.trips.Add(2) // begin, commit
	t := db.newTxn(ctx, tx)
	if err := fn(t); err != nil {
		return mapError(err)
	}
	if err := t.flush(true); err != nil {
		return err
	}
	return mapError(tx.Commit(ctx))
}

// View implements [engine.KV] with a REPEATABLE READ, READ ONLY
// transaction.
func (db *DB) View(ctx context.Context, fn func(engine.Txn) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return mapError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	db.trips.Add(2) // begin, rollback
	return mapError(fn(db.newTxn(ctx, tx)))
}

// mapError wraps serialization failures and deadlocks in
// [engine.ErrConflict].
func mapError(err error) error {
	var pe *pgconn.PgError
	if err == nil || errors.Is(err, engine.ErrConflict) || !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "40001", "40P01":
		return fmt.Errorf("%w: %w", engine.ErrConflict, err)
	}
	return err
}
