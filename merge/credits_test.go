package merge_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

func TestReferralWaitsForItsReferrer(t *testing.T) {
	at := day(2026, 4, 1)
	s := newTestStore(t, newResolver(t, merge.Options{}))
	friend := paid(withReferral(t, rec("friend", at, phone(2)), 1, at), "f1", 9900, at)
	ch := s.add(friend, asOf)
	want := []merge.Credit{{Referrer: phone(1), Referred: friend.Key(), Paid: true, Time: at.UTC()}}
	if diff := cmp.Diff(want, ch.Pending); diff != "" {
		t.Fatalf("pending credits (-want +got):\n%s", diff)
	}
	// The referrer shows up later, with two purchases.
	s.add(paid(rec("me1", at, phone(1)), "o1", 100, at), asOf)
	if len(s.pending) != 0 {
		t.Errorf("pending credits left after the referrer appeared: %v", s.pending)
	}
	ch = s.add(paid(rec("me2", at.Add(merge.Day), phone(1)), "o2", 100, at.Add(merge.Day)), asOf)
	if p := s.of("me1"); p.Stage != merge.StageAdvocate || p.Metrics.PaidReferrals != 1 {
		t.Errorf("referrer stage %s with %d paid referrals, want advocate and 1", p.Stage, p.Metrics.PaidReferrals)
	}
	if ch.Recomputed {
		t.Error("a second purchase should fold")
	}
}

func TestCreditClaimedByAdd(t *testing.T) {
	at := day(2026, 4, 1)
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(withReferral(t, rec("friend", at, phone(2)), 1, at), asOf)
	ch := s.add(rec("me", at, phone(1)), asOf)
	if diff := cmp.Diff([]identity.Identifier{phone(1)}, ch.Claimed); diff != "" {
		t.Errorf("claimed (-want +got):\n%s", diff)
	}
	if got := s.of("me").Metrics.Referrals; got != 1 {
		t.Errorf("referrals %d, want 1", got)
	}
}

func TestCreditFollowsThePhone(t *testing.T) {
	at := day(2026, 4, 1)
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(rec("me-pos", at, phone(1), member("pos", "M1")), asOf)
	s.add(rec("me-wx", at, unionid("me")), asOf)
	s.add(rec("me-wx2", at, unionid("me")), asOf)
	s.add(paid(withReferral(t, rec("friend", at, phone(2)), 1, at), "f", 1, at), asOf)
	if got := len(s.of("me-pos").Credits); got != 1 {
		t.Fatalf("credits on the phone's profile %d, want 1", got)
	}
	// The phone's profile merges into the larger WeChat profile: the
	// credit moves with it.
	s.add(rec("bind", at.Add(merge.Day), phone(1), unionid("me")), asOf)
	if p := s.of("me-pos"); len(p.Credits) != 1 || p.ID != s.of("me-wx").ID {
		t.Fatalf("after the merge: %d credits on %s", len(p.Credits), p.ID)
	}
	// The phone's first record is detached; bind still carries the phone
	// on the WeChat side. Exactly one of the two profiles holding the
	// phone holds the credit.
	s.do(s.r.Detach(s, s.key("me-pos"), s.newID, asOf))
	holders := 0
	for _, p := range s.all() {
		if len(p.Credits) > 0 {
			holders++
			if st := findIdentifier(t, p, phone(1)); st.Status != merge.StatusLinking {
				t.Errorf("credit on profile %s whose phone is %s", p.ID, st.Status)
			}
		}
	}
	if holders != 1 {
		t.Errorf("%d profiles hold the credit, want 1", holders)
	}
}

func TestCreditRevokedAndRepaid(t *testing.T) {
	at := day(2026, 4, 1)
	s := newTestStore(t, newResolver(t, merge.Options{}))
	s.add(rec("me", at, phone(1)), asOf)
	friend := withReferral(t, rec("friend", at, phone(2)), 1, at)
	s.add(friend, asOf)
	if cr := s.of("me").Credits; len(cr) != 1 || cr[0].Paid {
		t.Fatalf("credits %+v, want one unpaid", cr)
	}
	// The friend pays: the same record, updated later.
	friend.Observed = at.Add(merge.Day)
	s.add(paid(friend, "f", 100, at), asOf)
	if cr := s.of("me").Credits; len(cr) != 1 || !cr[0].Paid {
		t.Fatalf("credits %+v, want one paid", cr)
	}
	// A later version that does not state the referral keeps it:
	// versions combine, and an export without the referral column is not
	// a withdrawal.
	dropped := paid(friend, "f", 100, at)
	dropped.Referrals = nil
	dropped.Observed = at.Add(2 * merge.Day)
	s.add(dropped, asOf)
	if cr := s.of("me").Credits; len(cr) != 1 || !cr[0].Paid {
		t.Fatalf("credits %+v after a version without the referral, want one paid", cr)
	}
	// The same for a referral whose referrer never appeared: the pending
	// credit stays.
	lone := withReferral(t, rec("lone", at, phone(3)), 4, at)
	s.add(lone, asOf)
	lone.Referrals = nil
	lone.Observed = at.Add(merge.Day)
	s.add(lone, asOf)
	// The older version arriving again is stale.
	if again := s.add(withReferral(t, rec("lone", at, phone(3)), 4, at), asOf); !again.NoOp || !again.Stale {
		t.Errorf("older version: %+v, want a stale NoOp", again)
	}
	if len(s.pending[phone(4)]) != 1 {
		t.Errorf("store %v: want the pending credit kept", s.pending)
	}
}

func TestCreditToAHubGoesNowhere(t *testing.T) {
	at := day(2026, 4, 1)
	s := newTestStore(t, newResolver(t, merge.Options{}))
	for _, name := range []string{"甲", "乙", "丙", "丁"} {
		s.add(named(rec(name, at, phone(9), member("pos", name)), name), asOf)
	}
	ch := s.add(withReferral(t, rec("friend", at, phone(2)), 9, at), asOf)
	if len(ch.Pending) != 0 {
		t.Errorf("a credit for a hub is pending: %+v", ch.Pending)
	}
	for _, p := range s.all() {
		if len(p.Credits) != 0 {
			t.Errorf("profile %s holds a credit for a hub", p.ID)
		}
	}
}

func TestCreditMethodHandsOverPendingCredits(t *testing.T) {
	at := day(2026, 4, 1)
	r := newResolver(t, merge.Options{})
	s := newTestStore(t, r)
	s.add(rec("me", at, phone(1)), asOf)
	credits := []merge.Credit{
		{Referrer: phone(1), Referred: identity.RecordKey{Channel: "csv", Source: "crm", ID: "x"}, Paid: true, Time: at.UTC()},
		{Referrer: phone(5), Referred: identity.RecordKey{Channel: "csv", Source: "crm", ID: "y"}, Time: at.UTC()},
	}
	ch, err := r.Credit(s, credits, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Profiles) != 1 || len(ch.Profiles[0].Credits) != 1 || len(ch.Pending) != 1 || ch.Pending[0].Referrer != phone(5) {
		t.Errorf("change %+v", ch)
	}
	if _, err := r.Credit(s, []merge.Credit{{Referrer: email("x")}}, asOf); err == nil {
		t.Error("a credit for an e-mail address: no error")
	}
}
