package scv

import (
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
	"github.com/scv-go/scv/store"
)

// Result says what ingesting one record did.
type Result struct {
	Outcome Outcome
	Profile string // the id of the profile holding the record; empty if erased
	Created int    // profiles created (a split can create more than one)
	Merged  int    // profile ids merged away
	// Suppressed is, for [OutcomeSuppressed], the kind of the record's
	// first suppressed identifier.
	Suppressed identity.Kind
	// Receivers counts the receiver records of the record's order this
	// ingest made or updated (see [Summary].Receivers).
	Receivers int
	// ReceiverSuppressed says that the order named an erased person as
	// its receiver: it was kept without them (their phone, name and
	// address), with a suppressed warning on field "receiver".
	ReceiverSuppressed bool
	// ReceiversAtHub counts the receiver phones of an order that arrived
	// or changed that are hubs (a parcel station's) and have no receiver
	// record: none is made, and the summary counts a receiver_hub
	// warning for each. One made before the phone was flagged stays and
	// follows its order.
	ReceiversAtHub int
}

// Outcome says what ingesting one record did.
type Outcome string

// The outcomes of [DB.Ingest].
const (
	OutcomeCreated   Outcome = "created"   // the record started a new profile
	OutcomeJoined    Outcome = "joined"    // the record joined or updated an existing profile
	OutcomeMerged    Outcome = "merged"    // the record linked profiles that became one
	OutcomeUnchanged Outcome = "unchanged" // the same record with the same content was ingested before
	OutcomeUpdated   Outcome = "updated"   // a new version of a record held: combined with the version held
	OutcomeStale     Outcome = "stale"     // a version of a record held that adds nothing to it
	OutcomeErased    Outcome = "erased"    // the record belongs to an erased profile and was refused
	// OutcomeSuppressed is a record that carries an identifier an erasure
	// suppressed: it is refused (and quarantined by [DB.IngestAll]).
	OutcomeSuppressed Outcome = "suppressed"
)

// Summary counts what [DB.IngestAll] did. Read = Accepted + the sum of
// Quarantined.
type Summary struct {
	Read        int                     `json:"read"`
	Accepted    int                     `json:"accepted"`
	Quarantined map[identity.Reason]int `json:"quarantined"`
	Unchanged   int                     `json:"unchanged"` // the same content as the version held
	Updated     int                     `json:"updated"`   // new versions of records held, combined with them
	Stale       int                     `json:"stale"`     // versions that added nothing to the one held
	// ProfilesCreated counts the profiles made, ProfilesMerged those
	// merged into another. A bulk load resolves each group of records at
	// once and makes only their final profiles, so it merges none where
	// an import record by record makes profiles and then merges them.
	ProfilesCreated int                     `json:"profiles_created"`
	ProfilesMerged  int                     `json:"profiles_merged"`
	Warnings        map[identity.Reason]int `json:"warnings"`
	// Receivers counts the receiver records made or updated from orders:
	// the person an order was shipped to, at its receiver phone, as a
	// record of their own (see docs/resolution.md). They are derived
	// from the records read, so not in Read.
	Receivers int `json:"receivers"`
}

// Add adds the counts of o to s, as the summary of two imports together;
// s's maps must not be nil.
func (s *Summary) Add(o Summary) { (*store.Summary)(s).Add(store.Summary(o)) }

// IngestOptions configure [DB.IngestAll]. The zero value is the default.
type IngestOptions struct {
	// BatchSize is the number of records per transaction; default 512.
	BatchSize int
	// Progress, if set, is called after each batch with the totals so far.
	Progress func(Summary)
	// File names the input (a base name, no personal data) in quarantine
	// entries, so that the same line of two files of one source are two
	// entries.
	File string
}

func (o IngestOptions) store() store.IngestOptions {
	so := store.IngestOptions{BatchSize: o.BatchSize, File: o.File}
	if o.Progress != nil {
		so.Progress = func(s store.Summary) { o.Progress(Summary(s)) }
	}
	return so
}

// Filter narrows listings ([DB.ByStage], [DB.All]) by churn risk, channel,
// consent and last activity, and pages them: set After to the Cursor of
// the last profile of the previous page, and Limit to the page size. The
// zero Filter matches every profile.
type Filter struct {
	Risk    Risk             // only this churn risk
	Channel identity.Channel // only profiles with a record from this channel
	Consent Purpose          // only profiles that consent to this purpose
	// ActiveSince keeps profiles last seen at or after this time.
	ActiveSince time.Time
	// After resumes a listing after the profile with this cursor
	// ([Profile].Cursor of the last profile seen); a cursor no listing
	// returned yields [ErrBadCursor].
	After string
	// Limit stops after this many profiles; 0 means no limit.
	Limit int
	// AsOf, if set, is the time the listing's stages, churn risks and
	// windowed metrics are computed for, for the answer only: nothing is
	// stored and no change-feed event is emitted (see [DB.AsOf]).
	AsOf time.Time
}

func (f Filter) store() store.Filter {
	return store.Filter{Risk: merge.Risk(f.Risk), Channel: f.Channel, Consent: f.Consent,
		ActiveSince: f.ActiveSince, After: f.After, Limit: f.Limit, AsOf: f.AsOf}
}

// Stats are counts over the whole database.
type Stats struct {
	Profiles    int           `json:"profiles"`
	Stages      map[Stage]int `json:"stages"`
	Risks       map[Risk]int  `json:"risks"`
	Records     int           `json:"records"`
	Quarantined int           `json:"quarantined"`
	Hubs        int           `json:"hubs"`
	Erased      int           `json:"erased"`
	Forwards    int           `json:"forwards"`
}

func newStats(s store.Stats) Stats {
	out := Stats{Profiles: s.Profiles, Records: s.Records, Quarantined: s.Quarantined, Hubs: s.Hubs, Erased: s.Erased, Forwards: s.Forwards}
	if s.Stages != nil {
		out.Stages = make(map[Stage]int, len(s.Stages))
		for k, n := range s.Stages {
			out.Stages[Stage(k)] = n
		}
	}
	if s.Risks != nil {
		out.Risks = make(map[Risk]int, len(s.Risks))
		for k, n := range s.Risks {
			out.Risks[Risk(k)] = n
		}
	}
	return out
}

// Event is one entry of the change feed [DB.Watch] streams. It holds a
// profile id, stages and scores: no personal data, but it is sealed at
// rest all the same.
type Event struct {
	Cursor   string    `json:"-"` // resume the feed after this event
	Time     time.Time `json:"time"`
	Kind     EventKind `json:"kind"`
	Profile  string    `json:"profile"`
	From     Stage     `json:"from,omitempty"`
	To       Stage     `json:"to,omitempty"`
	Feedback string    `json:"feedback,omitempty"` // "nps" or "csat"
	Score    int       `json:"score,omitempty"`
	// Other is the second profile of a merged, split or linked event.
	Other string `json:"other,omitempty"`
	// Actor is who linked two profiles ([EventLinked]), as the caller
	// named them.
	Actor string `json:"actor,omitempty"`
}

// EventKind says what an [Event] reports.
type EventKind string

// The kinds of change-feed events.
const (
	// EventStage: a profile entered a lifecycle stage (From is empty for
	// a new profile).
	EventStage EventKind = "stage"
	// EventDetractor: a profile's latest NPS is now a detractor score
	// (0-6), or its latest CSAT is 1 or 2: someone should call.
	EventDetractor EventKind = "detractor"
	// EventErased: a profile was erased; downstream copies (marketing
	// lists, exports) must delete it too.
	EventErased EventKind = "erased"
	// EventMerged: the profile Other was merged into Profile (a record
	// linked them); Other's id now forwards to Profile.
	EventMerged EventKind = "merged"
	// EventSplit: records of Profile went to the new profile Other (an
	// unmerge, a separation, a record whose new version links elsewhere).
	EventSplit EventKind = "split"
	// EventLinked: an operator ([DB.Link]) or AutoLink linked Profile and
	// Other; Actor says who.
	EventLinked EventKind = "linked"
)

func newEvent(e store.Event) Event {
	return Event{Cursor: e.Cursor, Time: e.Time, Kind: EventKind(e.Kind), Profile: e.Profile,
		From: Stage(e.From), To: Stage(e.To), Feedback: e.Feedback, Score: e.Score, Other: e.Other, Actor: e.Actor}
}

// QuarantineEntry is a record that was not ingested, with where it came
// from and why. It holds no content of the record.
type QuarantineEntry struct {
	Channel  identity.Channel `json:"channel,omitempty"`
	File     string           `json:"file,omitempty"`
	Source   string           `json:"source"`
	Line     int              `json:"line,omitempty"`
	RecordID string           `json:"record_id,omitempty"`
	Field    string           `json:"field,omitempty"`
	Reason   identity.Reason  `json:"reason"`
	// Offset is the byte offset from which the input was not read, for
	// an [identity.ReasonUnread] entry.
	Offset int64     `json:"offset,omitempty"`
	Time   time.Time `json:"time"`
}

// RestageSummary counts what a restage ([DB.Restage], or Open under
// [RulesReapply]) did.
type RestageSummary struct {
	Profiles     int        `json:"profiles"`          // live profiles before the restage
	Changed      int        `json:"changed"`           // profiles created, merged away or rewritten
	StageChanged int        `json:"stage_changed"`     // of those, live profiles whose stage changed
	Rules        []RuleDiff `json:"rules,omitempty"`   // the fields that differed from the stored rules
	Elapsed      string     `json:"elapsed,omitempty"` // how long it took, by the wall clock
}

func newRestageSummary(s store.RestageSummary) RestageSummary {
	out := RestageSummary{Profiles: s.Profiles, Changed: s.Changed, StageChanged: s.StageChanged, Elapsed: s.Elapsed}
	for _, d := range s.Rules {
		out.Rules = append(out.Rules, RuleDiff(d))
	}
	return out
}

// RefreshSummary counts what [DB.Refresh] did.
type RefreshSummary struct {
	Profiles  int `json:"profiles"`          // profiles in the database
	Refreshed int `json:"refreshed"`         // profiles recomputed
	Changed   int `json:"changed"`           // of those, profiles whose stage or risk changed
	Damaged   int `json:"damaged,omitempty"` // profiles due that cannot be opened, left as they were
}

// RotateOptions configure [DB.Rotate].
type RotateOptions struct {
	// Retire deletes the old key-encryption-key epochs once every data
	// key and sealed value is under the new one. Stale copies of wrapped
	// data keys (older engine versions of erased profiles' keys) become
	// unreadable for good; so do backups' data keys unless the backup's
	// own keyring state is restored with them.
	Retire bool
}

// RotateSummary counts what [DB.Rotate] did.
type RotateSummary struct {
	Epoch    uint32   `json:"epoch"`    // the new primary epoch
	Rewraps  int      `json:"rewraps"`  // data keys rewrapped
	Reseals  int      `json:"reseals"`  // store values resealed
	Retired  []uint32 `json:"retired"`  // epochs retired
	Profiles int      `json:"profiles"` // data keys seen
}

// Report is what [DB.Verify] found. Problems name keys by their namespace
// and hex, never by personal data.
type Report struct {
	Profiles    int      `json:"profiles"`
	Records     int      `json:"records"`
	Identifiers int      `json:"identifiers"`
	Forwards    int      `json:"forwards"`
	Quarantined int      `json:"quarantined"`
	Problems    []string `json:"problems,omitempty"`
}

// OK reports whether the check found no problem.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// RepairReport is what [DB.Repair] did and could not do.
type RepairReport struct {
	Profiles    int      `json:"profiles"`    // profiles that open
	Damaged     []string `json:"damaged"`     // ids of profiles that do not open, left as they are
	Stages      int      `json:"stages"`      // stage entries written or removed
	Identifiers int      `json:"identifiers"` // identifier entries rewritten or removed
}

// RestoreOptions configure [DB.RestoreWith]. The zero value is the
// default.
type RestoreOptions struct {
	// Force restores into a new database with no erasure journal, where
	// Restore otherwise refuses with [ErrErasuresUnknown]: only the
	// erasures the backup itself journals are applied again.
	Force bool
}

// RestoreReport says what a restore applied again and what it could not
// know.
type RestoreReport struct {
	// Format is the backup's format version; Authenticated is true from
	// format 4, whose every byte was authenticated before the database
	// was replaced.
	Format        int  `json:"format"`
	Authenticated bool `json:"authenticated"`
	// Erasures applied again, by where they were journaled; an erasure
	// journaled in several places counts in the first: the database
	// replaced, the external journal file, the backup.
	FromDatabase int `json:"from_database"`
	FromJournal  int `json:"from_journal"`
	FromBackup   int `json:"from_backup"`
	// Unknown is true when the database replaced was new and no external
	// journal held an entry (a restore with Force): erasures made after
	// the backup was taken and recorded nowhere here were not applied.
	Unknown bool `json:"erasures_since_backup_unknown"`
}
