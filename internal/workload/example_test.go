package workload_test

import (
	"errors"
	"fmt"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

// Stream a workload's records through identity.Decode without writing a
// file, and count what Decode accepts and quarantines.
func ExampleGenerator_Records() {
	g, err := workload.New(workload.Config{Records: 1000, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	accepted, quarantined := 0, map[identity.Reason]int{}
	for _, err := range g.Records() {
		var re *identity.RecordError
		switch {
		case err == nil:
			accepted++
		case errors.As(err, &re):
			quarantined[re.Reason]++
		default:
			fmt.Println(err)
			return
		}
	}
	fmt.Println("records:", g.NumRecords(), "people:", g.NumPeople())
	fmt.Println("accepted:", accepted, "quarantined:", quarantined)
	// Output:
	// records: 1000 people: 409
	// accepted: 1000 quarantined: map[]
}

// The ground truth of the first person seen on several channels: where the
// brand saw them, how many records they left and what they bought.
func ExampleGenerator_People() {
	g, err := workload.New(workload.Config{Records: 1000, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for p := range g.People() {
		if p.MultiChannel() {
			fmt.Println(p.ID, p.Channels, p.Records, "records,", p.PaidOrders, "paid orders,", p.SpendFen, "fen")
			break
		}
	}
	// Output:
	// P0000002 [wechat ecommerce] 3 records, 1 paid orders, 75500 fen
}
