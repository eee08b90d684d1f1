package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// benchProfiles is how many customers the load benchmark's database
// holds, each with a phone, a name and an order.
const benchProfiles = 10000

// benchClients is how many clients look up at once.
const benchClients = 8

// benchRound is how many lookups each client makes per iteration.
const benchRound = 32

// benchDB returns a database of benchProfiles customers on disk, with the
// default options (Badger's encryption at rest, its caches), as scv serve
// runs on: it is written, closed and opened again, so that lookups read
// Badger's tables, not the memtable it was written to. (Badger's
// in-memory mode flatters the Go API: its p99 at 8 callers on 2 cores is
// about half of the one on disk, see docs/server.md.)
func benchDB(b *testing.B) *scv.DB {
	b.Helper()
	root := crypto.GenerateRootKey()
	dir := b.TempDir()
	open := func() *scv.DB {
		db, err := scv.Open(dir, scv.Options{
			Keys:  crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
			Clock: func() time.Time { return fixtureNow },
		})
		if err != nil {
			b.Fatal(err)
		}
		return db
	}
	db := open()
	b.Cleanup(func() { db.Close() }) // the open one, whichever it is
	recs := func(yield func(identity.Record, error) bool) {
		for i := range benchProfiles {
			t := fixtureNow.Add(-time.Duration(i%300) * 24 * time.Hour)
			rec := identity.Record{Channel: identity.ChannelPOS, Source: "pos", ID: fmt.Sprintf("R%06d", i), Observed: t,
				Identifiers: []identity.Identifier{{Kind: identity.KindPhone, Value: benchPhone(i)}},
				Attributes:  identity.Attributes{Name: "王芳" + fmt.Sprint(i%97), City: "深圳"},
				Orders: []identity.Order{{Platform: "pos", ID: fmt.Sprintf("O%06d", i), Status: identity.OrderPaid,
					AmountFen: int64(10000 + i%5000), Currency: "CNY", Time: t}},
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
	if _, err := db.IngestAll(context.Background(), recs, scv.IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	db = open()
	return db
}

func benchPhone(i int) string { return fmt.Sprintf("+86136%08d", 10000000+i*37) }

// BenchmarkLookupByPhone measures lookups by phone from benchClients
// concurrent clients through the HTTP API (loopback TCP, keep-alive,
// token check, JSON, access log and metrics) and through the Go API, the
// two alternating in one run on the same phones, so that the machine's
// noise hits both. Each iteration is one round of each: benchClients
// clients, closed loop, times benchRound lookups. It reports each side's
// p50 and p99 latency and throughput, the process CPU time per lookup
// (the HTTP side's includes its clients'), and the ratio of the p99s.
// It also times the server's own part, from the handler's start to its
// return (routing, token, body, lookup, JSON, log and metrics; not the
// HTTP parsing and socket I/O of net/http): "srv" is that latency, which
// still waits for the CPU behind the clients on a shared machine.
//
// An HTTP client reads every response whole: "read" checks the status
// and that the body is a profile's JSON, "decode" also decodes it into a
// struct, the cost a user pays in their own language beside the
// server's.
func BenchmarkLookupByPhone(b *testing.B) {
	db := benchDB(b)
	text, _, err := db.CreateToken(context.Background(), scv.ScopeRead, scv.PurposeInternal, "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv := New(db, Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	var handled handlerTimes
	ts := httptest.NewUnstartedServer(handled.wrap(srv))
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			handled.conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	defer srv.Close()
	for _, mode := range []string{"read", "decode", "conn"} {
		b.Run(mode, func(b *testing.B) { benchLookups(b, db, ts.URL, text, mode, &handled) })
	}
}

// handlerTimes records how long a handler takes per request, and counts
// the connections the server accepts.
type handlerTimes struct {
	mu    sync.Mutex
	d     []time.Duration
	conns atomic.Int64
}

func (h *handlerTimes) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		d := time.Since(start)
		h.mu.Lock()
		h.d = append(h.d, d)
		h.mu.Unlock()
	})
}

// take returns the times recorded since the last take.
func (h *handlerTimes) take() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.d
	h.d = nil
	return d
}

// benchLookups runs the rounds of [BenchmarkLookupByPhone] against the
// server at url.
func benchLookups(b *testing.B, db *scv.DB, url, token string, mode string, handled *handlerTimes) {
	ctx := context.Background()
	inproc := func(int) func(string) error {
		return func(phone string) error {
			_, err := db.ByPhone(ctx, phone)
			return err
		}
	}
	var overHTTP func(int) func(string) error
	if mode == "conn" {
		overHTTP = connClients(b, url, token)
	} else {
		overHTTP = transportClients(b, url, token, mode == "decode")
	}
	var lat [3][]time.Duration // go, http, and the server's handler
	var wall, cpu [2]time.Duration
	var n int
	round := func(side int, lookups func(int) func(string) error) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		start, cpu0 := time.Now(), cpuTime()
		for c := range benchClients {
			lookup := lookups(c)
			wg.Go(func() {
				mine := make([]time.Duration, 0, benchRound)
				for k := range benchRound {
					phone := benchPhone((n*benchClients*benchRound + c*benchRound + k) % benchProfiles)
					t0 := time.Now()
					if err := lookup(phone); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat[side] = append(lat[side], mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		wall[side] += time.Since(start)
		cpu[side] += cpuTime() - cpu0
	}
	round(1, overHTTP) // warm the connections
	lat[1], wall[1], cpu[1] = nil, 0, 0
	handled.take()
	conns := handled.conns.Load()
	b.ReportAllocs()
	for b.Loop() {
		round(0, inproc)
		round(1, overHTTP)
		n++
	}
	lat[2] = handled.take()
	// The clients keep their connections: a new one per lookup would
	// time TCP's handshake, not the API.
	b.ReportMetric(float64(handled.conns.Load()-conns), "http-new-conns")
	if len(lat[2]) != len(lat[1]) {
		b.Fatalf("the server timed %d requests, the clients %d", len(lat[2]), len(lat[1]))
	}
	var p99 [3]float64
	for side, name := range []string{"go", "http", "srv"} {
		slices.Sort(lat[side])
		q := func(f float64) float64 { return float64(lat[side][int(f*float64(len(lat[side])-1))].Microseconds()) }
		p99[side] = q(0.99)
		b.ReportMetric(q(0.50), name+"-p50-µs")
		b.ReportMetric(p99[side], name+"-p99-µs")
		if side == 2 {
			break
		}
		b.ReportMetric(float64(len(lat[side]))/wall[side].Seconds(), name+"-lookups/s")
		if cpu[side] > 0 {
			b.ReportMetric(float64(cpu[side].Microseconds())/float64(len(lat[side])), name+"-cpu-µs/lookup")
		}
	}
	b.ReportMetric(p99[1]/p99[0], "http/go-p99")
	b.ReportMetric(p99[2]/p99[0], "srv/go-p99")
}

// transportClients returns the lookups of [BenchmarkLookupByPhone]'s
// clients through one http.Client, with a connection per client kept
// alive by its Transport; with decode, each client also decodes the
// profile it reads.
func transportClients(b *testing.B, url, token string, decode bool) func(c int) func(phone string) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, MaxConnsPerHost: benchClients}}
	b.Cleanup(client.CloseIdleConnections)
	return func(int) func(string) error {
		var body bytes.Buffer // one per client, reused
		return func(phone string) error {
			req, _ := http.NewRequest("POST", url+"/v1/profiles/lookup", strings.NewReader(`{"phone":"`+phone+`"}`))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			if err := readProfile(resp, &body); err != nil {
				return err
			}
			if decode {
				var p profileView
				if err := json.Unmarshal(body.Bytes(), &p); err != nil || p.ID == "" {
					return fmt.Errorf("decoding a profile: %v", err)
				}
			}
			return nil
		}
	}
}

// connClients returns the lookups of [BenchmarkLookupByPhone]'s clients
// each on a TCP connection of its own, kept across rounds: a client
// writes its request whole and parses the answer with
// [http.ReadResponse], as a load generator or a gateway's connection
// pool does, without the two goroutines per connection of
// [http.Transport] taking the CPU the server shares with it.
func connClients(b *testing.B, url, token string) func(c int) func(phone string) error {
	type client struct {
		conn      net.Conn
		br        *bufio.Reader
		req, body bytes.Buffer
	}
	var clients [benchClients]*client
	head := "POST /v1/profiles/lookup HTTP/1.1\r\nHost: scv\r\nAuthorization: Bearer " + token +
		"\r\nContent-Type: application/json\r\nContent-Length: "
	return func(c int) func(string) error {
		if clients[c] == nil {
			conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { conn.Close() })
			clients[c] = &client{conn: conn, br: bufio.NewReader(conn)}
		}
		cl := clients[c]
		return func(phone string) error {
			body := `{"phone":"` + phone + `"}`
			cl.req.Reset()
			cl.req.WriteString(head)
			cl.req.Write(strconv.AppendInt(cl.req.AvailableBuffer(), int64(len(body)), 10))
			cl.req.WriteString("\r\n\r\n")
			cl.req.WriteString(body)
			if _, err := cl.conn.Write(cl.req.Bytes()); err != nil {
				return err
			}
			resp, err := http.ReadResponse(cl.br, nil)
			if err != nil {
				return err
			}
			return readProfile(resp, &cl.body)
		}
	}
}

// readProfile reads resp's body whole into body and checks it is a
// profile.
func readProfile(resp *http.Response, body *bytes.Buffer) error {
	body.Reset()
	_, err := body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body.Bytes(), []byte(`{"id":"`)) {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
