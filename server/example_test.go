package server_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"strings"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/server"
)

func ExampleNew() {
	root := crypto.GenerateRootKey()
	db, err := scv.Open("", scv.Options{
		Keys:     crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		InMemory: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	recs := identity.Decode(strings.NewReader(`{"tid":"1","buyer_open_uid":"AAF1","receiver_name":"王芳","receiver_mobile":"13912345601","payment":"99.00","created":"2026-10-01 10:00:00","pay_time":"2026-10-01 10:01:00","status":"TRADE_FINISHED"}`),
		identity.FormatEcommerce, identity.Options{})
	if _, err := db.IngestAll(ctx, recs, scv.IngestOptions{}); err != nil {
		log.Fatal(err)
	}
	token, _, err := db.CreateToken(ctx, scv.ScopeRead, identity.PurposeMarketing, "example")
	if err != nil {
		log.Fatal(err)
	}

	srv := server.New(db, server.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	defer srv.Close()
	req := httptest.NewRequest("POST", "/v1/profiles/lookup", strings.NewReader(`{"phone": "139 1234 5601"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	// Output: 404 {"code":"not_found","message":"no profile matches"}
}
