package store

import (
	"context"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// collect reads events from Watch until it has n or the feed goes quiet.
func collect(t *testing.T, s *Store, after string, n int) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var out []Event
	for ev, err := range s.Watch(ctx, after) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
		if len(out) == n {
			break
		}
	}
	return out
}

func TestWatch(t *testing.T) { forEachEngine(t, inMemory, testWatch) }

func testWatch(t *testing.T, e testEngine) {
	ctx := context.Background()
	s := openTestStore(t, e.dir(t), crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Stats(ctx)
	all := collect(t, s, "", 1<<20)
	// Every profile entered its stage once (possibly after passing lower
	// ones): the last stage event of each live profile is its stage.
	last := map[string]merge.Stage{}
	detractors := 0
	for _, ev := range all {
		switch ev.Kind {
		case EventStage:
			last[ev.Profile] = ev.To
		case EventDetractor:
			detractors++
		}
	}
	n := 0
	for p, err := range s.All(ctx, Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if got := last[p.Profile.ID]; got != p.Profile.Stage {
			t.Errorf("profile %s: last stage event %q, stage %q", p.Profile.ID, got, p.Profile.Stage)
		}
	}
	if n != st.Profiles {
		t.Fatalf("listed %d profiles, stats say %d", n, st.Profiles)
	}
	// The cast has NPS detractors (P15: 2, P34: 3); see testdata/README.md.
	if detractors < 2 {
		t.Errorf("%d detractor events, want at least the cast's 2", detractors)
	}

	// Resuming after any event yields exactly the rest.
	mid := len(all) / 2
	rest := collect(t, s, all[mid].Cursor, len(all)-mid-1)
	if len(rest) != len(all)-mid-1 || rest[0].Cursor != all[mid+1].Cursor {
		t.Fatalf("resume after event %d: %d events from %q, want %d from %q", mid, len(rest), rest[0].Cursor, len(all)-mid-1, all[mid+1].Cursor)
	}

	// A watcher that has caught up sees new events as they happen.
	got := make(chan Event, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for ev, err := range s.Watch(wctx, all[len(all)-1].Cursor) {
			if err == nil {
				got <- ev
			}
			return
		}
	}()
	time.Sleep(50 * time.Millisecond)
	detractor := identity.Record{
		Channel: identity.ChannelCSV, Source: "survey", ID: "late-1",
		Identifiers: []identity.Identifier{{Kind: identity.KindEmail, Value: "late@example.com"}},
		Feedback:    []identity.Feedback{{Kind: identity.FeedbackNPS, Score: 1, Time: asOf.Add(-time.Hour)}},
	}
	if _, err := s.Ingest(ctx, detractor); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		if ev.Kind != EventStage && ev.Kind != EventDetractor {
			t.Fatalf("new event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a caught-up watcher saw no new event")
	}
}
