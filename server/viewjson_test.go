package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// stdJSON is v as writeJSON encoded it with encoding/json.
func stdJSON(t *testing.T, v any) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// TestViewJSON checks that profileView.appendJSON writes what
// encoding/json writes, byte for byte: every fixture profile as an
// internal and as a marketing token sees it, and views with every
// optional field set and hostile strings.
func TestViewJSON(t *testing.T) {
	f := newFixture(t)
	internal := scv.Token{Purpose: scv.PurposeInternal}
	marketing := scv.Token{Purpose: identity.PurposeMarketing}
	var views []*profileView
	for p, err := range f.db.Export(context.Background(), scv.PurposeInternal) {
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, view(internal, p), view(marketing, p))
	}
	nps, csat := 9, 2
	cst := time.FixedZone("CST", 8*3600)
	hostile := "王\"芳\\ <b>&</b>\x00\x01\x1f\x7f\b\f\n\r\t \u2028\u2029 \xff\xfe é 🙂"
	views = append(views,
		&profileView{ID: hostile, Name: hostile, Phones: []string{hostile, ""}, Stage: scv.Stage(hostile), Risk: "at_risk",
			Metrics: scv.Metrics{Orders: -3, Currency: "CNY", SpendFen: 1 << 62, AOVFen: -1, CLVFen: 0,
				FirstPurchase: time.Date(2026, 1, 2, 3, 4, 5, 6, cst), LastPurchase: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
				OrdersInWindow: 7, NPS: &nps, NPSCategory: "promoter", CSAT: &csat, PreferredChannel: "wechat", Referrals: 2, PaidReferrals: 1},
			Consent:     map[scv.Purpose]bool{"third_party": true, "marketing": false, "personalisation": true, scv.Purpose(hostile): true},
			Sources:     []scv.Source{{Channel: "pos", Source: hostile, RecordID: "R1"}, {Channel: "weibo", Source: "s", RecordID: hostile, Observed: time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.FixedZone("", -(3*3600+30*60)))}},
			Identifiers: []scv.Identifier{{Kind: "openid", Scope: "wx1", Value: hostile, Status: "linking"}, {Kind: "phone", Value: "+86", Status: "hub"}},
			Fields:      []fieldView{{Name: "name", Value: hostile, Record: "a/b/c", Records: 3}, {Name: "city", Value: "", Record: "", Seen: time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), Records: 0}},
			FirstSeen:   time.Date(2025, 1, 1, 0, 0, 0, 0, time.Local), LastSeen: time.Date(2026, 1, 1, 0, 0, 0, 0, cst), AsOf: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), Masked: true},
		&profileView{}, // nil slices and map, zero times
		&profileView{Phones: []string{}, Consent: map[scv.Purpose]bool{}, Sources: []scv.Source{}, Identifiers: []scv.Identifier{}, Fields: []fieldView{},
			AsOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("odd", 5*3600+30*60+15))}, // an offset with seconds: MarshalJSON's own path
	)
	for i, v := range views {
		want, err := stdJSON(t, v)
		if err != nil {
			t.Fatalf("view %d: encoding/json: %v", i, err)
		}
		got, err := v.appendJSON(nil)
		if err != nil {
			t.Fatalf("view %d: appendJSON: %v", i, err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("view %d (-encoding/json +appendJSON):\n%s", i, diff)
		}
	}
	// A time encoding/json refuses is refused.
	bad := &profileView{AsOf: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := stdJSON(t, bad); err == nil {
		t.Fatal("encoding/json wrote the year 10000")
	}
	if _, err := bad.appendJSON(nil); err == nil {
		t.Error("appendJSON wrote the year 10000, which encoding/json refuses")
	}
}

// TestViewJSONFields fails when a field is added to, removed from or
// renamed in a type that appendJSON writes, until appendJSON (and this
// list) follow.
func TestViewJSONFields(t *testing.T) {
	names := func(v any) string {
		var out []string
		typ := reflect.TypeOf(v)
		for f := range typ.Fields() {
			out = append(out, f.Tag.Get("json"))
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{profileView{}, "id phones name,omitempty stage risk metrics consent sources identifiers fields first_seen,omitzero last_seen,omitzero as_of masked"},
		{fieldView{}, "name value record observed,omitzero records"},
		{scv.Metrics{}, "orders currency,omitempty spend_fen aov_fen clv_fen first_purchase,omitzero last_purchase,omitzero orders_365d nps nps_category,omitempty csat,omitempty preferred_channel,omitempty referrals paid_referrals"},
		{scv.Source{}, "channel source record_id observed,omitzero"},
		{scv.Identifier{}, "kind scope,omitempty value status"},
	} {
		if diff := cmp.Diff(tc.want, names(tc.v)); diff != "" {
			t.Errorf("JSON fields of %T changed: update appendJSON (viewjson.go) and this test (-want +got):\n%s", tc.v, diff)
		}
	}
}

// TestAPIAnswerHeaders checks the headers of a lookup's answer and of an
// error: JSON with its length, not cached, not sniffed.
func TestAPIAnswerHeaders(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"profile", `{"phone":"+8613912345601"}`, http.StatusOK},
		{"error", `{"phone":"13511119999"}`, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.ts.URL+"/v1/profiles/lookup", strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+f.tokens["read"])
			resp, err := f.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := map[string]string{"status": strconv.Itoa(resp.StatusCode)}
			for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "X-Content-Type-Options"} {
				got[h] = strings.Join(resp.Header.Values(h), "|")
			}
			want := map[string]string{"status": strconv.Itoa(tc.status), "Content-Type": "application/json; charset=utf-8",
				"Content-Length": strconv.Itoa(len(body)), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer headers (-want +got):\n%s", diff)
			}
			if !json.Valid(body) || !bytes.HasSuffix(body, []byte("}\n")) {
				t.Errorf("body is not one JSON object and a newline: %.100q", body)
			}
		})
	}
}
