package merge

import (
	"strconv"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
)

// ReceiverSuffix ends the id of a receiver record: the receiver of order
// "880001" of a source is record "880001#receiver" of that source (a second
// receiver phone of one order, "880001#receiver2"). E-commerce order ids
// are numbers, so no order's own id ends so.
const ReceiverSuffix = "#receiver"

// ReceiverRecords returns the receiver records of an order: one for each
// phone among r.Receivers, saying that the person named as the order's
// receiver, at its address, uses that phone, as of the order's time. The
// store ingests them beside the order, so that a gift's receiver who has no
// record of their own is a customer too (a potential one, found by their
// phone, with the gift received on their profile), and a receiver who is
// the buyer joins the buyer's profile through the phone like any record.
// The order stays the buyer's: a receiver record has no orders, consent or
// account identifiers. An order shipped to an organisation
// ([match.Organisation]) names nobody and yields none; nor does a record
// that is itself a receiver record.
func ReceiverRecords(r *identity.Record) []identity.Record {
	if len(r.Receivers) == 0 || match.Organisation(r.Attributes.Name) {
		return nil
	}
	at := r.Observed
	if len(r.Orders) > 0 && !r.Orders[0].Time.IsZero() {
		at = r.Orders[0].Time
	}
	var out []identity.Record
	for _, id := range r.Receivers {
		if id.Kind != identity.KindPhone {
			continue
		}
		suffix := ReceiverSuffix
		if len(out) > 0 {
			suffix += strconv.Itoa(len(out) + 1)
		}
		out = append(out, identity.Record{
			Channel: r.Channel, Source: r.Source, ID: r.ID + suffix, Line: r.Line, Observed: at,
			Identifiers: []identity.Identifier{id},
			Attributes: identity.Attributes{
				Name: r.Attributes.Name, Country: r.Attributes.Country,
				Province: r.Attributes.Province, City: r.Attributes.City, District: r.Attributes.District,
			},
		})
	}
	return out
}
