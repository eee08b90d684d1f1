// Package store keeps single customer views in a transactional key-value
// engine: it resolves records into profiles with package merge, seals
// them with package crypto, and maintains the indexes that answer lookups
// by phone, by any channel identifier, by profile id and by lifecycle
// stage.
//
// # Keys
//
// No key holds personal data. Profile ids are random; identifiers and
// source-record keys appear only as blind-index tags (HMAC-SHA256 under a
// secret per-kind key, see package crypto); everything else in a key is a
// namespace byte, a stage code or a sequence number. The namespaces:
//
//	M name          meta: schema version, keyring state (sealed under the root key), feed counter,
//	                and "restore-owed": the erasures a restore must apply again, sealed, while it does,
//	                the merge rules (sealed; see [RulesPolicy]), migration and restage marks
//	P pid           the profile sealed under its data key
//	K pid           the profile's data key wrapped under the keyring: apart from P, and
//	                small, so that it always stays in the LSM tree, where an erasure's
//	                purge removes every version of it
//	R rtag          a source record: its profile id, its content tag, the record sealed under the profile's data key
//	                (or a one-byte tombstone for a record of an erased profile)
//	I kind tag      an identifier: a hub flag and the ids of the profiles that list it
//	S stage pid     the stage index: risk, channels, consent and last activity, for filtering without opening profiles
//	F pid           a profile id merged into another: the id it forwards to
//	X tag           referral credits waiting for a phone no profile holds yet, sealed
//	Q tag           a quarantined record: source, file, line, record id, field, reason and raw record (for a retry), sealed
//	E pid           the erasure journal: an erased profile id and its record tags, sealed
//	U pid           an erased profile id whose purge (below) and journal line have not both been
//	                written: set by the erasure, deleted after them; Open, Maintain and Restore
//	                finish what a crash or an engine error left (on an engine that cannot purge,
//	                it stays, marked journaled: see [Store.ErasureRetention])
//	N kind tag      a suppressed identifier of an erased person: a record carrying it is
//	                quarantined (see [Store.Unsuppress])
//	Z rtag          the tombstones' index, for counting
//	B tag pid       the blocking index of duplicate suggestions: a blind index of a name, or of a birthday and
//	                a word of a name, and a profile that has it (see [Store.Suggest])
//	T id            an API token of "scv serve": scope, purpose and a keyed hash of its secret, sealed
//	                (see [Store.CreateToken]); the secret is never stored
//	W seq, L n      change-feed events: pending per transaction, then published in order; an
//	                erasure removes those about the erased person (see [Store.Watch])
//
// Values are sealed with XChaCha20-Poly1305: profiles and records under the
// profile's own data key, bound to the profile id and purpose; values that
// belong to no profile under the keyring. Under that, Badger's own
// encryption at rest is on by default as a second layer.
//
// # Transactions
//
// Every decision (an ingested record, an unmerge, an erasure) is one
// transaction that writes the profiles, record entries, indexes and feed
// together, retried on conflict with bounded, jittered backoff. Every
// uniqueness decision is a point read of the key a concurrent writer would
// also write (an identifier's I entry, a record's R entry, a phone's X
// entry), never a range scan, because engines such as Badger track only
// point reads for conflicts. Concurrent ingest from many goroutines is safe.
//
// A bulk ingest ([Store.IngestAll]) on an engine that one process owns
// ([Exclusive]; Badger) pipelines instead: it resolves the next batch
// while the previous one commits, each batch one transaction, and other
// writers wait until it is done.
//
// # Durability and memory
//
// By default every commit is synced before it returns (BadgerOptions.NoSync
// turns that off). Badger's configured memory is 3 memtables of 64 MiB, a
// 128 MiB block cache and a 64 MiB index cache, about 450 MiB whatever the
// size of the database (see [BadgerOptions]). The process needs more: Go's
// collector lets the heap grow past what is live, Badger pools the buffers
// it builds tables in, and it maps its value log and tables, whose touched
// pages count in the resident set (cmd/scvbench reports both).
//
// # Old versions
//
// Badger keeps overwritten and deleted values until compaction discards
// them; compactions run in the background. Values of 160 bytes and more
// (sealed profiles and sealed records; [BadgerOptions].ValueThreshold)
// live in the value log, whose space only
// [Store.Maintain] reclaims: call it on a schedule of your choosing (for
// example nightly). Wrapped data keys are small and always stay in the
// tree. Erasure does not wait for either: it purges every
// version of the erased profile's entry, and with it the only copies of
// its wrapped data key, at once.
//
// # Engines
//
// The store is written against [KV], a small transactional seam (point
// get, set, delete, prefix scan, a conflict error to retry) defined in
// package engine, as database/sql keeps its driver interfaces apart. Two
// engines implement it: package engine/badger, embedded, one process, the
// default ([OpenBadger]); and package engine/postgres, PostgreSQL or a
// Postgres-wire engine shared by many processes, which [Open] opens when
// given a postgres:// URL instead of a directory. Other engines plug in
// through [OpenKV], optionally with [Purger], [Snapshotter], [Stager],
// [Maintainer] and [Notifier]: merge and the API do not change. An engine
// that keeps old versions and cannot purge them (CockroachDB for
// gc.ttlseconds) leaves an erased profile's wrapped data key in them
// until it drops them; it should say how long ([Retainer]), which Verify
// and "scv erase" report.
//
// An engine that is not [Exclusive] is shared: bulk ingest then runs
// batch by batch with conflict retries, and every transaction first reads
// the keyring, the merge rules and the schema as stored, so that another
// process's rotation, restage or upgrade is adopted or refused at once
// rather than worked around with what this process read at Open (see
// [ErrRulesChanged], [ErrSchemaChanged]).
package store
