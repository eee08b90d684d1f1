package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
)

// TestServe runs scv serve on the fixtures: a token made by scv token
// create is accepted, an open change-feed stream does not hold up the
// graceful shutdown, and the command returns 0 once its context (the
// signal) is done.
func TestServe(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	token := strings.TrimSpace(c.ok("token", "create", "--scope", "read", "--purpose", "internal", "--label", "test").stdout)
	var list []scv.Token
	if err := json.Unmarshal([]byte(c.ok("token", "list", "--json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Scope != scv.ScopeRead || list[0].Label != "test" || !strings.Contains(token, list[0].ID) {
		t.Fatalf("token list: %+v", list)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		args := []string{"serve", "--addr", "127.0.0.1:0", "--db", c.db, "--key-file", c.key}
		done <- run(ctx, args, strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatalf("serve printed nothing; exit %d", <-done)
	}
	first := sc.Text()
	go io.Copy(io.Discard, pr)
	_, rest, ok := strings.Cut(first, "http://")
	if !ok {
		t.Fatalf("first line %q names no address", first)
	}
	base := "http://" + strings.Fields(rest)[0]

	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("/v1/stats")
	var stats scv.Stats
	json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || stats.Profiles == 0 {
		t.Fatalf("GET /v1/stats: %d, %d profiles", resp.StatusCode, stats.Profiles)
	}
	feed := get("/v1/feed")
	defer feed.Body.Close()

	stop() // SIGTERM
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exit %d after the signal, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop within 5s of the signal")
	}

	id := list[0].ID
	c.ok("token", "revoke", id)
	if r := c.run("token", "revoke", id); r.code != exitNotFound {
		t.Errorf("second revoke: exit %d, want %d", r.code, exitNotFound)
	}
	if diff := cmp.Diff("[]\n", c.ok("token", "list", "--json").stdout); diff != "" {
		t.Errorf("token list after revoke (-want +got):\n%s", diff)
	}
}

func TestTokenUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"token"}, {"token", "mint"}, {"token", "create", "--scope", "root", "--purpose", "internal"},
		{"token", "create", "--scope", "read"}, {"token", "revoke"},
	} {
		if r := c.run(args...); r.code != exitUsage {
			t.Errorf("scv %s: exit %d, want %d", strings.Join(args, " "), r.code, exitUsage)
		}
	}
}

// TestTokenWhileServed runs scv token while another process (scv serve)
// holds the Badger directory: each subcommand must say that a server may
// hold it and name the API routes that manage tokens instead.
func TestTokenWhileServed(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	db, err := scv.Open(c.db, scv.Options{KeyFile: c.key})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{
		{"token", "create", "--scope", "read", "--purpose", "internal"},
		{"token", "list"},
		{"token", "revoke", "0123456789abcdef"},
	} {
		r := c.run(args...)
		if r.code != exitFailure {
			t.Errorf("scv %s while the database is held: exit %d, want %d", strings.Join(args, " "), r.code, exitFailure)
		}
		for _, want := range []string{"locked", "scv serve", "POST /v1/tokens", "GET /v1/tokens", "DELETE /v1/tokens/ID"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("scv %s while the database is held: stderr %q does not say %q", strings.Join(args, " "), r.stderr, want)
			}
		}
	}
}
