package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/scv-go/scv"
)

// discardWriter is a ResponseWriter that keeps the status and drops the
// body, reused across requests.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header  { return w.h }
func (w *discardWriter) WriteHeader(code int) { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}

// BenchmarkLookupHandler measures one goroutine's lookups by phone
// through the Go API ("go") and through the server's handler without the
// network ("handler": routing, token, body, lookup, JSON, access log and
// metrics, the log written as JSON to io.Discard), on the database of
// [BenchmarkLookupByPhone]: the difference is what the server spends
// beyond the store's lookup.
func BenchmarkLookupHandler(b *testing.B) {
	db := benchDB(b)
	text, _, err := db.CreateToken(context.Background(), scv.ScopeRead, scv.PurposeInternal, "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv := New(db, Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	defer srv.Close()
	b.Run("go", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := db.ByPhone(context.Background(), benchPhone(i%benchProfiles)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("handler", func(b *testing.B) {
		b.ReportAllocs()
		w := &discardWriter{h: http.Header{}}
		bodies := make([]string, benchProfiles)
		for i := range bodies {
			bodies[i] = `{"phone":"` + benchPhone(i) + `"}`
		}
		i := 0
		for b.Loop() {
			req, _ := http.NewRequest("POST", "/v1/profiles/lookup", strings.NewReader(bodies[i%benchProfiles]))
			req.Header.Set("Authorization", "Bearer "+text)
			clear(w.h)
			srv.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
			i++
		}
	})
}
