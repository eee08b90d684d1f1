package store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/codec"
	"github.com/scv-go/scv/merge"
)

// Blind-index kinds besides the identifier kinds (whose names are
// identity.Kind.String()).
const (
	tagRecord     = "record"     // source record keys
	tagContent    = "content"    // record content fingerprints
	tagQuarantine = "quarantine" // quarantined record positions
)

// Purposes of sealed values.
const (
	purposeProfile    = "profile"
	purposeQuarantine = "quarantine"
	purposeErasure    = "erasure"
	purposeEvent      = "event"
	purposeCredits    = "credits"
)

func recordPurpose(rtag []byte) string { return "record:" + hex.EncodeToString(rtag) }

// identifierValue is the blind-indexed form of an identifier's value: the
// scope, a zero byte and the value for scoped kinds, the value otherwise.
func identifierValue(id identity.Identifier) []byte {
	if id.Kind.Scoped() {
		b := make([]byte, 0, len(id.Scope)+1+len(id.Value))
		b = append(b, id.Scope...)
		b = append(b, 0)
		return append(b, id.Value...)
	}
	return []byte(id.Value)
}

func recordValue(k identity.RecordKey) []byte {
	b := make([]byte, 0, len(k.Channel)+len(k.Source)+len(k.ID)+2)
	b = append(b, k.Channel...)
	b = append(b, 0)
	b = append(b, k.Source...)
	b = append(b, 0)
	return append(b, k.ID...)
}

// profileEnvelope is what a P value seals: the profile and the ids of the
// profiles merged into it (whose data keys an erasure must shred too).
// Profiles and records are encoded with internal/codec: a third of the
// bytes of JSON and much faster to decode. Its fields are numbered, as
// merge.Profile's are.
type profileEnvelope struct {
	Profile  *merge.Profile `codec:"65433"`
	Absorbed [][]byte       `codec:"37687"`
}

// bufs recycles the plaintext buffers values are encoded into before
// sealing (sealing copies them) and opened into before decoding (decoding
// copies what it keeps). They are cleared when put back: plaintext does not
// outlive its use in a pooled buffer.
var bufs = sync.Pool{New: func() any { return new([]byte) }}

func getBuf() *[]byte { return bufs.Get().(*[]byte) }
func putBuf(b *[]byte) {
	clear(*b)
	*b = (*b)[:0]
	bufs.Put(b)
}

func appendProfile(dst []byte, p *merge.Profile, absorbed []ProfileID) ([]byte, error) {
	env := profileEnvelope{Profile: p}
	for _, id := range absorbed {
		env.Absorbed = append(env.Absorbed, id[:])
	}
	return codec.Append(dst, &env)
}

func decodeProfile(b []byte) (*merge.Profile, []ProfileID, error) {
	var env profileEnvelope
	if err := codec.Unmarshal(b, &env); err != nil {
		return nil, nil, fmt.Errorf("store: decode profile: %w", err)
	}
	if env.Profile == nil {
		return nil, nil, errors.New("store: decode profile: empty")
	}
	var absorbed []ProfileID
	for _, b := range env.Absorbed {
		id, err := profileIDFrom(b)
		if err != nil {
			return nil, nil, fmt.Errorf("store: decode profile: %w", err)
		}
		absorbed = append(absorbed, id)
	}
	return env.Profile, absorbed, nil
}

// appendRecord encodes a record's content: everything but Line, which
// says where it was read, not what it says. Equal content gives equal
// bytes, so the content tag is a MAC of them. The encoding is the codec's
// first format (no string table, codec.AppendLiteral), the one schema 2
// wrote: the tags stored by any schema still match a re-ingest of the
// same content, which then takes the fast path, and they must keep
// matching, so this encoding never changes. (A record repeats few of its
// strings: the table would save little.)
func appendRecord(dst []byte, r *identity.Record) ([]byte, error) {
	c := *r
	c.Line = 0
	return codec.AppendLiteral(dst, &c)
}

func decodeRecord(b []byte) (identity.Record, error) {
	var r identity.Record
	if err := codec.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("store: decode record: %w", err)
	}
	return r, nil
}

// getProfile reads a profile's wrapped data key (K) and sealed profile
// (P) and calls fn with them; sealed is valid only during the call (an
// engine that hands out its own buffer, [FuncGetter], is not copied from,
// and fn runs under its lock: it must not use tx). It returns fn's error;
// an error wrapping [ErrKeyNotFound] when there is no profile: no P
// entry, or the empty one an erasure's purge writes just before it drops
// every version of the key (see [Badger.Purge]); or an error saying the
// profile has no data key when P is there without a well-formed K.
func getProfile(tx Txn, id ProfileID, fn func(wrapped, sealed []byte) error) error {
	v, err := tx.Get(dataKeyKey(id))
	if errors.Is(err, ErrKeyNotFound) {
		// No data key: no profile either, or a profile without its key.
		if _, err := sealedProfile(tx.Get(profileKey(id))); err != nil {
			return err
		}
	}
	wrapped, err := dataKey(id, v, err)
	if err != nil {
		return err
	}
	open := func(v []byte) error {
		sealed, err := sealedProfile(v, nil)
		if err != nil {
			return err
		}
		return fn(wrapped, sealed)
	}
	if fg, ok := tx.(FuncGetter); ok {
		return fg.GetFunc(profileKey(id), open)
	}
	if v, err = tx.Get(profileKey(id)); err != nil {
		return err
	}
	return open(v)
}

// sealedProfile checks a P entry as read: the empty value an erasure's
// purge writes is no profile.
func sealedProfile(v []byte, err error) ([]byte, error) {
	if err == nil && len(v) == 0 {
		err = ErrKeyNotFound
	}
	return v, err
}

// dataKey checks profile id's K entry as read: there must be one, of a
// wrapped key's size.
func dataKey(id ProfileID, v []byte, err error) ([]byte, error) {
	if errors.Is(err, ErrKeyNotFound) || err == nil && len(v) != crypto.WrappedKeySize {
		return nil, fmt.Errorf("store: profile %v has no data key", id)
	}
	return v, err
}

// tombstone is the R value of a record of an erased profile: one zero
// byte, shorter than any record entry.
var tombstone = []byte{0}

func isTombstone(v []byte) bool { return len(v) == 1 && v[0] == 0 }

// An R value: the holder's profile id, the content tag, then the record
// sealed under the holder's data key.
func splitRecordValue(v []byte, tagSize int) (pid ProfileID, ctag, sealed []byte, err error) {
	if len(v) < ProfileIDSize+tagSize {
		return pid, nil, nil, errors.New("store: record entry too short")
	}
	copy(pid[:], v)
	return pid, v[ProfileIDSize : ProfileIDSize+tagSize], v[ProfileIDSize+tagSize:], nil
}

// An I value: a flags byte (bit 0: hub), then the ids of the profiles that
// list the identifier.
const flagHub = 1

func decodeIndexValue(v []byte) (hub bool, pids []ProfileID, err error) {
	if len(v) < 1 || (len(v)-1)%ProfileIDSize != 0 {
		return false, nil, errors.New("store: malformed identifier index entry")
	}
	hub = v[0]&flagHub != 0
	for b := v[1:]; len(b) > 0; b = b[ProfileIDSize:] {
		var id ProfileID
		copy(id[:], b)
		pids = append(pids, id)
	}
	return hub, pids, nil
}

func encodeIndexValue(hub bool, pids []ProfileID) []byte {
	v := make([]byte, 1, 1+len(pids)*ProfileIDSize)
	if hub {
		v[0] = flagHub
	}
	for _, id := range pids {
		v = append(v, id[:]...)
	}
	return v
}

// Stage and risk codes in index keys and summaries: their position in
// merge.Stages and merge.Risks, plus one.
func stageCode(st merge.Stage) byte {
	if i := slices.Index(merge.Stages, st); i >= 0 {
		return byte(i + 1)
	}
	return 0
}

func stageOf(code byte) (merge.Stage, bool) {
	if code == 0 || int(code) > len(merge.Stages) {
		return "", false
	}
	return merge.Stages[code-1], true
}

func riskCode(r merge.Risk) byte {
	if i := slices.Index(merge.Risks, r); i >= 0 {
		return byte(i + 1)
	}
	return 0
}

// summary is what a stage index entry holds besides its key, so that
// ByStage filters without opening profiles. None of it identifies anyone.
type summary struct {
	Risk     merge.Risk
	Channels uint8 // bit i: the profile has records from channelBits[i]
	Consent  uint8 // bit i: consent for identity.Purposes[i]
	LastSeen time.Time
	// AsOf and NextRefresh let Refresh find the profiles whose
	// time-dependent values it must recompute without opening the others.
	AsOf, NextRefresh time.Time
}

var channelBits = []identity.Channel{identity.ChannelWeChat, identity.ChannelWeibo, identity.ChannelEcommerce, identity.ChannelPOS, identity.ChannelCSV}

func channelBit(c identity.Channel) uint8 {
	if i := slices.Index(channelBits, c); i >= 0 {
		return 1 << i
	}
	return 0
}

func purposeBit(p identity.Purpose) uint8 {
	if i := slices.Index(identity.Purposes, p); i >= 0 {
		return 1 << i
	}
	return 0
}

func summarise(p *merge.Profile) summary {
	s := summary{Risk: p.Risk, LastSeen: p.LastSeen, AsOf: p.AsOf, NextRefresh: p.NextRefresh}
	for _, r := range p.Records {
		s.Channels |= channelBit(r.Key.Channel)
	}
	for _, purpose := range identity.Purposes {
		if p.Consented(purpose) {
			s.Consent |= purposeBit(purpose)
		}
	}
	return s
}

// An S value: risk, channels, consent, then LastSeen, AsOf and
// NextRefresh as big-endian nanoseconds since 1970 (0 for the zero time).
const summarySize = 3 + 3*8

func (s summary) encode() []byte {
	v := make([]byte, 3, summarySize)
	v[0] = riskCode(s.Risk)
	v[1] = s.Channels
	v[2] = s.Consent
	for _, t := range []time.Time{s.LastSeen, s.AsOf, s.NextRefresh} {
		v = binary.BigEndian.AppendUint64(v, uint64(nanos(t)))
	}
	return v
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func decodeSummary(v []byte) (summary, error) {
	if len(v) != summarySize {
		return summary{}, errors.New("store: malformed stage index entry")
	}
	var s summary
	if v[0] > 0 && int(v[0]) <= len(merge.Risks) {
		s.Risk = merge.Risks[v[0]-1]
	}
	s.Channels, s.Consent = v[1], v[2]
	for i, t := range []*time.Time{&s.LastSeen, &s.AsOf, &s.NextRefresh} {
		if n := int64(binary.BigEndian.Uint64(v[3+8*i:])); n != 0 {
			*t = time.Unix(0, n).UTC()
		}
	}
	return s, nil
}

// due reports whether Refresh as of asOf changes the profile: it was
// computed for a later time, or something in it changes by asOf.
func (s summary) due(asOf time.Time) bool {
	return asOf.Before(s.AsOf) || (!s.NextRefresh.IsZero() && !asOf.Before(s.NextRefresh))
}
