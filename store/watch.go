package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/scv-go/scv/internal/codec"
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
	// EventMerged: the profile Other was merged into Profile (a record
	// linked them); Other's id now forwards to Profile.
	EventMerged EventKind = "merged"
	// EventSplit: records of Profile went to the new profile Other (an
	// unmerge, a separation, a record whose new version links elsewhere).
	EventSplit EventKind = "split"
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
	// Other is the second profile of a merged, split or linked event.
	Other string `json:"other,omitempty"`
	// Actor is who linked two profiles ([EventLinked]), as the caller
	// named them.
	Actor string `json:"actor,omitempty"`
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

// eventList is a W or L entry: the events of one transaction. A zero
// event is one an erasure removed (see [Store.purgeTraces]).
type eventList struct{ Events []Event }

// An event cursor is its L entry's key and its index in the entry.
func eventCursor(k []byte, i int) string {
	return encodeCursor(binary.BigEndian.AppendUint16(append([]byte(nil), k...), uint16(i)))
}

// publish moves the pending event entries (W, written by each transaction
// under a time-ordered but not commit-ordered key, so that writers never
// contend) to the feed (L), under consecutive numbers: one publisher at a
// time, so the feed's order is fixed once published and a reader that has
// passed a number never misses an entry committed later.
func (s *Store) publish(ctx context.Context) error {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	for {
		moved := 0
		err := s.update(ctx, func(t *txn) error {
			moved = 0
			var next uint64
			switch v, err := t.tx.Get(metaKey("feed")); {
			case err == nil && len(v) == 8:
				next = binary.BigEndian.Uint64(v)
			case err == nil:
				return errors.New("store: malformed feed counter")
			case !errors.Is(err, ErrKeyNotFound):
				return err
			}
			for e, err := range t.tx.Scan([]byte{nsEvent}, nil, false) {
				if err != nil {
					return err
				}
				if moved == pageSize {
					break
				}
				next++
				if err := t.tx.Set(binary.BigEndian.AppendUint64([]byte{nsLog}, next), e.Value); err != nil {
					return err
				}
				if err := t.tx.Delete(append([]byte(nil), e.Key...)); err != nil {
					return err
				}
				moved++
			}
			if moved == 0 {
				return nil
			}
			return t.tx.Set(metaKey("feed"), binary.BigEndian.AppendUint64(nil, next))
		})
		if err != nil || moved < pageSize {
			return err
		}
	}
}

// watchStep publishes pending events and reads the feed with fn, holding
// the store's shared lock only meanwhile, so that a long watch never holds
// off Restore or Close.
func (s *Store) watchStep(ctx context.Context, fn func(*txn) error) error {
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	if err := s.publish(ctx); err != nil {
		return err
	}
	return s.view(ctx, fn)
}

// Watch streams the change feed: stage transitions, detractor feedback,
// merges, splits, links and erasures, in the feed's order, starting after the event whose Cursor is
// after ("" for the beginning). When it has caught up it waits for new
// events until ctx is done, then ends without an error. An erasure
// removes the events about the erased person but the [EventErased]
// notice; a cursor of a removed event stays valid and resumes at the next
// event that remains.
func (s *Store) Watch(ctx context.Context, after string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		start := []byte{nsLog}
		var lastKey []byte // events up to lastIdx of lastKey were yielded
		lastIdx := -1
		if after != "" {
			c, err := decodeCursor(after)
			if err != nil || len(c) != 11 || c[0] != nsLog {
				yield(Event{}, ErrBadCursor)
				return
			}
			lastKey, lastIdx = c[:9], int(binary.BigEndian.Uint16(c[9:]))
			start = lastKey
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
			err := s.watchStep(ctx, func(t *txn) error {
				for e, err := range t.tx.Scan([]byte{nsLog}, start, false) {
					if err != nil {
						return err
					}
					if len(e.Value) == 0 {
						continue // marked by a purge that failed: see purgeTraces
					}
					plain, err := t.kr.Open(purposeEvent, e.Value)
					if err != nil {
						return fmt.Errorf("store: event: %w", err)
					}
					var list eventList
					if err := codec.Unmarshal(plain, &list); err != nil {
						return fmt.Errorf("store: event: %w", err)
					}
					for i, ev := range list.Events {
						if bytes.Equal(e.Key, lastKey) && i <= lastIdx || ev.Kind == "" {
							continue // yielded, or removed by an erasure
						}
						ev.Cursor = eventCursor(e.Key, i)
						batch = append(batch, ev)
					}
					start = append(append([]byte(nil), e.Key...), 0)
					if len(batch) >= 1024 {
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
			if len(batch) >= 1024 {
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
