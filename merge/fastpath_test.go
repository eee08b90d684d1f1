package merge_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// TestFastPathEdges ingests, for each case, records that bring Add's fast
// paths to their edges, requires every change to equal a recomputation's
// (addCompared), and checks what the last change says, so that the case
// does what its name says.
func TestFastPathEdges(t *testing.T) {
	at := day(2026, 3, 1)
	hub := phone(99)
	tests := []struct {
		name  string
		opts  merge.Options
		setup []identity.Record
		add   identity.Record
		check func(*merge.Change) error
	}{
		{
			name: "new record with more member numbers than the hub threshold",
			add:  rec("r", at, phone(1), member("a", "1"), member("b", "2"), member("c", "3"), member("d", "4")),
			check: func(ch *merge.Change) error {
				return want(slices.Equal(ch.Hubs, []identity.Identifier{phone(1)}), "hubs %v, want the phone", ch.Hubs)
			},
		},
		{
			name: "new record with as many member numbers as the hub threshold",
			add:  rec("r", at, phone(1), member("a", "1"), member("b", "2"), member("c", "3")),
			check: func(ch *merge.Change) error {
				return want(len(ch.Hubs) == 0 && len(ch.Created) == 1, "hubs %v, created %v", ch.Hubs, ch.Created)
			},
		},
		{
			name: "new record beyond its phone limit",
			add:  rec("r", at, phone(1), phone(2), phone(3), phone(4)),
			check: func(ch *merge.Change) error {
				return want(status(ch.Profiles[0], phone(4)) == merge.StatusExcluded, "fourth phone %s, want excluded", status(ch.Profiles[0], phone(4)))
			},
		},
		{
			name: "new record with a blocked phone",
			opts: merge.Options{Blocked: []identity.Identifier{phone(7)}},
			add:  named(rec("r", at, phone(7), unionid("u")), "王芳"),
			check: func(ch *merge.Change) error {
				_, phoneField := ch.Profiles[0].Field(merge.FieldPhone)
				return want(status(ch.Profiles[0], phone(7)) == merge.StatusBlocked && !phoneField, "blocked phone %s, phone field %t", status(ch.Profiles[0], phone(7)), phoneField)
			},
		},
		{
			name: "new record with a flagged hub",
			setup: []identity.Record{
				named(rec("h1", at, hub), "张伟"), named(rec("h2", at, hub), "王芳"),
				named(rec("h3", at, hub), "李娜"), named(rec("h4", at, hub), "刘洋"),
			},
			add: named(rec("r", at, hub, unionid("u")), "陈静"),
			check: func(ch *merge.Change) error {
				return want(len(ch.Created) == 1 && status(ch.Profiles[0], hub) == merge.StatusHub, "created %v, hub %s", ch.Created, status(ch.Profiles[0], hub))
			},
		},
		{
			name:  "new record naming a referrer another profile holds",
			setup: []identity.Record{rec("friend", at, phone(1))},
			add:   paid(withReferral(t, rec("r", at, phone(2)), 1, at), "o1", 100, at),
			check: func(ch *merge.Change) error {
				return want(len(ch.Profiles) == 2 && len(ch.Created) == 1, "%d profiles, created %v; want the new one and the referrer's", len(ch.Profiles), ch.Created)
			},
		},
		{
			name: "new record naming a referrer no profile holds",
			add:  withReferral(t, rec("r", at, phone(2)), 1, at),
			check: func(ch *merge.Change) error {
				return want(len(ch.Pending) == 1, "pending %v, want one credit", ch.Pending)
			},
		},
		{
			name:  "new record claiming pending credits",
			setup: []identity.Record{withReferral(t, rec("friend", at, phone(2)), 1, at)},
			add:   rec("r", at, phone(1)),
			check: func(ch *merge.Change) error {
				return want(slices.Equal(ch.Claimed, []identity.Identifier{phone(1)}), "claimed %v", ch.Claimed)
			},
		},
		{
			name: "new record without identifiers",
			add:  named(rec("r", at), "王芳"),
			check: func(ch *merge.Change) error {
				return want(len(ch.Created) == 1 && len(ch.Index) == 0, "created %v, index %v", ch.Created, ch.Index)
			},
		},
		{
			name: "new record repeating an identifier and an order",
			add:  paid(paid(rec("r", at, phone(1), phone(1)), "o1", 100, at), "o1", 100, at),
			check: func(ch *merge.Change) error {
				p := ch.Profiles[0]
				return want(len(p.Identifiers) == 1 && len(p.Orders) == 1, "%d identifiers, %d orders; want one each", len(p.Identifiers), len(p.Orders))
			},
		},
		{
			name:  "fold of a name the profile states",
			setup: []identity.Record{named(rec("a", at, phone(1)), "张伟"), named(rec("b", at, phone(1)), "王芳"), named(rec("c", at, phone(1)), "李娜")},
			add:   named(rec("r", at.Add(merge.Day), phone(1)), "王芳"),
			check: func(ch *merge.Change) error {
				return want(!ch.Recomputed && len(ch.Created) == 0 && len(ch.Hubs) == 0, "recomputed %t, created %v, hubs %v; want a fold", ch.Recomputed, ch.Created, ch.Hubs)
			},
		},
		{
			name:  "fold of a fourth name",
			setup: []identity.Record{named(rec("a", at, phone(1)), "张伟"), named(rec("b", at, phone(1)), "王芳"), named(rec("c", at, phone(1)), "李娜")},
			add:   named(rec("r", at, phone(1)), "刘洋"),
			check: func(ch *merge.Change) error {
				return want(ch.Recomputed && slices.Equal(ch.Hubs, []identity.Identifier{phone(1)}), "recomputed %t, hubs %v; want the phone a hub", ch.Recomputed, ch.Hubs)
			},
		},
		{
			name: "fold of a fourth name through another identifier",
			setup: []identity.Record{
				named(rec("a", at, phone(1), email("x")), "张伟"), named(rec("b", at, phone(1)), "王芳"), named(rec("c", at, phone(1)), "李娜"),
			},
			add: named(rec("r", at, email("x")), "刘洋"),
			check: func(ch *merge.Change) error {
				return want(!ch.Recomputed && len(ch.Hubs) == 0, "recomputed %t, hubs %v; the e-mail's records show two names", ch.Recomputed, ch.Hubs)
			},
		},
		{
			name: "fold of a fourth member number",
			setup: []identity.Record{
				rec("a", at, phone(1), member("s1", "1")), rec("b", at, phone(1), member("s2", "2")), rec("c", at, phone(1), member("s3", "3")),
			},
			add: rec("r", at, phone(1), member("s4", "4")),
			check: func(ch *merge.Change) error {
				return want(ch.Recomputed && slices.Equal(ch.Hubs, []identity.Identifier{phone(1)}), "recomputed %t, hubs %v; want the phone a hub", ch.Recomputed, ch.Hubs)
			},
		},
		{
			name:  "fold beyond a limit",
			setup: []identity.Record{rec("a", at, phone(1), unionid("1"))},
			add:   rec("r", at, phone(1), unionid("2")),
			check: func(ch *merge.Change) error {
				return want(ch.Recomputed && len(ch.Separations) == 1, "recomputed %t, separations %v; want the unionids apart", ch.Recomputed, ch.Separations)
			},
		},
		{
			name:  "fold up to a limit",
			setup: []identity.Record{rec("a", at, phone(1), phone(2))},
			add:   rec("r", at, phone(2), phone(3)),
			check: func(ch *merge.Change) error {
				return want(!ch.Recomputed && len(ch.Created) == 0, "recomputed %t, created %v; want a fold", ch.Recomputed, ch.Created)
			},
		},
		{
			name:  "fold of a new phone and a second buyer id",
			setup: []identity.Record{rec("a", at, phone(1), buyer("1"))},
			add:   rec("r", at, phone(2), buyer("1"), buyer("2")),
			check: func(ch *merge.Change) error {
				return want(!ch.Recomputed && len(ch.Created) == 0, "recomputed %t, created %v; two buyer ids per platform fold", ch.Recomputed, ch.Created)
			},
		},
		{
			name:  "fold into a profile with a shared identifier",
			setup: []identity.Record{rec("a", at, phone(1), unionid("1")), rec("b", at, phone(1), unionid("2"))},
			add:   rec("r", at, unionid("1")),
			check: func(ch *merge.Change) error {
				return want(ch.Recomputed, "recomputed %t: a profile with a shared phone is not its own component", ch.Recomputed)
			},
		},
		{
			name: "fold that changes the surviving values",
			setup: []identity.Record{
				on(named(rec("a", at, phone(1)), "王芳"), identity.ChannelEcommerce, "tmall"),
				on(named(rec("b", at, phone(1)), "王 芳"), identity.ChannelWeibo, "weibo"),
			},
			add: named(rec("r", at, phone(1)), "王 芳"),
			check: func(ch *merge.Change) error {
				f, _ := ch.Profiles[0].Field(merge.FieldPersonName)
				return want(!ch.Recomputed && f.Value == "王 芳" && f.Records == 2, "recomputed %t, name %q from %d records", ch.Recomputed, f.Value, f.Records)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t, newResolver(t, tc.opts), tc.opts.Blocked...)
			for _, r := range tc.setup {
				s.addCompared(r, asOf)
			}
			if err := tc.check(s.addCompared(tc.add, asOf)); err != nil {
				t.Error(err)
			}
		})
	}
}

func want(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

func buyer(s string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindBuyer, Scope: "taobao", Value: "b-" + s}
}

func status(p *merge.Profile, id identity.Identifier) merge.Status {
	for _, st := range p.Identifiers {
		if st.Identifier == id {
			return st.Status
		}
	}
	return ""
}
