package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scv-go/scv/identity"
)

// QuarantineEntry is a record that was not ingested, with where it came
// from and why. It holds no content of the record: the raw record kept
// for [Store.RetryQuarantine] stays sealed inside the store.
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

// sealedQuarantine is what a quarantine entry seals: the entry and the
// raw record as read (identity.RecordError.Raw), personal data that never
// leaves the store but through a retry.
type sealedQuarantine struct {
	QuarantineEntry
	Raw []byte `json:"raw,omitempty"`
}

// quarantine keeps a quarantined record's position, reason and raw
// record, unless the raw record names a suppressed (erased) identifier. The entry's key is a blind index of the position, so
// quarantining the same bad record again (a re-import, a retry) replaces
// its entry instead of adding one.
func (t *txn) quarantine(re *identity.RecordError) error {
	raw := re.Raw
	if raw != nil {
		// An erased person's data is never kept again.
		if _, _, err := t.suppressed(&identity.Record{}); err != nil {
			return err
		}
		if t.anySuppressed {
			_, hit, err := t.suppressed(&identity.Record{Identifiers: rawIdentifiers(sealedQuarantine{QuarantineEntry: QuarantineEntry{Channel: re.Channel}, Raw: raw})})
			if err != nil {
				return err
			}
			if hit {
				raw = nil
			}
		}
	}
	pos := string(re.Channel) + "\x00" + t.file + "\x00" + re.Source + "\x00" + strconv.Itoa(re.Line) + "\x00" + re.RecordID + "\x00" + re.Field + "\x00" + string(re.Reason)
	tag, _ := t.kr.BlindIndex(tagQuarantine, []byte(pos))
	plain, err := json.Marshal(sealedQuarantine{QuarantineEntry: QuarantineEntry{
		Channel: re.Channel, File: t.file, Source: re.Source, Line: re.Line, RecordID: re.RecordID, Field: re.Field,
		Reason: re.Reason, Offset: re.Offset, Time: t.now.UTC(),
	}, Raw: raw})
	if err != nil {
		return err
	}
	return t.tx.Set(key(nsQuarantine, tag), t.kr.Seal(purposeQuarantine, plain))
}

// heldEntry is a quarantine entry read back with its key.
type heldEntry struct {
	key []byte
	sealedQuarantine
}

// quarantined reads every quarantine entry f selects.
func (s *Store) quarantined(ctx context.Context, f QuarantineFilter) ([]heldEntry, error) {
	var entries []heldEntry
	err := s.view(ctx, func(t *txn) error {
		for e, err := range t.tx.Scan([]byte{nsQuarantine}, nil, false) {
			if err != nil {
				return err
			}
			if len(e.Value) == 0 {
				continue // marked by a purge that failed: see purgeTraces
			}
			plain, err := t.kr.Open(purposeQuarantine, e.Value)
			if err != nil {
				return fmt.Errorf("store: quarantine entry: %w", err)
			}
			var q sealedQuarantine
			if err := json.Unmarshal(plain, &q); err != nil {
				return fmt.Errorf("store: quarantine entry: %w", err)
			}
			if f.match(q.QuarantineEntry) {
				entries = append(entries, heldEntry{key: bytes.Clone(e.Key), sealedQuarantine: q})
			}
		}
		return nil
	})
	return entries, err
}

// Quarantine streams the quarantined records. An erasure removes the
// entries of the erased person's records ([Store.Erase]).
func (s *Store) Quarantine(ctx context.Context) iter.Seq2[QuarantineEntry, error] {
	return func(yield func(QuarantineEntry, error) bool) {
		done, err := s.begin()
		if err != nil {
			yield(QuarantineEntry{}, err)
			return
		}
		defer done()
		entries, err := s.quarantined(ctx, QuarantineFilter{})
		if err != nil {
			yield(QuarantineEntry{}, err)
			return
		}
		for _, q := range entries {
			if !yield(q.QuarantineEntry, nil) {
				return
			}
		}
	}
}

// QuarantineFilter selects quarantine entries for [Store.DropQuarantine]
// and [Store.RetryQuarantine]. Each field set must match; the zero filter
// selects every entry.
type QuarantineFilter struct {
	File   string          // the entry's file (the base name given to IngestOptions.File)
	Source string          // the entry's source
	Reason identity.Reason // the entry's reason
}

func (f QuarantineFilter) match(q QuarantineEntry) bool {
	return (f.File == "" || f.File == q.File) && (f.Source == "" || f.Source == q.Source) && (f.Reason == "" || f.Reason == q.Reason)
}

// DropQuarantine removes the quarantine entries f selects, with the raw
// records they keep, and returns how many it removed.
func (s *Store) DropQuarantine(ctx context.Context, f QuarantineFilter) (int, error) {
	done, err := s.begin()
	if err != nil {
		return 0, err
	}
	defer done()
	entries, err := s.quarantined(ctx, f)
	if err != nil {
		return 0, err
	}
	for page := range slices.Chunk(entries, pageSize) {
		err := s.update(ctx, func(t *txn) error {
			for _, q := range page {
				if err := t.tx.Delete(q.key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return len(entries), nil
}

// RetrySummary counts what [Store.RetryQuarantine] did: the Summary of
// the records it ran again, and the entries it could not run because no
// raw record was kept (records over 64 KiB or over
// identity.MaxRecordBytes, unread input, records refused after decoding,
// and entries written before raw records were kept). Those entries stay.
type RetrySummary struct {
	Summary
	NotKept int `json:"not_kept"`
}

// RetryQuarantine runs again the quarantined records f selects, after a
// fix: it decodes each kept raw record in its entry's format with opts
// (Region, Mapping, Placeholders, Location; the source is the entry's),
// ingests what it yields and, in the same transaction, removes the old
// entry. A record that fails again is quarantined again, once, at its old
// line. An error that ends decoding (a mapping that does not fit the
// header) stops the retry, changing nothing more.
func (s *Store) RetryQuarantine(ctx context.Context, f QuarantineFilter, opts identity.Options) (RetrySummary, error) {
	sum := RetrySummary{Summary: newSummary()}
	done, err := s.begin()
	if err != nil {
		return sum, err
	}
	defer done()
	entries, err := s.quarantined(ctx, f)
	if err != nil {
		return sum, err
	}
	entries = slices.DeleteFunc(entries, func(q heldEntry) bool {
		if q.Raw == nil {
			sum.NotKept++
			return true
		}
		return false
	})
	slices.SortFunc(entries, func(a, b heldEntry) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Line, b.Line))
	})
	for len(entries) > 0 {
		n := 1
		for n < len(entries) && n < DefaultBatchSize && entries[n].File == entries[0].File {
			n++
		}
		batch := entries[:n]
		entries = entries[n:]
		var recs []identity.Record
		var bad []*identity.RecordError
		for _, q := range batch {
			r, b, err := q.decode(opts)
			if err != nil {
				return sum, err
			}
			recs, bad = append(recs, r...), append(bad, b...)
		}
		var got Summary
		err := s.update(ctx, func(t *txn) error {
			for _, q := range batch {
				if err := t.tx.Delete(q.key); err != nil {
					return err
				}
			}
			t.file = batch[0].File
			var err error
			got, err = t.ingestBatch(slices.Clone(recs), slices.Clone(bad))
			return err
		})
		if err != nil {
			return sum, err
		}
		sum.Add(got)
	}
	return sum, nil
}

// decode decodes the entry's raw record with opts, at the entry's line.
func (q heldEntry) decode(opts identity.Options) ([]identity.Record, []*identity.RecordError, error) {
	format := identity.Format(q.Channel)
	opts.Source = q.Source
	if q.Source == string(format) {
		opts.Source = "" // the default source, which e-commerce replaces by the platform
	}
	if format != identity.FormatCSV {
		opts.Mapping = nil
	}
	var recs []identity.Record
	var bad []*identity.RecordError
	for rec, err := range identity.Decode(bytes.NewReader(q.Raw), format, opts) {
		var re *identity.RecordError
		switch {
		case errors.As(err, &re):
			re.Line = q.Line
			bad = append(bad, re)
		case err != nil:
			return nil, nil, fmt.Errorf("store: retrying %s line %d: %w", cmp.Or(q.File, q.Source), q.Line, err)
		default:
			rec.Line = q.Line
			recs = append(recs, rec)
		}
	}
	return recs, bad, nil
}

// rawIdentifiers returns the identifiers a kept raw record names: those
// its format's adapter reads from it, and every run of digits and phone
// punctuation in it that is a valid phone number (of China, or with its
// country code), so that a record too broken to decode is found too.
func rawIdentifiers(q sealedQuarantine) []identity.Identifier {
	var ids []identity.Identifier
	for rec := range identity.Decode(bytes.NewReader(q.Raw), identity.Format(q.Channel), identity.Options{}) {
		ids = append(ids, rec.Identifiers...)
	}
	text := []rune(string(q.Raw))
	for i := 0; i < len(text); {
		j := i
		for j < len(text) && isPhoneRune(text[j]) {
			j++
		}
		if j-i >= 7 {
			run := string(text[i:j])
			// The run as a whole (139 1234 5678), and each of its words
			// (two numbers side by side).
			for _, c := range append([]string{run}, strings.Fields(run)...) {
				if p, err := identity.ParsePhone(c, "CN"); err == nil {
					ids = append(ids, identity.Identifier{Kind: identity.KindPhone, Value: p.String()})
				}
			}
		}
		i = j + 1
	}
	return ids
}

func isPhoneRune(r rune) bool {
	return '0' <= r && r <= '9' || '０' <= r && r <= '９' || strings.ContainsRune("+-() ", r)
}
