package scv_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// exampleDB opens an in-memory database with a fresh key, kept in memory
// only, and a fixed clock. A real service passes a directory and
// Options.KeyFile.
func exampleDB() *scv.DB {
	root := crypto.GenerateRootKey()
	db, err := scv.Open("", scv.Options{
		Keys:     crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		InMemory: true,
		Clock:    func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		log.Fatal(err)
	}
	return db
}

const exampleOrders = `{"tid":"3141592653","buyer_open_uid":"AAF1x2y3","receiver_name":"王芳","receiver_mobile":"139 1234 5601","receiver_state":"广东省","receiver_city":"深圳市","payment":"299.00","created":"2026-10-01 10:00:00","pay_time":"2026-10-01 10:01:00","status":"TRADE_FINISHED"}
{"tid":"3141592654","buyer_open_uid":"AAF1x2y3","receiver_name":"王芳","receiver_mobile":"+86 13912345601","payment":"1,299.00","created":"2026-11-01 20:00:00","pay_time":"2026-11-01 20:05:00","status":"WAIT_SELLER_SEND_GOODS"}
{"tid":"2718281828","buyer_open_uid":"AAQ9z8y7","receiver_name":"李娜","receiver_mobile":"138****5602","payment":"99.00","created":"2026-11-02 09:00:00","status":"WAIT_BUYER_PAY"}
`

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "scv-example")
	defer os.RemoveAll(dir)
	keyFile := filepath.Join(dir, "root.key")
	os.WriteFile(keyFile, scv.GenerateKey(), 0o600)

	db, err := scv.Open(filepath.Join(dir, "db"), scv.Options{KeyFile: keyFile})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st, _ := db.Stats(context.Background())
	fmt.Println("profiles:", st.Profiles)
	// Output: profiles: 0
}

func ExampleDB_IngestAll() {
	db := exampleDB()
	defer db.Close()
	recs := identity.Decode(strings.NewReader(exampleOrders), identity.FormatEcommerce, identity.Options{Source: "tmall"})
	sum, err := db.IngestAll(context.Background(), recs, scv.IngestOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("read", sum.Read, "accepted", sum.Accepted, "profiles", sum.ProfilesCreated)
	// Output: read 3 accepted 3 profiles 2
}

func ExampleDB_Ingest() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	for rec, err := range identity.Decode(strings.NewReader(exampleOrders), identity.FormatEcommerce, identity.Options{}) {
		if err != nil {
			log.Fatal(err)
		}
		res, err := db.Ingest(ctx, rec)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.ID, res.Outcome)
	}
	// Output:
	// 3141592653 created
	// 3141592654 joined
	// 2718281828 created
}

func ExampleDB_ByPhone() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	db.IngestAll(ctx, identity.Decode(strings.NewReader(exampleOrders), identity.FormatEcommerce, identity.Options{}), scv.IngestOptions{})

	p, err := db.ByPhone(ctx, "＋86 139-1234-5601") // any spelling a cashier types
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Name, p.Phones, p.Stage, p.Metrics.Orders, p.Metrics.SpendFen)
	// Output: 王芳 [+8613912345601] repeat 2 159800
}

func ExampleDB_ByStage() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	db.IngestAll(ctx, identity.Decode(strings.NewReader(exampleOrders), identity.FormatEcommerce, identity.Options{}), scv.IngestOptions{})

	for p, err := range db.ByStage(ctx, scv.StageTarget, scv.Filter{}) {
		if err != nil {
			log.Fatal(err)
		}
		// The masked mobile never became a key: the buyer id keeps the
		// record, as an anonymous profile that shows purchase intent.
		fmt.Println(p.Stage, len(p.Phones), p.Sources[0].RecordID)
	}
	// Output: target 0 2718281828
}
