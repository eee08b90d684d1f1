package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
)

// feed returns the database's change feed, read until it has caught up.
func (c *cli) feed() []scv.Event {
	c.t.Helper()
	db, err := scv.Open(c.db, scv.Options{KeyFile: c.key})
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var out []scv.Event
	for ev, err := range db.Watch(ctx, "") {
		if err != nil {
			c.t.Fatal(err)
		}
		ev.Cursor = ""
		out = append(out, ev)
	}
	return out
}

// TestGetAsOfNeverWrites is issue 15's what-if read: "scv get --as-of" a
// later day answers with the stage of that day, and stores nothing: the
// profile read as of the fixtures' day is the same before and after, and
// the change feed holds no new event (it used to get the demotions of
// every profile, then the promotions back on the next plain read).
func TestGetAsOfNeverWrites(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	const phone = "13912345601" // P01, loyal on the fixtures' day
	feed := c.feed()
	before := c.ok("get", phone, "--json").stdout

	r := run1(t, "get", phone, "--json", "--db", c.db, "--key-file", c.key, "--as-of", "2028-06-01")
	if r.code != exitOK {
		t.Fatalf("get --as-of 2028-06-01: exit %d: %s", r.code, r.stderr)
	}
	var later struct {
		profileJSON
		AsOf time.Time `json:"as_of"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &later); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		Day, Stage, Risk string
	}
	want := answer{Day: "2028-06-01", Stage: "repeat", Risk: "lapsed"}
	if diff := cmp.Diff(want, answer{later.AsOf.In(chinaTime).Format(time.DateOnly), later.Stage, later.Risk}); diff != "" {
		t.Errorf("get --as-of 2028-06-01 (-want +got):\n%s", diff)
	}

	if after := c.ok("get", phone, "--json").stdout; after != before {
		t.Errorf("the profile as of the fixtures' day changed after a what-if read:\n%s\nwas\n%s", after, before)
	}
	if diff := cmp.Diff(feed, c.feed()); diff != "" {
		t.Errorf("change feed after what-if reads (-before +after):\n%s", diff)
	}
}
