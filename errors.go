package scv

import (
	"errors"
	"fmt"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// Errors returned by DB methods, testable with [errors.Is]. An error's
// text may differ from the sentinel's: it can name a profile or record
// id, never personal data.
var (
	// ErrNoKey is returned by Open without Options.Keys or KeyFile.
	ErrNoKey = errors.New("scv: no key: set Options.Keys or Options.KeyFile")
	// ErrNotFound is returned when no profile matches: ByPhone,
	// ByIdentifier, ByID, Explain, ExplainPair, Erase, Unmerge, Separate,
	// SuggestFor, and Unsuppress of an identifier not suppressed.
	ErrNotFound = errors.New("scv: not found")
	// ErrWrongKey is returned by Open or Restore with another root key
	// than the database's.
	ErrWrongKey = errors.New("scv: wrong key")
	// ErrLocked is returned by Open of a directory another process has
	// open.
	ErrLocked = errors.New("scv: database is locked by another process")
	// ErrHub is returned by ByPhone or ByIdentifier of a shared
	// placeholder value, in a [*HubError] listing the profiles that
	// carry it.
	ErrHub = errors.New("scv: identifier is a shared placeholder (hub)")
	// ErrAmbiguous is returned by ByPhone or ByIdentifier of a value on
	// several profiles, in an [*AmbiguousError] listing them.
	ErrAmbiguous = errors.New("scv: identifier belongs to more than one profile")
	// ErrErased is returned by ByID or Erase of an erased profile.
	ErrErased = errors.New("scv: profile was erased")
	// ErrClosed is returned by any call after Close.
	ErrClosed = errors.New("scv: closed")
	// ErrNotBackup is returned by Restore of a stream Backup did not
	// write.
	ErrNotBackup = errors.New("scv: not an scv backup")
	// ErrOldSchema is returned by Open or Restore of a database or backup
	// of an older key schema.
	ErrOldSchema = errors.New("scv: database written under an older key schema")
	// ErrBackupDamaged is returned by Restore of a truncated or altered
	// backup; nothing is replaced.
	ErrBackupDamaged = errors.New("scv: backup is damaged (truncated or altered)")
	// ErrErasuresUnknown is returned by Restore into a new database with
	// no erasure journal, unless forced; nothing is replaced.
	ErrErasuresUnknown = errors.New("scv: restore into a new database without an erasure journal")
	// ErrDiskFull is returned when a write would fill the disk; what was
	// being written is left as it was.
	ErrDiskFull = errors.New("scv: not enough free disk space")
	// ErrDamaged matches the error of a profile that cannot be opened
	// (failed authentication or decoding), a [*DamagedError], which
	// listings yield and skip.
	ErrDamaged = errors.New("scv: damaged profile")
	// ErrRulesChanged is returned by Open, in a [*RulesError] naming the
	// fields, for merge rules other than the database's.
	ErrRulesChanged = errors.New("scv: the database was resolved under other merge rules")
	// ErrBadCursor is yielded by ByStage and All for a Filter.After that
	// no listing returned.
	ErrBadCursor = errors.New("scv: bad cursor")
	// ErrBulkMemory is returned by [DB.BulkLoad] when the load needs
	// more memory than [BulkOptions].MemoryMiB; nothing was written.
	ErrBulkMemory = errors.New("scv: bulk load needs more memory than BulkOptions.MemoryMiB allows")
)

// sentinels pairs each error of this package with the store's error it
// stands for.
var sentinels = []struct{ root, inner error }{
	{ErrNotFound, store.ErrNotFound}, {ErrWrongKey, store.ErrWrongKey}, {ErrLocked, store.ErrLocked},
	{ErrHub, store.ErrHub}, {ErrAmbiguous, store.ErrAmbiguous}, {ErrErased, store.ErrErased},
	{ErrClosed, store.ErrClosed}, {ErrNotBackup, store.ErrNotBackup}, {ErrOldSchema, store.ErrOldSchema},
	{ErrBackupDamaged, store.ErrBackupDamaged}, {ErrErasuresUnknown, store.ErrErasuresUnknown},
	{ErrDiskFull, store.ErrDiskFull}, {ErrDamaged, store.ErrDamaged}, {ErrRulesChanged, store.ErrRulesChanged},
	{ErrBadCursor, store.ErrBadCursor}, {ErrBadToken, store.ErrBadToken}, {ErrBulkMemory, store.ErrBulkMemory},
}

// DamagedError reports a stored profile that cannot be opened: its sealed
// value or its wrapped data key fails authentication, or what it holds
// does not decode. Lookups return it; listings (ByStage, All, Export)
// yield it for the profile and go on with the next; [DB.Erase] erases the
// profile without opening it. It names the profile by id only, and
// matches [ErrDamaged].
type DamagedError struct {
	ID  string // the profile id
	Err error  // why it cannot be opened
}

// Error names the profile and the cause, never its content.
func (e *DamagedError) Error() string {
	return fmt.Sprintf("scv: profile %s is damaged (%v): listings skip it; erase it or restore a backup", e.ID, e.Err)
}

// Unwrap returns [ErrDamaged] and the cause.
func (e *DamagedError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

// AmbiguousError reports an identifier that belongs to several profiles.
// It matches [ErrAmbiguous].
type AmbiguousError struct {
	Kind     identity.Kind
	Profiles []string // the profile ids
}

// Error names the identifier's kind and how many profiles hold it, never
// its value.
func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("scv: %s identifier belongs to %d profiles", e.Kind, len(e.Profiles))
}

// Unwrap returns [ErrAmbiguous].
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguous }

// HubError reports an identifier flagged as a shared placeholder (a
// hub), with the profiles that carry it, none of which it identifies.
// It matches [ErrHub].
type HubError struct {
	Kind     identity.Kind
	Profiles []string // the profile ids
}

// Error names the identifier's kind, never its value.
func (e *HubError) Error() string {
	return fmt.Sprintf("scv: %s identifier is a shared placeholder (hub)", e.Kind)
}

// Unwrap returns [ErrHub].
func (e *HubError) Unwrap() error { return ErrHub }

// RulesError is the error Open returns for merge rules that differ from
// the stored ones. It names the fields, never values that may be personal
// data (blocked identifiers, placeholder values): numbers, booleans and
// durations are shown, text is not. It matches [ErrRulesChanged].
type RulesError struct {
	// Fields are the differing fields, as paths into [MergeOptions]
	// ("Stage.LoyalOrders", "Limits[phone]"), in order.
	Fields []RuleDiff
	// Interrupted reports that a restage under new rules did not finish.
	Interrupted bool

	msg string
}

// Error names the differing fields, and their values where they are
// numbers, booleans or durations.
func (e *RulesError) Error() string { return e.msg }

// Unwrap returns [ErrRulesChanged].
func (e *RulesError) Unwrap() error { return ErrRulesChanged }

// RuleDiff is one field of the merge rules whose stored and given values
// differ. Stored and Given are empty for a field at its default (zero)
// and "(text)" for a value that is not shown.
type RuleDiff struct {
	Field  string `json:"field"`
	Stored string `json:"stored"`
	Given  string `json:"given"`
}

// rootError is an error of the layers below as this package returns it:
// it matches this package's sentinels and error types, and keeps the
// error it wraps, text and chain, as it was.
type rootError struct{ err error }

func (e *rootError) Error() string { return e.err.Error() }
func (e *rootError) Unwrap() error { return e.err }

func (e *rootError) Is(target error) bool {
	for _, s := range sentinels {
		if target == s.root {
			return errors.Is(e.err, s.inner)
		}
	}
	return false
}

func (e *rootError) As(target any) bool {
	switch t := target.(type) {
	case **DamagedError:
		var de *store.DamagedError
		if errors.As(e.err, &de) {
			*t = &DamagedError{ID: de.ID, Err: de.Err}
			return true
		}
	case **AmbiguousError:
		var ae *store.AmbiguousError
		if errors.As(e.err, &ae) {
			*t = &AmbiguousError{Kind: ae.Kind, Profiles: ae.Profiles}
			return true
		}
	case **HubError:
		var he *store.HubError
		if errors.As(e.err, &he) {
			*t = &HubError{Kind: he.Kind, Profiles: he.Profiles}
			return true
		}
	case **RulesError:
		var re *store.RulesError
		if errors.As(e.err, &re) {
			*t = &RulesError{Interrupted: re.Interrupted, msg: re.Error()}
			for _, d := range re.Fields {
				(*t).Fields = append((*t).Fields, RuleDiff(d))
			}
			return true
		}
	}
	return false
}

// wrap returns err as this package returns it: an error that matches one
// of the store's sentinels is wrapped so that it matches this package's
// too; any other error is returned as it is.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*rootError); ok {
		return err
	}
	for _, s := range sentinels {
		if errors.Is(err, s.inner) {
			return &rootError{err}
		}
	}
	return err
}
