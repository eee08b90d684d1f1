package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// fixtureNow is the time the fixtures' stages are described for.
var fixtureNow = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// fixture is a served database of the repository's fixtures with a token
// of each kind the tests use.
type fixture struct {
	db     *scv.DB
	srv    *Server
	ts     *httptest.Server
	log    *syncBuffer
	tokens map[string]string // "admin", "read", "marketing", "import", "mkt-admin"
}

// syncBuffer is a bytes.Buffer safe for the log's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newFixture opens an in-memory database, imports ../testdata and serves
// it with httptest.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	root := crypto.GenerateRootKey()
	db, err := scv.Open("", scv.Options{
		Keys:     crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		InMemory: true,
		Clock:    func() time.Time { return fixtureNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	loadFixtures(t, db)
	f := &fixture{db: db, log: &syncBuffer{}, tokens: map[string]string{}}
	for name, spec := range map[string]struct {
		scope   scv.Scope
		purpose scv.Purpose
	}{
		"admin": {scv.ScopeAdmin, scv.PurposeInternal}, "read": {scv.ScopeRead, scv.PurposeInternal},
		"import": {scv.ScopeImport, scv.PurposeInternal}, "marketing": {scv.ScopeRead, identity.PurposeMarketing},
		"mkt-admin": {scv.ScopeAdmin, identity.PurposeMarketing},
	} {
		text, _, err := db.CreateToken(context.Background(), spec.scope, spec.purpose, name)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[name] = text
	}
	f.srv = New(db, Options{Logger: slog.New(slog.NewJSONHandler(f.log, nil))})
	f.ts = httptest.NewServer(f.srv)
	t.Cleanup(func() { f.srv.Close(); f.ts.Close() })
	return f
}

// loadFixtures imports every fixture file of ../testdata.
func loadFixtures(t testing.TB, db *scv.DB) {
	t.Helper()
	for _, format := range identity.Formats {
		dir := filepath.Join("..", "testdata", string(format))
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			ext := filepath.Ext(path)
			if ext == ".map" || ext == ".md" {
				continue
			}
			opts := identity.Options{}
			if m, err := os.ReadFile(strings.TrimSuffix(path, ext) + ".map"); err == nil {
				if opts.Mapping, err = identity.ParseMapping(strings.TrimSpace(string(m))); err != nil {
					t.Fatal(err)
				}
			}
			file, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.IngestAll(context.Background(), identity.Decode(file, format, opts), scv.IngestOptions{File: filepath.Base(path)})
			file.Close()
			if err != nil {
				t.Fatalf("import %s: %v", path, err)
			}
		}
	}
}

// do sends a request with a token (by name; "" for none) and returns the
// status and body.
func (f *fixture) do(t testing.TB, token, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[token])
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// decode unmarshals a JSON body into a new T.
func decode[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %T: %v in %.200s", v, err, body)
	}
	return v
}

// internalProfiles returns every profile by the internal export, full.
func (f *fixture) internalProfiles(t testing.TB) []profileView {
	t.Helper()
	code, body := f.do(t, "admin", "GET", "/v1/export?purpose=internal", nil)
	if code != http.StatusOK {
		t.Fatalf("export: %d %s", code, body)
	}
	var out []profileView
	for line := range strings.Lines(string(body)) {
		out = append(out, decode[profileView](t, []byte(line)))
	}
	return out
}
