// Package scv builds a single customer view: one encrypted profile per
// person, merged from the fragments a brand's channels keep of them
// (WeChat followers, Weibo fans, store receipts, e-commerce orders),
// keyed on the mobile phone number, and answers who is in which stage of
// the customer lifecycle.
//
// # The flow
//
// A channel's native export is read by [identity.Decode] into normalised
// [identity.Record] values; records that cannot be used come out as
// [identity.RecordError] values with a reason. [DB.IngestAll] resolves
// records into profiles, seals each profile under its own data key and
// blind-indexes every identifier ([crypto]), and writes profile, indexes
// and record map in one transaction on the embedded engine (Badger).
// Lookups answer by phone ([DB.ByPhone]), by any channel identifier
// ([DB.ByIdentifier]), by profile id ([DB.ByID]) and by lifecycle stage
// ([DB.ByStage]), streamed and paged.
//
// # What this package asks you to learn
//
// Everything a caller passes or gets back is a type of this package, of
// the standard library, or of package identity, whose types are the
// input vocabulary: [identity.Record] is the one thing [DB.Ingest] and
// [DB.IngestAll] take, and record keys, identifiers, channels, purposes
// and quarantine reasons are identity's types wherever they appear, so a
// record's values and a profile's compare without conversion. The keys of
// [Options].Keys come from package crypto; [Evidence] grades agreement
// with package match's [match.Agreement]. The packages that resolve and
// store profiles are this package's business, not the caller's: none of
// their types appears here. Package scvtest opens throw-away databases
// for tests and loads [Fixtures] into them.
//
// # Keys
//
// A database is opened with a root key from a [crypto.KeyProvider]: a key
// file written by [GenerateKey] (the command line's "scv keygen"), an
// environment variable, or a KMS. The key is never stored with the data,
// and a database made with another key is refused at open with
// [ErrWrongKey]. Nothing personal is stored in plaintext: profiles and
// records are sealed with XChaCha20-Poly1305 under per-profile keys, and
// Badger's keys hold only random ids and keyed blind indexes.
//
// # Lifecycle stages
//
// Every profile is in one stage of the loyalty ladder, recomputed on every
// merge and by [DB.Refresh] as time passes: potential (known from social
// contact only), target (showed purchase intent), first_purchase, repeat,
// loyal (5 or more paid orders in the trailing year) and advocate (refers
// paying customers, or is a promoter who spreads the word). Thresholds are
// in [MergeOptions].
//
// # Safety
//
// Ingesting the same record twice changes nothing; orders count once by
// platform and order id. A placeholder phone typed by staff for many
// customers is detected as a hub and never merges them. Erasure
// ([DB.Erase]) crypto-shreds a profile, and restores of older backups
// re-apply it. [DB.Verify] checks every index both ways.
//
// A DB is safe for concurrent use by multiple goroutines.
package scv
