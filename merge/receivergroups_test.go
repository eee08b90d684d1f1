package merge

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
)

// receiverGroupsRebuilt is receiverGroups as it was before groups kept
// their descriptions and were joined in place: after each join, every
// group and its descriptions are built anew from the orders, and the scan
// starts again from the first pair. It is the reference the faster one
// must agree with exactly, since consistency is not transitive and the
// order of the joins decides the groups.
func receiverGroupsRebuilt(nodes []node, orders []int) [][]int {
	sets := joinByReceiverPhone(nodes, orders)
	find, union := sets.find, sets.union
	for changed := true; changed; {
		changed = false
		byRoot := map[int][]match.Person{}
		var roots []int
		for k, i := range orders {
			r := find(k)
			if _, ok := byRoot[r]; !ok {
				roots = append(roots, r)
				byRoot[r] = nil
			}
			if p := personOf(nodes[i].rec); named(p) {
				byRoot[r] = append(byRoot[r], p)
			}
		}
		for a := 0; a < len(roots) && !changed; a++ {
			for b := a + 1; b < len(roots) && !changed; b++ {
				pa, pb := byRoot[roots[a]], byRoot[roots[b]]
				if len(pa) > 0 && len(pb) > 0 && allConsistent(pa, pb) {
					union(roots[a], roots[b])
					changed = true
				}
			}
		}
	}
	return groupsOf(orders, find)
}

// TestReceiverGroupsAsRebuilt checks, on random orders whose receivers
// share phones and are written in ways that are consistent with some of
// the others and not with the rest (a pinyin name, an honorific, a name
// given with the other gender, a birthday), that receiverGroups finds
// exactly the groups of the rebuild-and-restart loop, in the same order.
func TestReceiverGroupsAsRebuilt(t *testing.T) {
	names := []string{"", "王芳", "王 芳", "Wang Fang", "王女士", "王先生", "王方", "李秀英", "李女士", "Li Xiuying", "张伟", "张先生", "张女士", "收件人"}
	genders := []identity.Gender{identity.GenderUnknown, identity.GenderFemale, identity.GenderMale}
	birthdays := []identity.Date{{}, {Year: 1980, Month: 3, Day: 4}, {Year: 1980, Month: 4, Day: 3}, {Year: 1991}}
	rng := rand.New(rand.NewPCG(25, 3))
	for c := range 3000 {
		n := 1 + rng.IntN(12)
		phones := 1 + rng.IntN(n+1)
		nodes := make([]node, n)
		orders := make([]int, 0, n)
		for i := range nodes {
			rec := &identity.Record{}
			rec.Attributes.Name = names[rng.IntN(len(names))]
			rec.Attributes.Gender = genders[rng.IntN(len(genders))]
			rec.Attributes.Birthday = birthdays[rng.IntN(len(birthdays))]
			nodes[i].rec = rec
			for range rng.IntN(3) {
				id := identity.Identifier{Kind: identity.KindPhone, Value: fmt.Sprintf("+861391234%04d", rng.IntN(phones))}
				nodes[i].recv = append(nodes[i].recv, id)
			}
			if rng.IntN(4) > 0 { // some nodes are not orders
				orders = append(orders, i)
			}
		}
		want := receiverGroupsRebuilt(nodes, orders)
		got := receiverGroups(nodes, orders)
		if diff := cmp.Diff(want, got); diff != "" {
			var desc []string
			for _, i := range orders {
				desc = append(desc, fmt.Sprintf("%d:%v/%s/%v", i, nodes[i].recv, nodes[i].rec.Attributes.Gender, nodes[i].rec.Attributes.Birthday))
			}
			t.Fatalf("case %d %v: groups (-rebuilt +joined in place):\n%s", c, desc, diff)
		}
	}
}
