package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

func encodeCursor(k []byte) string { return base64.RawURLEncoding.EncodeToString(k) }

// ErrBadCursor is returned for a cursor this store did not write.
var ErrBadCursor = errors.New("store: bad cursor")

func decodeCursor(s string) ([]byte, error) {
	k, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(k) == 0 {
		return nil, ErrBadCursor
	}
	return k, nil
}

// maxForwards bounds the forward chain ByID follows.
const maxForwards = 64

// ByID returns the profile with the given id, following forwards from ids
// merged away. It returns [ErrNotFound] when there is none and [ErrErased]
// for an erased profile. The caller owns the returned profile.
func (s *Store) ByID(ctx context.Context, id string) (*merge.Profile, error) {
	pid, err := ParseProfileID(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var p *merge.Profile
	err = s.read(ctx, func(t *txn) error {
		p, err = t.byID(pid)
		return err
	})
	return p, err
}

func (t *txn) byID(pid ProfileID) (*merge.Profile, error) {
	for range maxForwards {
		lp, err := t.profile(pid)
		if err != nil {
			return nil, err
		}
		if lp != nil {
			return lp.p, nil
		}
		to, err := t.tx.Get(forwardKey(pid))
		if errors.Is(err, ErrKeyNotFound) {
			if _, err := t.tx.Get(erasureKey(pid)); err == nil {
				return nil, fmt.Errorf("profile %v: %w", pid, ErrErased)
			}
			return nil, fmt.Errorf("profile %v: %w", pid, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		if pid, err = profileIDFrom(to); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("store: forward chain longer than %d from profile %v", maxForwards, pid)
}

// ByIdentifier returns the profile an identifier belongs to: of the
// profiles that hold it, not one that holds it only as a gift's receiver,
// and of several, the one it is the key of now (a recycled number's new
// owner). It returns [ErrNotFound] when none does, a [*HubError]
// (matching [ErrHub]) when the identifier is a shared placeholder, and an [*AmbiguousError] (matching
// [ErrAmbiguous]) when protection keeps it on more than one profile.
func (s *Store) ByIdentifier(ctx context.Context, id identity.Identifier) (*merge.Profile, error) {
	var p *merge.Profile
	err := s.read(ctx, func(t *txn) error {
		e, err := t.indexEntry(id)
		if err != nil {
			return err
		}
		switch {
		case e.hub:
			he := &HubError{Kind: id.Kind}
			for _, pid := range e.pids {
				he.Profiles = append(he.Profiles, pid.String())
			}
			return he
		case len(e.pids) == 0:
			return fmt.Errorf("%s identifier: %w", id.Kind, ErrNotFound)
		}
		var held []ProfileID
		p, held, err = t.holder(id, e.pids)
		switch {
		case err != nil || p != nil:
			return err
		case len(held) == 0:
			return fmt.Errorf("%s identifier: %w", id.Kind, ErrNotFound)
		}
		ae := &AmbiguousError{Kind: id.Kind}
		for _, pid := range held {
			ae.Profiles = append(ae.Profiles, pid.String())
		}
		return ae
	})
	return p, err
}

// holder returns the profile an identifier on the profiles pids belongs
// to: the one profile that holds it other than as a gift's receiver
// ([merge.StatusReceiver]: the receiver's phone on the buyer's order is not
// the buyer's), or, of several, the one profile whose key it is now
// ([merge.StatusLinking], not the earlier owner of a recycled number).
// Otherwise it returns no profile and the profiles that hold it.
func (t *txn) holder(id identity.Identifier, pids []ProfileID) (*merge.Profile, []ProfileID, error) {
	var (
		held            []ProfileID
		only, linking   *merge.Profile
		linkingProfiles int
	)
	for _, pid := range pids {
		p, err := t.byID(pid)
		if err != nil {
			return nil, nil, err
		}
		i := slices.IndexFunc(p.Identifiers, func(st merge.IdentifierState) bool { return st.Identifier == id })
		if i >= 0 && p.Identifiers[i].Status == merge.StatusReceiver {
			continue
		}
		held = append(held, pid)
		only = p
		if i >= 0 && p.Identifiers[i].Status == merge.StatusLinking {
			linking = p
			linkingProfiles++
		}
	}
	switch {
	case len(held) == 1:
		return only, nil, nil
	case linkingProfiles == 1:
		return linking, nil, nil
	}
	return nil, held, nil
}

// AmbiguousError reports an identifier that belongs to several profiles.
type AmbiguousError struct {
	Kind     identity.Kind
	Profiles []string // the profile ids
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("store: %s identifier belongs to %d profiles", e.Kind, len(e.Profiles))
}

// Unwrap returns [ErrAmbiguous].
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguous }

// HubError reports an identifier flagged as a shared placeholder, with
// the profiles that list it (none may be its owner).
type HubError struct {
	Kind     identity.Kind
	Profiles []string // the profile ids
}

func (e *HubError) Error() string { return fmt.Sprintf("%s identifier: %v", e.Kind, ErrHub) }

// Unwrap returns [ErrHub].
func (e *HubError) Unwrap() error { return ErrHub }

// Filter narrows [Store.ByStage] and [Store.All]. The zero Filter matches
// every profile.
type Filter struct {
	Risk    merge.Risk       // only this churn risk
	Channel identity.Channel // only profiles with a record from this channel
	Consent identity.Purpose // only profiles that consent to this purpose
	// ActiveSince keeps profiles last seen at or after this time.
	ActiveSince time.Time
	// After resumes a listing after the profile with this cursor
	// ([Page].Cursor of the last profile seen).
	After string
	// Limit stops after this many profiles; 0 means no limit.
	Limit int
	// AsOf, if set, is the time the listing's stages, churn risks and
	// windowed metrics are computed for, for the answer only: nothing is
	// stored and no change-feed event is emitted. A profile whose stage
	// index entry says its values do not change by AsOf is answered from
	// the index; only the others are opened and computed to decide
	// whether they match. Cursors then order by stored stage and id.
	AsOf time.Time
}

// match reports whether a profile with the stage index entry s matches.
// With f.AsOf set and s due by then, its risk is left to the profile
// computed as of f.AsOf (see [Store.readPage]).
func (f Filter) match(s summary) bool {
	due := !f.AsOf.IsZero() && s.due(f.AsOf)
	switch {
	case !due && f.Risk != "" && s.Risk != f.Risk:
		return false
	case f.Channel != "" && s.Channels&channelBit(f.Channel) == 0:
		return false
	case f.Consent != "" && s.Consent&purposeBit(f.Consent) == 0:
		return false
	case !f.ActiveSince.IsZero() && s.LastSeen.Before(f.ActiveSince.Truncate(time.Second)):
		return false
	}
	return true
}

// Page is one profile of a listing and the cursor that resumes the listing
// after it.
type Page struct {
	Profile *merge.Profile
	Cursor  string

	damaged error // a *DamagedError instead of the profile
}

// pageSize is how many index entries a listing reads per transaction, so
// that a long listing never holds one snapshot open for long.
const pageSize = 512

// ByStage streams the profiles in a lifecycle stage that match the filter,
// ordered by profile id, each with the cursor that resumes after it. It
// filters on the stage index without opening profiles that do not match.
// A profile that cannot be opened is yielded as a [*DamagedError] (its
// Page holds only the cursor) and the listing goes on with the next if the
// caller's loop does. A listing is not one snapshot: it reads pages of up
// to 512 profiles,
// each in a short read transaction of its own, the next while the caller
// takes the current one, so a profile is as it was when its page was
// read, which may be before the caller's own writes during the listing.
func (s *Store) ByStage(ctx context.Context, stage merge.Stage, f Filter) iter.Seq2[Page, error] {
	code := stageCode(stage)
	if code == 0 {
		return func(yield func(Page, error) bool) {
			yield(Page{}, fmt.Errorf("store: unknown stage %q", stage))
		}
	}
	if !f.AsOf.IsZero() {
		return s.list(ctx, []byte{nsStage}, stage, f)
	}
	return s.list(ctx, []byte{nsStage, code}, "", f)
}

// All streams every profile that matches the filter, by stage and then by
// profile id, each with the cursor that resumes after it.
func (s *Store) All(ctx context.Context, f Filter) iter.Seq2[Page, error] {
	return s.list(ctx, []byte{nsStage}, "", f)
}

// list streams the profiles of the stage index entries under prefix that
// match f and, if stage is set, are in stage as of f.AsOf.
func (s *Store) list(ctx context.Context, prefix []byte, stage merge.Stage, f Filter) iter.Seq2[Page, error] {
	return func(yield func(Page, error) bool) {
		start := prefix
		if f.After != "" {
			c, err := decodeCursor(f.After)
			if err != nil || len(c) != 2+ProfileIDSize || c[0] != nsStage {
				yield(Page{}, ErrBadCursor)
				return
			}
			start = append(c, 0)
		}
		// The next page is read while the caller takes this one: reading
		// is the reads and decryption, taking it is the caller's work, and
		// the two then share the cores. When the caller stops early the
		// read in flight is cancelled and waited for, so none outlives the
		// iteration.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		type result struct {
			page []Page
			more bool
			err  error
		}
		read := func(yielded int) chan result {
			want := pageSize
			if f.Limit > 0 {
				want = min(want, f.Limit-yielded)
			}
			ch := make(chan result, 1)
			go func() {
				page, more, err := s.readPage(ctx, prefix, &start, stage, f, want)
				ch <- result{page, more, err}
			}()
			return ch
		}
		n := 0
		pending := read(0)
		for pending != nil {
			r := <-pending
			if r.err != nil {
				yield(Page{}, r.err)
				return
			}
			pending = nil
			if r.more && (f.Limit <= 0 || n+len(r.page) < f.Limit) {
				pending = read(n + len(r.page))
			}
			for _, p := range r.page {
				if p.damaged != nil {
					// A profile that cannot be opened is reported by
					// id, and the listing goes on if the caller does.
					if !yield(Page{Cursor: p.Cursor}, p.damaged) {
						if pending != nil {
							cancel()
							<-pending
						}
						return
					}
					continue
				}
				if !yield(p, nil) {
					if pending != nil {
						cancel()
						<-pending
					}
					return
				}
				n++
			}
		}
	}
}

// rawProfile is a profile as stored, still sealed: named by a stage index
// entry (a listing, which reads the values in [Store.openPage]) or by a
// blocking index entry (suggestions, which read them with the entry).
type rawProfile struct {
	pid            ProfileID
	wrapped, value []byte // the wrapped data key and the sealed profile
	cursor         []byte
}

// readPage reads up to want matching profiles from the stage index at
// *start, in one short read transaction, and moves *start past them. The
// profiles are read and opened on every core (see [Store.openPage]). With
// f.AsOf set, it may return fewer: the profiles due by then are computed
// as of f.AsOf and dropped unless they match stage and f.Risk.
func (s *Store) readPage(ctx context.Context, prefix []byte, start *[]byte, stage merge.Stage, f Filter, want int) (page []Page, more bool, err error) {
	err = s.read(ctx, func(t *txn) error {
		var raw []rawProfile
		for e, err := range t.tx.Scan(prefix, *start, false) {
			if err != nil {
				return err
			}
			if len(raw) == want {
				more = true
				break
			}
			*start = append(append((*start)[:0:0], e.Key...), 0)
			sum, err := decodeSummary(e.Value)
			if err != nil {
				return err
			}
			if !f.match(sum) {
				continue
			}
			if stage != "" && !sum.due(f.AsOf) && e.Key[1] != stageCode(stage) {
				continue // in another stage as of f.AsOf too
			}
			pid, err := profileIDFrom(e.Key[2:])
			if err != nil {
				return err
			}
			raw = append(raw, rawProfile{pid: pid, cursor: append([]byte(nil), e.Key...)})
		}
		page, err = s.openPage(ctx, t.tx, raw)
		return err
	})
	if err != nil || f.AsOf.IsZero() {
		return page, more, err
	}
	kept := page[:0]
	for _, pg := range page {
		if pg.damaged != nil {
			kept = append(kept, pg) // reported as it is: nothing to compute
			continue
		}
		q, _, err := s.resolver.Refresh(pg.Profile, f.AsOf)
		if err != nil {
			return nil, false, err
		}
		if stage != "" && q.Stage != stage || f.Risk != "" && q.Risk != f.Risk {
			continue
		}
		pg.Profile = q
		kept = append(kept, pg)
	}
	return kept, more, nil
}

// openPage reads a page of profiles from tx and unseals and decodes them,
// on every core, keeping their order. A Badger read-only transaction
// serves concurrent reads (it tracks nothing for them), and reading a
// profile is a search of the LSM tree and a value-log read, which would
// otherwise leave the other cores idle between the pages. Where tx reads
// keys in order faster ([SortedGetter]), each core takes a run of the
// page's profile ids in order.
func (s *Store) openPage(ctx context.Context, tx Txn, raw []rawProfile) ([]Page, error) {
	out := make([]Page, len(raw))
	errs := make([]error, len(raw))
	workers := min(runtime.GOMAXPROCS(0), (len(raw)+15)/16)
	sg, sorted := tx.(SortedGetter)
	var order []int // raw's positions by profile id: a page of All spans stages
	if sorted {
		order = make([]int, len(raw))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return bytes.Compare(raw[a].pid[:], raw[b].pid[:]) })
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			if sorted {
				s.openSorted(ctx, sg, raw, order[w*len(raw)/workers:(w+1)*len(raw)/workers], out, errs)
				return
			}
			for i := w; i < len(raw) && ctx.Err() == nil; i += workers {
				err := getProfile(tx, raw[i].pid, func(wrapped, sealed []byte) error {
					s.openRaw(raw[i], wrapped, sealed, nil, &out[i], &errs[i])
					return nil
				})
				if err != nil {
					s.openRaw(raw[i], nil, nil, err, &out[i], &errs[i])
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, errors.Join(errs...)
}

// openSorted reads and opens the profiles raw[i] for i in idx, whose ids
// ascend, with two ordered reads: the wrapped data keys, then the sealed
// profiles.
func (s *Store) openSorted(ctx context.Context, sg SortedGetter, raw []rawProfile, idx []int, out []Page, errs []error) {
	if len(idx) == 0 {
		return
	}
	keys := make([][]byte, len(idx))
	for j, i := range idx {
		keys[j] = dataKeyKey(raw[i].pid)
	}
	wrapped := make([][]byte, len(idx))
	kerrs := make([]error, len(idx))
	err := sg.GetSorted([]byte{nsDataKey}, keys, func(j int, v []byte, err error) error {
		wrapped[j], kerrs[j] = dataKey(raw[idx[j]].pid, bytes.Clone(v), err)
		return ctx.Err()
	})
	if err != nil {
		errs[idx[0]] = err
		return
	}
	for j, i := range idx {
		keys[j] = profileKey(raw[i].pid)
	}
	err = sg.GetSorted([]byte{nsProfile}, keys, func(j int, v []byte, err error) error {
		sealed, err := sealedProfile(v, err)
		if err == nil {
			err = kerrs[j]
		}
		s.openRaw(raw[idx[j]], wrapped[j], sealed, err, &out[idx[j]], &errs[idx[j]])
		return ctx.Err()
	})
	if err != nil {
		errs[idx[0]] = err
	}
}

// openRaw opens one profile of a page read with err.
func (s *Store) openRaw(r rawProfile, wrapped, sealed []byte, err error, out *Page, errp *error) {
	if errors.Is(err, ErrKeyNotFound) {
		err = fmt.Errorf("store: stage index points at missing profile %v", r.pid)
	}
	if err != nil {
		*errp = err
		return
	}
	p, _, _, err := s.openProfile(r.pid, wrapped, sealed)
	if errors.Is(err, ErrDamaged) {
		*out = Page{Cursor: encodeCursor(r.cursor), damaged: err}
		return
	}
	*out, *errp = Page{Profile: p, Cursor: encodeCursor(r.cursor)}, err
}

// Stats are counts over the whole store.
type Stats struct {
	Profiles    int                 `json:"profiles"`
	Stages      map[merge.Stage]int `json:"stages"`
	Risks       map[merge.Risk]int  `json:"risks"`
	Records     int                 `json:"records"`
	Quarantined int                 `json:"quarantined"`
	Hubs        int                 `json:"hubs"`
	Erased      int                 `json:"erased"`
	Forwards    int                 `json:"forwards"`
}

// Stats counts profiles by stage and risk, records, quarantined records,
// hubs, erasures and forwards. It reads index keys and small values only,
// never a profile (see [Store.StatsAsOf] for stages as of another time).
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	return s.stats(ctx, time.Time{})
}

// StatsAsOf is [Store.Stats] with stages and risks as of asOf, for the
// answer only: nothing is stored and no change-feed event is emitted. It
// opens only the profiles whose stage index entry says their stage or
// risk changes by asOf (or was computed for a later time).
func (s *Store) StatsAsOf(ctx context.Context, asOf time.Time) (Stats, error) {
	if asOf.IsZero() {
		return Stats{}, errors.New("store: StatsAsOf: zero time")
	}
	return s.stats(ctx, asOf)
}

func (s *Store) stats(ctx context.Context, asOf time.Time) (Stats, error) {
	done, err := s.begin()
	if err != nil {
		return Stats{}, err
	}
	defer done()
	st := Stats{Stages: map[merge.Stage]int{}, Risks: map[merge.Risk]int{}}
	for _, stage := range merge.Stages {
		st.Stages[stage] = 0
	}
	var tombstones int
	err = s.view(ctx, func(t *txn) error {
		for e, err := range t.tx.Scan([]byte{nsStage}, nil, false) {
			if err != nil {
				return err
			}
			stage, ok := stageOf(e.Key[1])
			if !ok {
				return errors.New("store: stage index entry with an unknown stage")
			}
			sum, err := decodeSummary(e.Value)
			if err != nil {
				return err
			}
			risk := sum.Risk
			if !asOf.IsZero() && sum.due(asOf) {
				p, err := t.profileAsOf(e.Key[2:], asOf)
				if err != nil {
					return err
				}
				stage, risk = p.Stage, p.Risk
			}
			st.Profiles++
			st.Stages[stage]++
			st.Risks[risk]++
		}
		counts := []struct {
			ns byte
			n  *int
		}{{nsRecord, &st.Records}, {nsQuarantine, &st.Quarantined}, {nsErasure, &st.Erased}, {nsForward, &st.Forwards}, {nsTombstone, &tombstones}}
		for _, c := range counts {
			for _, err := range t.tx.Scan([]byte{c.ns}, nil, true) {
				if err != nil {
					return err
				}
				*c.n++
			}
		}
		st.Records -= tombstones // R entries of erased records are tombstones
		for e, err := range t.tx.Scan([]byte{nsIdentifier}, nil, false) {
			if err != nil {
				return err
			}
			if len(e.Value) > 0 && e.Value[0]&flagHub != 0 {
				st.Hubs++
			}
		}
		return nil
	})
	return st, err
}

// profileAsOf opens the profile with id b, named by a stage index entry,
// and computes it as of asOf, storing nothing.
func (t *txn) profileAsOf(b []byte, asOf time.Time) (*merge.Profile, error) {
	pid, err := profileIDFrom(b)
	if err != nil {
		return nil, err
	}
	lp, err := t.profile(pid)
	if err != nil {
		return nil, err
	}
	if lp == nil || lp.p == nil {
		return nil, fmt.Errorf("store: stage index points at missing profile %v", pid)
	}
	delete(t.profiles, pid) // a scan keeps none of them
	q, _, err := t.s.resolver.Refresh(lp.p, asOf)
	return q, err
}

// AsOf returns a copy of p with its stage, churn risk and windowed
// metrics computed as of asOf, for an answer only: nothing is stored and
// no change-feed event is emitted (a what-if read). p is not modified.
func (s *Store) AsOf(p *merge.Profile, asOf time.Time) (*merge.Profile, error) {
	q, _, err := s.resolver.Refresh(p, asOf)
	return q, err
}

func isErased(err error) bool { return errors.Is(err, ErrErased) }

// Holder returns the profile holding the source record with key k, or
// [ErrNotFound].
func (s *Store) Holder(ctx context.Context, k identity.RecordKey) (*merge.Profile, error) {
	var p *merge.Profile
	err := s.read(ctx, func(t *txn) error {
		var err error
		if p, err = t.Holder(k); err == nil && p == nil {
			err = fmt.Errorf("record: %w", ErrNotFound)
		}
		return err
	})
	return p, err
}

// Snapshot calls fn with every live profile, in one consistent snapshot of
// the whole store: what a consistency check or an invariant test needs.
// Unlike [Store.All], it holds one read transaction for the whole scan, so
// use it for checks, not for serving listings.
func (s *Store) Snapshot(ctx context.Context, fn func(*merge.Profile) error) error {
	return s.read(ctx, func(t *txn) error {
		for e, err := range t.tx.Scan([]byte{nsProfile}, nil, true) {
			if err != nil {
				return err
			}
			pid, err := profileIDFrom(e.Key[1:])
			if err != nil {
				return err
			}
			lp, err := t.profile(pid)
			if err != nil {
				return err
			}
			if lp == nil { // an erasure's purge marker
				continue
			}
			delete(t.profiles, pid)
			if err := fn(lp.p); err != nil {
				return err
			}
		}
		return nil
	})
}
