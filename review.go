package scv

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// LinkResult says what [DB.Link] did.
type LinkResult struct {
	// Changed is false when nothing kept the two profiles apart that
	// Link can remove: then nothing changed.
	Changed bool `json:"changed"`
	// Profile is the profile holding the first profile's records
	// afterwards.
	Profile string `json:"profile"`
	// Joined reports that the two are one profile now; false when no
	// identifier links them, so that they stay apart without the
	// do-not-link.
	Joined bool `json:"joined"`
}

// Link is an operator's word that the profiles with ids a and b are one
// person: it removes every do-not-link between their records (what
// [DB.Unmerge] and separations put there) and re-resolves them, so they
// rejoin when an identifier links them; when none does (accepting a
// suggestion of [DB.Suggest]), it links them by an assertion naming
// actor, which explain shows and an unmerge of either record withdraws.
// The change feed gets a "linked" event naming actor (the operator, not a
// customer) and the time. Forwards of merged ids are followed. It returns
// [ErrNotFound] or [ErrErased] for an id that names no live profile.
func (db *DB) Link(ctx context.Context, a, b, actor string) (LinkResult, error) {
	ch, err := db.s.Rejoin(ctx, a, b, actor)
	if err != nil {
		return LinkResult{}, wrap(err)
	}
	changed := !ch.NoOp
	pa, err := db.s.ByID(ctx, a)
	if err != nil {
		return LinkResult{}, wrap(err)
	}
	pb, err := db.s.ByID(ctx, b)
	if err != nil {
		return LinkResult{}, wrap(err)
	}
	if pa.ID != pb.ID {
		// No identifier joins them: the operator's word does, as an
		// assertion that explain shows and an unmerge withdraws.
		ch, err := db.s.LinkProfiles(ctx, pa.ID, pb.ID, actor, 0)
		if err != nil {
			return LinkResult{}, wrap(err)
		}
		changed = changed || !ch.NoOp
		if pa, err = db.s.ByID(ctx, a); err != nil {
			return LinkResult{}, wrap(err)
		}
		if pb, err = db.s.ByID(ctx, b); err != nil {
			return LinkResult{}, wrap(err)
		}
	}
	return LinkResult{Changed: changed, Profile: pa.ID, Joined: pa.ID == pb.ID}, nil
}

// ByRecord returns the profile holding the source record with key k, or
// [ErrNotFound].
func (db *DB) ByRecord(ctx context.Context, k identity.RecordKey) (*Profile, error) {
	p, err := db.s.Holder(ctx, k)
	if err != nil {
		return nil, wrap(err)
	}
	return db.at(p)
}

// History is what lies behind a profile's totals: its orders,
// interactions and survey answers, and its lifecycle stages over time,
// each with the key ("channel/source/id") of the source record it comes
// from. It holds personal data only through those keys.
type History struct {
	Orders       []HistoryOrder       `json:"orders"`
	Interactions []HistoryInteraction `json:"interactions"`
	Surveys      []Survey             `json:"surveys"`
	Stages       []StageChange        `json:"stage_history"`
}

// HistoryOrder is the latest known state of one order in a [History].
type HistoryOrder struct {
	Platform  string    `json:"platform"`
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	AmountFen int64     `json:"amount_fen"`
	Currency  string    `json:"currency"`
	Time      time.Time `json:"time,omitzero"`
	Category  string    `json:"category,omitempty"`
	Store     string    `json:"store,omitempty"`
	Record    string    `json:"record"`
}

// HistoryInteraction is one interaction in a [History]: a follow, a
// repost, a registration.
type HistoryInteraction struct {
	Type   string    `json:"type"`
	ID     string    `json:"id,omitempty"`
	Time   time.Time `json:"time,omitzero"`
	Record string    `json:"record"`
}

// Survey is one satisfaction (csat) or recommendation (nps) score.
type Survey struct {
	Kind   string    `json:"kind"`
	Score  int       `json:"score"`
	Time   time.Time `json:"time,omitzero"`
	Record string    `json:"record"`
}

// StageChange is one step of a profile's lifecycle: at Time it moved from
// From ("" at first) to To, because of the record with key Record, or with
// Record empty because time passed (a customer lapsing, an order leaving
// the window).
type StageChange struct {
	Time   time.Time `json:"time"`
	From   Stage     `json:"from,omitempty"`
	To     Stage     `json:"to"`
	Record string    `json:"record,omitempty"`
}

// History returns the orders, interactions, surveys and stage history of
// the profile with id, as of the time of db's reads ([DB.AsOf]), or as
// stored. The stage history is recomputed from the profile's records
// under the database's rules, at the time of each dated record and at
// each time the stage moves by itself: it is the history the records
// tell, not a log.
func (db *DB) History(ctx context.Context, id string) (*History, error) {
	p, err := db.s.ByID(ctx, id)
	if err != nil {
		return nil, wrap(err)
	}
	end := cmp.Or(db.asOf, p.AsOf)
	h := &History{Orders: []HistoryOrder{}, Interactions: []HistoryInteraction{}, Surveys: []Survey{}, Stages: []StageChange{}}
	type fact struct {
		t   time.Time
		rec string
	}
	var facts []fact
	for _, o := range p.Orders {
		h.Orders = append(h.Orders, HistoryOrder{Platform: o.Platform, ID: o.ID, Status: string(o.Status), AmountFen: o.AmountFen,
			Currency: o.Currency, Time: o.Time, Category: o.Category, Store: o.Store, Record: o.From.Record.String()})
		facts = append(facts, fact{o.Time, o.From.Record.String()})
	}
	for _, e := range p.Events {
		h.Interactions = append(h.Interactions, HistoryInteraction{Type: string(e.Type), ID: e.ID, Time: e.Time, Record: e.Record.String()})
		facts = append(facts, fact{e.Time, e.Record.String()})
	}
	for _, f := range p.Feedback {
		h.Surveys = append(h.Surveys, Survey{Kind: string(f.Kind), Score: f.Score, Time: f.Time, Record: f.From.Record.String()})
		facts = append(facts, fact{f.Time, f.From.Record.String()})
	}
	for _, r := range p.Records {
		facts = append(facts, fact{r.Observed, r.Key.String()})
	}
	for _, c := range p.Credits {
		facts = append(facts, fact{c.Time, c.Referred.String()})
	}
	facts = slices.DeleteFunc(facts, func(f fact) bool { return f.t.IsZero() || f.t.After(end) })
	slices.SortStableFunc(facts, func(a, b fact) int { return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.rec, b.rec)) })
	res := db.s.Resolver()
	var cur Stage
	step := func(t time.Time, rec string) (*merge.Profile, error) {
		q, _, err := res.Refresh(p, t)
		if err != nil {
			return nil, err
		}
		if st := Stage(q.Stage); st != cur {
			h.Stages = append(h.Stages, StageChange{Time: t, From: cur, To: st, Record: rec})
			cur = st
		}
		return q, nil
	}
	for i, f := range facts {
		if i > 0 && facts[i-1].t.Equal(f.t) {
			continue // the first record of a time stands for it
		}
		q, err := step(f.t, f.rec)
		if err != nil {
			return nil, err
		}
		next := end
		if i+1 < len(facts) {
			next = facts[i+1].t
		}
		// The stage may move by itself before the next record.
		for n := 0; n < 1000 && !q.NextRefresh.IsZero() && q.NextRefresh.Before(next); n++ {
			if q, err = step(q.NextRefresh, ""); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}
