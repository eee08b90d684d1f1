// Package crypto keeps customer data sealed at rest: it derives and rotates
// keys, seals each profile under its own data key, blind-indexes
// identifiers so that the store's keys hold no personal data, and erases a
// customer by destroying that customer's key.
//
// It imports nothing else of scv. The store uses it as follows: at open it
// gets a [RootKey] from a [KeyProvider] and opens the [Keyring] with the
// state it persisted ([OpenKeyring], or [NewKeyring] for a new store);
// for each new profile it asks [Keyring.NewDataKey] for a [DataKey] and
// stores the wrapped key; it seals the profile and its source records with
// [DataKey.Seal]; it keys its indexes with [Keyring.BlindIndex]; values that
// belong to no profile are sealed with [Keyring.Seal].
//
// # Key hierarchy
//
//	root key (32 bytes, from a KeyProvider; never stored with the data)
//	 ├─ key id          HKDF "scv/v1/key-id", shown in logs
//	 ├─ key check value HKDF "scv/v1/key-check", stored in the keyring state
//	 ├─ at-rest key     HKDF "scv/v1/at-rest", the storage engine's own encryption (RootKey.AtRestKey)
//	 └─ state key       HKDF "scv/v1/kek-wrap", seals the keyring state:
//	     ├─ keyring secret (random)        -> context-commitment key
//	     ├─ KEK epoch secrets (random)     -> data-key wrapping key, keyring-seal key
//	     │    └─ data keys (random, one per profile, stored wrapped)
//	     │         └─ the profile's sealed values
//	     └─ blind-index version secrets (random) -> one HMAC key per kind
//
// Everything below the root is random, not derived from the root, so that
// replacing the root reseals one small state and nothing else (and the
// engine's key registry, which the at-rest key encrypts). Keys are
// derived with HKDF-SHA256 (RFC 5869) with an empty salt, since each secret
// is already uniformly random. The labels, the HKDF info strings:
//
//	scv/v1/key-id                      root -> 8-byte key id
//	scv/v1/key-check                   root -> 32-byte key check value
//	scv/v1/kek-wrap                    root -> key sealing the keyring state
//	scv/v1/at-rest                     root -> 32-byte key of the engine's encryption at rest
//	scv/v1/kek-id                      KEK epoch -> 4-byte fingerprint in headers
//	scv/v1/data-key-wrap               KEK epoch -> key wrapping data keys
//	scv/v1/keyring-seal                KEK epoch -> key of Keyring.Seal
//	scv/v1/context-commitment          keyring secret -> HMAC key of header commitments
//	scv/v1/blind-index/<kind>/<ver>    blind-index version -> HMAC key, e.g. scv/v1/blind-index/phone/1
//
// # Root key text
//
// [GenerateRootKey] makes a key, [RootKey.KeyFile] renders it (the command
// line's "scv keygen" prints this) and [ParseRootKey] reads it back, from
// a file ([FileKeyProvider]) or the SCV_KEY variable ([EnvKeyProvider]).
// The text is any number of '#' comment lines and blank lines, and one key
// line:
//
//	SCV-ROOT-KEY-1-<58 characters>
//
// "1" is the format version. The 58 characters are unpadded RFC 4648 base32
// (A-Z, 2-7, case-insensitive) of 36 bytes: the 32-byte key, then the first
// 4 bytes of SHA-256("scv/v1/root-key-checksum" || key). A cut, extended or
// mistyped key fails with [ErrMalformed] and a message saying which, so it
// is never mistaken for a wrong key; the chance that a random typo passes
// the checksum is 2^-32. A key handle's String, fmt verbs and slog value
// show only its id; nothing but KeyFile reveals the material.
//
// # Ciphertext format
//
// A sealed profile value, a wrapped data key and a keyring value share one
// format, version 1:
//
//	offset  size  field
//	0       1     format version, 1
//	1       1     type: 1 profile value, 2 wrapped data key, 3 keyring value
//	2       8     key id: type 1, the data key's random id; types 2 and 3,
//	              the KEK epoch (4 bytes, big-endian) and its fingerprint (4 bytes)
//	10      4     context commitment: HMAC-SHA256(context key, context), first 4 bytes
//	14      24    XChaCha20 nonce, random
//	38      n     XChaCha20-Poly1305 ciphertext of the n-byte plaintext
//	38+n    16    Poly1305 tag
//
// The context is the type byte, the profile id's length as a uvarint, the
// profile id and the purpose (a wrapped key's purpose is "data-key"; a
// keyring value has an empty profile id). The associated data is bytes 0
// to 14 followed by the context, so the header and the context are
// authenticated: a value moved to another profile or purpose, or given
// another key id, does not open. The overhead is [Overhead], 54 bytes per
// value; a wrapped data key is [WrappedKeySize], 94 bytes. Random 192-bit
// nonces may be drawn without counting: a collision is not expected within
// 2^80 values per key.
//
// Opening checks, in order: length, version and type ([ErrMalformed]); for
// types 2 and 3 the epoch ([ErrRetiredKey], [ErrUnknownKey]); the context
// commitment ([ErrWrongContext]); for type 1 the data key id
// ([ErrUnknownKey]); then the tag ([ErrTampered]). The commitment exists to
// tell a wrong context from tampering; it is a diagnostic, not a security
// boundary (the AEAD authenticates the full context).
//
// The keyring state ([Keyring.State]) has its own header: "SCVK", a version
// byte, the 32-byte key check value, a 24-byte nonce, then the epochs,
// versions and keyring secret sealed under the state key. [OpenKeyring]
// compares the key check value first, so a wrong root fails at once with
// [ErrWrongKey].
//
// # Blind indexes
//
// An unkeyed hash of a phone number protects nothing. Mainland mobile
// numbers are 11 digits of the form 1[3-9]xxxxxxxxx: 7 x 10^9 values. At
// about 100 ns per SHA-256 (one laptop core; the benchmark
// BenchmarkBlindIndex/UnkeyedPhoneHash measures it) the whole space takes 7 x 10^9 x 100 ns = 700 s, about 12
// minutes, after which every hash in a stolen store is reversed by lookup;
// one current GPU, at some 10^10 SHA-256 per second, needs under a second.
// A salt stored beside the data changes nothing, and a slow hash would slow
// every ingest as much as it slows the attacker. So a tag is HMAC-SHA256
// under a secret per-kind key: without the keyring there is nothing to
// enumerate against.
//
// A tag ([BlindIndexSize], 18 bytes) is the 2-byte blind-index version then
// the first 16 bytes of the HMAC. Truncating to 128 bits keeps the chance
// that two distinct values of one kind share a tag, which would merge two
// customers, at n^2 / 2^129: for n = 10^9 identifiers, 10^18 / 6.8 x 10^38,
// about 1.5 x 10^-21 (64 bits would give 3 percent, 96 bits 6 x 10^-12).
// Kinds have separate keys, so only values of one kind can collide.
//
// Blind indexes are deterministic by design: equal values give equal tags,
// so whoever reads the store sees which records share an identifier and
// how many identifiers a profile has, though not what they are.
//
// # Rotation
//
// Key-encryption keys: [Keyring.RotateKEK] adds epoch e+1 and makes it
// primary; new data keys are wrapped under it at once. A background pass
// calls [Keyring.Rewrap] on every wrapped data key and [Keyring.Reseal] on
// every keyring value, writing back those that changed; profiles and their
// records are not touched, since their data keys do not change. A write
// that began before RotateKEK may still commit a key wrapped under the old
// epoch, so repeat the pass until it changes nothing; then
// [Keyring.RetireKEK] deletes the old epoch. Nothing stops while this runs:
// every live epoch stays readable until retired.
//
// Root key: open the keyring with the old root, call [Keyring.RotateRoot]
// with the new one and persist [Keyring.State]. Nothing else changes,
// because the keys below the root are random and only the state is sealed
// under it. Save the new key before persisting the state.
//
// Blind-index keys, without downtime:
//
//  1. [Keyring.AddBlindIndexVersion] adds version v+1 and returns it.
//     Persist the state.
//  2. Write both, read both: from now on the store writes an index entry
//     for every tag [Keyring.BlindIndexAll] returns and looks up by all of
//     them, so records ingested during the rotation are found either way.
//  3. Backfill: once every write that began before step 1 has committed,
//     add the tag under v+1 of every stored identifier.
//  4. [Keyring.SetPrimaryBlindIndex](v+1); [Keyring.BlindIndex] now uses it.
//  5. Delete every index entry whose tag starts with version v (one prefix
//     scan per kind), then [Keyring.RetireBlindIndex](v). Persist the state.
//
// Tags of a retired version can never be computed again; an index entry
// left behind is dead weight, not a leak.
//
// # Erasure
//
// A customer is erased by crypto-shredding: the store deletes the
// profile's wrapped data key. The data key was random, derived from
// nothing, and stored nowhere else, so from that moment the store can open
// none of the profile's sealed values, wherever their copies lie; only a
// surviving copy of the wrapped key could.
//
// Two kinds of copy outlive that deletion, and the design says what closes
// each. First, until Badger compacts them away, older versions of the
// wrapped key remain in the store's files; someone with those files and
// the root key could unwrap one while its KEK epoch lives. The periodic
// rotation closes this cryptographically: once the live data keys are
// rewrapped and the old epoch retired, a wrapped key under that epoch
// cannot be opened with the current state and root, whatever bytes one
// holds ([ErrRetiredKey]). Keyring values (quarantine entries, which may
// hold a raw record) are not per profile: the store deletes an erased
// customer's entries, and their stale copies die with their epoch in the
// same way.
//
// Second, a backup carries the keyring state of its day, epochs included,
// sealed under the root of its day: with that root it opens, erased
// customers included. Retiring an epoch does not change an old backup.
// Against a restore bringing an erased customer back, the store keeps an
// erasure journal (random profile ids and blind-indexed source-record
// keys, no personal data) in every backup and re-applies it on restore:
// that is policy, enforced by code. Against someone decrypting an old
// backup by hand, the cryptographic answer is to rotate the root key
// ([Keyring.RotateRoot]) together with the epochs, keep each old root only
// as long as the backups it sealed are retained (restoring one needs it),
// and then destroy it: every backup sealed under a destroyed root is
// unreadable, erased customers included.
//
// So an erasure is immediate for the live store, final against the
// store's own stale copies once their epoch is retired, and a matter of
// policy for backups until the root that sealed them is destroyed.
//
// # Security warnings
//
// This package does not protect against a process that holds the root key
// or an open [Keyring] in memory: such a process can read everything, and
// Go gives no guarantee that key material is wiped from memory. It does
// not hide traffic patterns: equal identifiers have equal blind indexes,
// value sizes show, and the store's key layout shows which profile owns
// which record. It does not keep the root key apart from the data for you:
// a key file in the data directory or in the same backup protects nothing.
package crypto
