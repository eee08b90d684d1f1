package store

import (
	"context"
	"errors"
	"testing"

	"github.com/scv-go/scv/crypto"
)

// TestStrippedBuyerMoveIsInTheFeed erases a gift's receiver and checks that
// the store stays consistent and that the change feed says where the
// buyer's old id went.
func TestStrippedBuyerMoveIsInTheFeed(t *testing.T) {
	forEachEngine(t, inMemory, testStrippedBuyerMoveIsInTheFeed)
}

func testStrippedBuyerMoveIsInTheFeed(t *testing.T, e testEngine) {
	ctx := context.Background()
	s := openTestStore(t, e.dir(t), crypto.GenerateRootKey())
	ingestString(t, s, giftOrders)
	before, err := s.ByIdentifier(ctx, taobaoPhone("13912340001"))
	if err != nil {
		t.Fatal(err)
	}
	mum, err := s.ByIdentifier(ctx, taobaoPhone("13912340009"))
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, s, "", 1<<20)
	cursor := evs[len(evs)-1].Cursor
	if err := s.Erase(ctx, mum.ID); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, s)
	after, err := s.ByIdentifier(ctx, taobaoPhone("13912340001"))
	if err != nil {
		t.Fatal(err)
	}
	if after.ID == before.ID {
		t.Fatalf("the buyer kept her id %s: her old data key sealed the orders naming the erased receiver", before.ID)
	}
	told := false
	for _, ev := range collect(t, s, cursor, 1<<20) {
		if ev.Profile == before.ID || ev.Other == before.ID {
			told = true
		}
	}
	if !told {
		t.Errorf("the feed never says the buyer's id %s moved to %s", before.ID, after.ID)
	}
}

// TestErasedStrippedBuyerLeavesNoOldIDEvents erases a gift's receiver (the
// buyer moves to a new id) and then the buyer: the feed must keep no event
// about the buyer under either of her ids, and her old id must say erased.
func TestErasedStrippedBuyerLeavesNoOldIDEvents(t *testing.T) {
	forEachEngine(t, inMemory, testErasedStrippedBuyerLeavesNoOldIDEvents)
}

func testErasedStrippedBuyerLeavesNoOldIDEvents(t *testing.T, e testEngine) {
	ctx := context.Background()
	s := openTestStore(t, e.dir(t), crypto.GenerateRootKey())
	ingestString(t, s, giftOrders)
	old, _ := eraseMum(t, s)
	if err := s.Erase(ctx, old.ID); err != nil { // forwards to her new id
		t.Fatal(err)
	}
	if _, err := s.ByID(ctx, old.ID); !errors.Is(err, ErrErased) {
		t.Errorf("the buyer's old id after her erasure: %v, want ErrErased", err)
	}
	if evs, _ := tracesOf(t, s, []string{old.ID}, nil); len(evs) > 0 {
		t.Errorf("the feed keeps %d events about the erased buyer's old id: %+v", len(evs), evs)
	}
	mustVerify(t, s)
}

// TestReferralToErasedPhoneNotKept erases a gift's receiver and then
// ingests an order whose referrer is her (suppressed) phone: the store must
// not keep her phone in a pending credit, sealed only under the root key.
func TestReferralToErasedPhoneNotKept(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	ingestString(t, s, giftOrders)
	mumPhone := taobaoPhone("13912340009")
	mum, err := s.ByIdentifier(ctx, mumPhone)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, mum.ID); err != nil {
		t.Fatal(err)
	}
	ingestString(t, s, `{"tid":880001,"buyer_open_uid":"BBfriend","receiver_name":"赵敏","receiver_mobile":"13912340055","referrer_mobile":"13912340009","payment":"10","created":"2026-08-01 10:00:00","status":"TRADE_FINISHED"}`)
	err = s.read(ctx, func(tx *txn) error {
		credits, err := tx.Pending(mumPhone)
		if len(credits) > 0 {
			t.Errorf("the erased receiver's phone is kept in %d pending credits", len(credits))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
