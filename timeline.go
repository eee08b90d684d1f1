package scv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// TimelineEntry is one dated fact of a profile: an order, an interaction
// or a survey answer, with the source record it comes from. It holds no
// personal data: no names, phones or free text.
type TimelineEntry struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`   // "order", "interaction" or "survey"
	What   string    `json:"what"`   // order status, interaction type, or "nps" / "csat"
	Detail string    `json:"detail"` // platform and amount, channel, or the score
	Record string    `json:"record"` // the source record, channel/source/id
}

// Timeline returns p's orders, interactions and survey answers, oldest
// first. Stage changes are in the change feed ([DB.Watch]).
func (p *Profile) Timeline() []TimelineEntry {
	d := p.Detail
	if d == nil {
		return nil
	}
	var out []TimelineEntry
	for _, o := range d.Orders {
		out = append(out, TimelineEntry{Time: o.Time, Kind: "order", What: string(o.Status),
			Detail: fmt.Sprintf("%s %d.%02d %s", o.Platform, o.AmountFen/100, o.AmountFen%100, o.Currency), Record: o.From.Record.String()})
	}
	for _, e := range d.Events {
		out = append(out, TimelineEntry{Time: e.Time, Kind: "interaction", What: string(e.Type),
			Detail: string(e.Record.Channel), Record: e.Record.String()})
	}
	for _, f := range d.Feedback {
		out = append(out, TimelineEntry{Time: f.Time, Kind: "survey", What: string(f.Kind),
			Detail: fmt.Sprintf("score %d", f.Score), Record: f.From.Record.String()})
	}
	slices.SortStableFunc(out, func(a, b TimelineEntry) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Record, b.Record))
	})
	return out
}

// GraphEdge says that two source records of a profile share a linking
// identifier of a kind.
type GraphEdge struct {
	A    string `json:"a"`    // a record key, channel/source/id
	B    string `json:"b"`    // another record key
	Kind string `json:"kind"` // the identifier kind that links them, such as "phone"
}

// Graph is the identity graph of a profile: its source records and the
// identifier kinds that link them. It names record keys and kinds only.
type Graph struct {
	Profile string      `json:"profile"`
	Records []string    `json:"records"`
	Edges   []GraphEdge `json:"edges"`
}

// Graph returns the identity graph of the profile with an id.
func (db *DB) Graph(ctx context.Context, id string) (*Graph, error) {
	p, links, err := db.s.Explain(ctx, id)
	if err != nil {
		return nil, wrap(err)
	}
	g := &Graph{Profile: p.ID, Records: []string{}, Edges: []GraphEdge{}}
	seen := map[GraphEdge]bool{}
	for _, r := range p.Records {
		g.Records = append(g.Records, r.Key.String())
	}
	for _, rl := range links {
		for _, l := range rl.Links {
			for _, w := range l.With {
				a, b := rl.Record.String(), w.String()
				if b < a {
					a, b = b, a
				}
				e := GraphEdge{A: a, B: b, Kind: l.Identifier.Kind.String()}
				if !seen[e] {
					seen[e] = true
					g.Edges = append(g.Edges, e)
				}
			}
		}
	}
	return g, nil
}

// ErrNotLinked is returned by [DB.AcceptSuggestion] when an operator's
// do-not-link between other records of the two sides keeps the profiles
// apart even on the reviewer's word.
var ErrNotLinked = errors.New("scv: the merge rules keep the profiles apart")

// AcceptSuggestion merges two profiles an operator reviewed as one
// person, as [DB.Link] does with actor "review": it lifts any do-not-link
// between their records and links them by an assertion that explain
// shows and an unmerge of either record withdraws. It returns the merged
// profile's id.
func (db *DB) AcceptSuggestion(ctx context.Context, a, b string) (string, error) {
	res, err := db.Link(ctx, a, b, "review")
	if err != nil {
		return "", err
	}
	if !res.Joined {
		return "", ErrNotLinked
	}
	return res.Profile, nil
}

// ErrSameProfile is returned by [DB.RejectSuggestion] when the two ids
// are one profile (merged since the suggestion, or accepted): a
// rejection cannot split it; [DB.Unmerge] a record first.
var ErrSameProfile = errors.New("scv: the two ids are one profile; unmerge a record first")

// RejectSuggestion records an operator's review that two profiles are
// different people: a do-not-link between a record of each, so that the
// pair is never merged nor suggested again.
func (db *DB) RejectSuggestion(ctx context.Context, a, b string) error {
	pa, err := db.s.ByID(ctx, a)
	if err != nil {
		return wrap(err)
	}
	pb, err := db.s.ByID(ctx, b)
	if err != nil {
		return wrap(err)
	}
	if pa.ID == pb.ID {
		return ErrSameProfile
	}
	if len(pa.Records) == 0 || len(pb.Records) == 0 {
		return fmt.Errorf("scv: reject suggestion: a profile without records")
	}
	_, err = db.s.Separate(ctx, pa.Records[0].Key, pb.Records[0].Key)
	return wrap(err)
}
