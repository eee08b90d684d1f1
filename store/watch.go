package store

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"time"

	"github.com/scv-go/scv/merge"
)

// EventKind says what an [Event] reports.
type EventKind string

// The events of the change feed.
const (
	// EventStage: a profile entered a lifecycle stage (From is empty for
	// a new profile).
	EventStage EventKind = "stage"
	// EventDetractor: a profile's latest NPS is now a detractor score
	// (0-6), or its latest CSAT is 1 or 2: someone should call.
	EventDetractor EventKind = "detractor"
)

// Event is one entry of the change feed [Store.Watch] streams. It holds a
// profile id, stages and scores: no personal data, but it is sealed at
// rest all the same.
type Event struct {
	Cursor   string      `json:"-"` // resume the feed after this event
	Time     time.Time   `json:"time"`
	Kind     EventKind   `json:"kind"`
	Profile  string      `json:"profile"`
	From     merge.Stage `json:"from,omitempty"`
	To       merge.Stage `json:"to,omitempty"`
	Feedback string      `json:"feedback,omitempty"` // "nps" or "csat"
	Score    int         `json:"score,omitempty"`
}

func (t *txn) noteEvents(lp *liveProfile) {
	p := lp.p
	if !lp.stored || p.Stage != lp.origStage {
		t.events = append(t.events, Event{Time: t.now, Kind: EventStage, Profile: p.ID, From: lp.origStage, To: p.Stage})
	}
	if s := p.Metrics.NPS; s != nil && s.Score <= 6 && !sameScore(s, lp.origNPS) {
		t.events = append(t.events, Event{Time: t.now, Kind: EventDetractor, Profile: p.ID, Feedback: "nps", Score: s.Score})
	}
	if s := p.Metrics.CSAT; s != nil && s.Score <= 2 && !sameScore(s, lp.origCSAT) {
		t.events = append(t.events, Event{Time: t.now, Kind: EventDetractor, Profile: p.ID, Feedback: "csat", Score: s.Score})
	}
}

func sameScore(a, b *merge.Score) bool {
	return b != nil && a.Score == b.Score && a.Time.Equal(b.Time) && a.From.Record == b.From.Record
}

// Watch streams the change feed: stage transitions and detractor feedback,
// oldest first, starting after the event whose Cursor is after ("" for the
// beginning). When it has caught up it waits for new events until ctx is
// done, then ends without an error.
func (s *Store) Watch(ctx context.Context, after string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		var start []byte
		if after != "" {
			c, err := decodeCursor(after)
			if err != nil {
				yield(Event{}, err)
				return
			}
			start = append(c, 0) // the first key after the cursor
		}
		wake := make(chan struct{}, 1)
		if n, ok := s.kv.(Notifier); ok {
			nctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go n.Notify(nctx, []byte{nsEvent}, func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			})
		}
		for {
			var batch []Event
			err := s.view(ctx, func(t *txn) error {
				batch = batch[:0]
				for e, err := range t.tx.Scan([]byte{nsEvent}, start, false) {
					if err != nil {
						return err
					}
					plain, err := t.kr.Open(purposeEvent, e.Value)
					if err != nil {
						return fmt.Errorf("store: event: %w", err)
					}
					var ev Event
					if err := json.Unmarshal(plain, &ev); err != nil {
						return fmt.Errorf("store: event: %w", err)
					}
					ev.Cursor = encodeCursor(e.Key)
					batch = append(batch, ev)
					start = append(append([]byte(nil), e.Key...), 0)
					if len(batch) == 1024 {
						break
					}
				}
				return nil
			})
			if err != nil {
				if ctx.Err() == nil {
					yield(Event{}, err)
				}
				return
			}
			for _, ev := range batch {
				if !yield(ev, nil) {
					return
				}
			}
			if len(batch) == 1024 {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-time.After(time.Second):
			}
		}
	}
}
