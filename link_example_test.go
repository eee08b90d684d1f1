package scv_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// Three till receipts of one customer, with her phone.
const exampleReceipts = `paid_at,store_id,receipt_no,member_no,mobile,customer_name,amount,currency,category,status
2026-03-01 10:00:00,SZ01,SZ01-1,M1,13912345601,王芳,100.00,CNY,护肤,paid
2026-06-01 10:00:00,SZ01,SZ01-2,M1,13912345601,王芳,200.00,CNY,护肤,paid
2026-09-01 10:00:00,SZ01,SZ01-3,,13912345601,王芳,300.00,CNY,护肤,paid
`

// ExampleDB_Link undoes an operator's unmerge: the receipt taken out of
// the profile rejoins it, and the change feed says who linked them.
func ExampleDB_Link() {
	ctx := context.Background()
	root := crypto.GenerateRootKey()
	db, err := scv.Open("", scv.Options{
		Keys:     crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		InMemory: true,
		Clock:    tick(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	recs := identity.Decode(strings.NewReader(exampleReceipts), identity.FormatPOS, identity.Options{})
	if _, err := db.IngestAll(ctx, recs, scv.IngestOptions{}); err != nil {
		log.Fatal(err)
	}
	third, _ := identity.ParseRecordKey("pos/pos/SZ01/SZ01-3")
	if _, err := db.Unmerge(ctx, third); err != nil {
		log.Fatal(err)
	}
	apart, _ := db.ByRecord(ctx, third)
	first, _ := identity.ParseRecordKey("pos/pos/SZ01/SZ01-1")
	rest, _ := db.ByRecord(ctx, first)
	fmt.Println("after unmerge:", len(rest.Sources), "and", len(apart.Sources), "receipts")

	res, err := db.Link(ctx, rest.ID, apart.ID, "li.lei")
	if err != nil {
		log.Fatal(err)
	}
	p, _ := db.ByPhone(ctx, "13912345601")
	fmt.Println("joined:", res.Joined, "receipts:", len(p.Sources))

	feed, cancel := context.WithCancel(ctx)
	defer cancel()
	for ev, err := range db.Watch(feed, "") {
		if err != nil {
			log.Fatal(err)
		}
		switch ev.Kind {
		case "split", "merged":
			fmt.Println("feed:", ev.Kind)
		case "linked":
			fmt.Println("feed: linked by", ev.Actor)
		}
		if ev.Kind == "merged" {
			cancel()
		}
	}

	h, _ := db.History(ctx, p.ID)
	for _, c := range h.Stages {
		fmt.Println(c.Time.Format(time.DateOnly), c.To, c.Record)
	}
	// Output:
	// after unmerge: 2 and 1 receipts
	// joined: true receipts: 3
	// feed: split
	// feed: linked by li.lei
	// feed: merged
	// 2026-03-01 first_purchase pos/pos/SZ01/SZ01-1
	// 2026-06-01 repeat pos/pos/SZ01/SZ01-2
}

// tick returns a clock that starts at t and moves a millisecond at each
// reading, so that the change feed keeps the order of the calls.
func tick(t time.Time) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return t.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}
