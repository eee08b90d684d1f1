package scv_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// exampleMembers is a CRM export with consent columns: 王芳 agrees to
// marketing, 李娜 does not say, 张伟 refuses.
const exampleMembers = `record_id,phone,name,consent_marketing,observed_at
C1,139 1234 5601,王芳,yes,2026-11-01 10:00:00
C2,138 1234 5602,李娜,,2026-11-02 10:00:00
C3,136 9876 5403,张伟,no,2026-11-03 10:00:00
`

func ingestCSV(ctx context.Context, db *scv.DB, source, csv string) {
	recs := identity.Decode(strings.NewReader(csv), identity.FormatCSV, identity.Options{Source: source})
	if _, err := db.IngestAll(ctx, recs, scv.IngestOptions{}); err != nil {
		log.Fatal(err)
	}
}

// Export gives a marketing campaign only the customers who said yes to
// marketing; the brand's own analysis gets everyone.
func ExampleDB_Export() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	ingestCSV(ctx, db, "crm", exampleMembers)

	for _, purpose := range []scv.Purpose{scv.PurposeMarketing, scv.PurposeThirdParty, scv.PurposeInternal} {
		names := []string{}
		for p, err := range db.Export(ctx, purpose) {
			if err != nil {
				log.Fatal(err)
			}
			names = append(names, p.Name)
		}
		slices.Sort(names) // Export streams in profile-id order
		fmt.Println(purpose, names)
	}
	// Output:
	// marketing [王芳]
	// third_party []
	// internal [张伟 李娜 王芳]
}

// Watch follows the change feed: a consumer (a marketing list, a CRM
// sync) handles each event, keeps the Cursor of the last one, and resumes
// after it, here once 李娜 pays for her order.
func ExampleDB_Watch() {
	db := exampleDB()
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db.IngestAll(ctx, identity.Decode(strings.NewReader(exampleOrders), identity.FormatEcommerce, identity.Options{}), scv.IngestOptions{})

	cursor := ""
	follow := func(events int) {
		for ev, err := range db.Watch(ctx, cursor) {
			if err != nil {
				log.Fatal(err)
			}
			cursor = ev.Cursor
			fmt.Printf("%s %q -> %q\n", ev.Kind, ev.From, ev.To)
			if events--; events == 0 {
				return // a service would go on waiting for the next event
			}
		}
	}
	follow(2)
	paid := `{"tid":"2718281828","buyer_open_uid":"AAQ9z8y7","receiver_name":"李娜","receiver_mobile":"138****5602","payment":"99.00","created":"2026-11-02 09:00:00","pay_time":"2026-11-02 09:30:00","modified":"2026-11-02 09:30:00","status":"WAIT_SELLER_SEND_GOODS"}`
	db.IngestAll(ctx, identity.Decode(strings.NewReader(paid), identity.FormatEcommerce, identity.Options{}), scv.IngestOptions{})
	follow(1)
	// Output:
	// stage "" -> "repeat"
	// stage "" -> "target"
	// stage "target" -> "first_purchase"
}

// Erase crypto-shreds a customer on request: the profile is gone, and a
// re-import of the same records is refused rather than bringing it back.
func ExampleDB_Erase() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	ingestCSV(ctx, db, "crm", exampleMembers)

	p, err := db.ByPhone(ctx, "13912345601")
	if err != nil {
		log.Fatal(err)
	}
	if err := db.Erase(ctx, p.ID); err != nil {
		log.Fatal(err)
	}
	_, err = db.ByPhone(ctx, "13912345601")
	fmt.Println("by phone:", errors.Is(err, scv.ErrNotFound))
	_, err = db.ByID(ctx, p.ID)
	fmt.Println("by id:", errors.Is(err, scv.ErrErased))

	recs := identity.Decode(strings.NewReader(exampleMembers), identity.FormatCSV, identity.Options{Source: "crm"})
	sum, err := db.IngestAll(ctx, recs, scv.IngestOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("re-import: read", sum.Read, "accepted", sum.Accepted, "quarantined", sum.Quarantined)
	// Output:
	// by phone: true
	// by id: true
	// re-import: read 3 accepted 2 quarantined map[erased:1]
}

// exampleShared is two members a cashier gave one card: the card links
// their records into one profile, until an operator unmerges one.
const exampleShared = `record_id,phone,name,member_no
M1,139 1234 5601,王芳,VIP-7
M2,,陈静,VIP-7
`

// Unmerge takes a record out of a profile that joined two people, and
// keeps it apart for good: a do-not-link against the rest.
func ExampleDB_Unmerge() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	ingestCSV(ctx, db, "pos", exampleShared)
	p, err := db.ByPhone(ctx, "13912345601")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("before:", len(p.Sources), "records")

	ch, err := db.Unmerge(ctx, identity.RecordKey{Channel: identity.ChannelCSV, Source: "pos", ID: "M2"})
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range ch.Profiles { // in profile-id order
		if q.ID == p.ID {
			fmt.Println("kept the id:", q.Name, len(q.Sources), "record")
		} else {
			fmt.Println("new:", q.Name, len(q.Sources), "record, created", slices.Contains(ch.Created, q.ID))
		}
	}
	// Unordered output:
	// before: 2 records
	// kept the id: 王芳 1 record
	// new: 陈静 1 record, created true
}

// Separate is how an operator rejects a suggestion: the two records are
// different people, and the pair is not suggested again.
func ExampleDB_Separate() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	if err := importCRM(ctx, db, exampleCRM); err != nil {
		log.Fatal(err)
	}
	count := func() int {
		n := 0
		for _, err := range db.Suggest(ctx, scv.SuggestOptions{}) {
			if err != nil {
				log.Fatal(err)
			}
			n++
		}
		return n
	}
	fmt.Println("suggested:", count())
	a := identity.RecordKey{Channel: identity.ChannelCSV, Source: "crm", ID: "c1"}
	b := identity.RecordKey{Channel: identity.ChannelCSV, Source: "crm", ID: "c2"}
	if _, err := db.Separate(ctx, a, b); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after Separate:", count())
	// Output:
	// suggested: 1
	// after Separate: 0
}
