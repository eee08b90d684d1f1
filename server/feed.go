package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/scv-go/scv"
)

// heartbeat is how often an idle feed stream sends a comment line, so
// that proxies keep it open.
const heartbeat = 15 * time.Second

type feedItem struct {
	ev  scv.Event
	err error
}

// follow streams db.Watch(after) on a channel until ctx is done.
func (s *Server) follow(ctx context.Context, after string) <-chan feedItem {
	ch := make(chan feedItem)
	go func() {
		defer close(ch)
		for ev, err := range s.db.Watch(ctx, after) {
			select {
			case ch <- feedItem{ev, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// feed streams the change feed as Server-Sent Events: each event's id is
// its cursor, so that a client that reconnects with Last-Event-ID (or
// ?after=CURSOR) resumes after it. A token of a purpose other than
// internal receives only the events of profiles with consent for it, and
// every erasure notice (an id and a time: what a downstream copy needs to
// forget the person).
func (s *Server) feed(w http.ResponseWriter, r *http.Request, tok scv.Token) error {
	fl, ok := w.(http.Flusher)
	if !ok {
		return errorf(http.StatusInternalServerError, "internal", "streaming is not supported")
	}
	after := cmp.Or(r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after"))
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": scv change feed\n\n")
	fl.Flush()
	events := s.follow(ctx, after)
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-s.closing:
			return nil
		case <-ctx.Done():
			return nil
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			fl.Flush()
		case it, ok := <-events:
			if !ok {
				return nil
			}
			if it.err != nil {
				e := asError(it.err)
				if errors.Is(it.err, scv.ErrBadCursor) {
					e = errorf(http.StatusBadRequest, "bad_cursor", "the cursor is not one this database wrote")
				}
				b, _ := json.Marshal(e)
				fmt.Fprintf(w, "event: error\ndata: %s\n\n", b)
				return nil
			}
			if !s.eventAllowed(ctx, tok, it.ev) {
				continue
			}
			b, err := json.Marshal(it.ev)
			if err != nil {
				return nil
			}
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", it.ev.Cursor, it.ev.Kind, b)
			fl.Flush()
			s.metrics.feedLag.Observe(time.Since(it.ev.Time).Seconds())
		}
	}
}

// eventAllowed reports whether a token may receive a feed event.
func (s *Server) eventAllowed(ctx context.Context, tok scv.Token, ev scv.Event) bool {
	if tok.Purpose == scv.PurposeInternal || ev.Kind == "erased" {
		return true
	}
	p, err := s.db.ByID(ctx, ev.Profile)
	return err == nil && p.ID == ev.Profile && allowed(tok, p)
}

// feedIdle is how long stageHistory waits for the next event before it
// takes the feed as read to its end.
const feedIdle = 150 * time.Millisecond

// stageHistory returns the stage changes of a profile from the change
// feed, oldest first. It reads the whole feed: a console page, not a bulk
// route.
func (s *Server) stageHistory(ctx context.Context, id string) ([]scv.Event, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := s.follow(ctx, "")
	var out []scv.Event
	idle := time.NewTimer(feedIdle)
	defer idle.Stop()
	for {
		select {
		case <-idle.C:
			return out, nil
		case <-ctx.Done():
			return out, ctx.Err()
		case it, ok := <-events:
			if !ok {
				return out, nil
			}
			if it.err != nil {
				return nil, it.err
			}
			if it.ev.Kind == "stage" && it.ev.Profile == id {
				out = append(out, it.ev)
			}
			idle.Reset(feedIdle)
		}
	}
}

// timelineOf returns a profile's orders, interactions, surveys and stage
// changes, oldest first.
func (s *Server) timelineOf(r *http.Request, p *scv.Profile) ([]scv.TimelineEntry, error) {
	tl := p.Timeline()
	hist, err := s.stageHistory(r.Context(), p.ID)
	if err != nil {
		return nil, err
	}
	for _, ev := range hist {
		from := string(ev.From)
		if from == "" {
			from = "new"
		}
		tl = append(tl, scv.TimelineEntry{Time: ev.Time, Kind: "stage", What: string(ev.To), Detail: "from " + from})
	}
	// Events of one instant (one import of several records) keep the
	// ladder's order.
	slices.SortStableFunc(tl, func(a, b scv.TimelineEntry) int {
		c := a.Time.Compare(b.Time)
		if c == 0 && a.Kind == "stage" && b.Kind == "stage" {
			c = cmp.Compare(slices.Index(funnelStages, scv.Stage(a.What)), slices.Index(funnelStages, scv.Stage(b.What)))
		}
		return c
	})
	if tl == nil {
		tl = []scv.TimelineEntry{}
	}
	return tl, nil
}
