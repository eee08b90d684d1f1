package scv_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"testing"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// exampleCRM is a CRM export: Wang Fang twice, with two digits of her
// mobile swapped the second time, and Li Na.
const exampleCRM = `id,mobile,name,birthday,city
c1,139 1234 5601,王芳,1990-05-01,深圳
c2,139 1234 5610,王芳,1990-05-01,深圳
c3,138 0013 5602,李娜,1988-02-03,上海
`

func importCRM(ctx context.Context, db *scv.DB, csv string) error {
	mapping, err := identity.ParseMapping("record_id=id,phone=mobile,name=name,birthday=birthday,city=city")
	if err != nil {
		return err
	}
	recs := identity.Decode(strings.NewReader(csv), identity.FormatCSV, identity.Options{Source: "crm", Mapping: mapping})
	_, err = db.IngestAll(ctx, recs, scv.IngestOptions{})
	return err
}

func ExampleDB_Suggest() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	if err := importCRM(ctx, db, exampleCRM); err != nil {
		log.Fatal(err)
	}
	st, _ := db.Stats(ctx)
	fmt.Println("profiles:", st.Profiles)
	for sg, err := range db.Suggest(ctx, scv.SuggestOptions{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%.2f %v\n", sg.Probability, sg.Evidence)
	}
	// Output:
	// profiles: 3
	// 1.00 name exact, birthday exact, phone transposed, city exact
}

func TestDBSuggestFor(t *testing.T) {
	ctx := context.Background()
	db := exampleDB()
	defer db.Close()
	if err := importCRM(ctx, db, exampleCRM); err != nil {
		t.Fatal(err)
	}
	a, err := db.ByPhone(ctx, "13912345601")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.ByPhone(ctx, "13912345610")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.SuggestFor(ctx, a.ID, scv.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].A != min(a.ID, b.ID) || got[0].B != max(a.ID, b.ID) {
		t.Fatalf("SuggestFor(%s) = %+v, want the pair with %s", a.ID, got, b.ID)
	}

	// The operator says they are different people: the pair is not
	// suggested again.
	ka := identity.RecordKey{Channel: identity.ChannelCSV, Source: "crm", ID: "c1"}
	kb := identity.RecordKey{Channel: identity.ChannelCSV, Source: "crm", ID: "c2"}
	if _, err := db.Separate(ctx, ka, kb); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SuggestFor(ctx, a.ID, scv.SuggestOptions{}); err != nil || len(got) != 0 {
		t.Fatalf("SuggestFor after Separate = %+v, %v; want none", got, err)
	}

	if _, err := db.SuggestFor(ctx, "00000000000000000000000000000000", scv.SuggestOptions{}); !errors.Is(err, scv.ErrNotFound) {
		t.Fatalf("SuggestFor of an unknown id: %v, want ErrNotFound", err)
	}
}
