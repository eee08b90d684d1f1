package merge

import (
	"cmp"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
)

// The rules of this file ask whether records describe one person, through
// package match: the hub rule counts people rather than spellings, an
// order's receiver joins its buyer only when the two are consistent, and a
// phone number silent for long and then used by someone inconsistent with
// its earlier owner is recycled.

// personOf returns what a record says about who it is.
func personOf(rec *identity.Record) match.Person {
	a := &rec.Attributes
	return match.Person{Name: a.Name, Gender: a.Gender, Birthday: a.Birthday}
}

// personOfRef is personOf for a record a profile summarises.
func personOfRef(r *RecordRef) match.Person {
	return match.Person{Name: r.Name, Gender: r.Gender, Birthday: r.Birthday}
}

// known reports whether p says anything about who a person is.
func known(p match.Person) bool {
	return (p.Name != "" && !match.Placeholder(p.Name)) || p.Gender != "" || !p.Birthday.IsZero()
}

// named reports whether p has a real name: the hub and recycling rules
// count only described people, since a gender alone fits half of everyone.
func named(p match.Person) bool { return p.Name != "" && !match.Placeholder(p.Name) }

// maxDescriptions bounds the distinct descriptions the hub rule compares
// per threshold step: more than that many ways of writing the people on
// one identifier is a hub whatever they are.
const maxDescriptions = 16

// peopleCounter counts the distinct people among the descriptions added to
// it: two descriptions consistent with each other are one person, and so,
// transitively, are all descriptions one can reach from another that way.
// The count is a function of the set of descriptions, never of the order
// they were added in. It is generous by design: copies of one person with
// typos in different places each resemble the original, if not each
// other, and must never make a hub.
type peopleCounter struct {
	descs []match.Person
}

// add adds a description; unnamed ones say nothing and are ignored.
func (pc *peopleCounter) add(p match.Person) {
	if !named(p) || slices.Contains(pc.descs, p) {
		return
	}
	pc.descs = append(pc.descs, p)
}

// over reports whether the descriptions show more than threshold people.
func (pc *peopleCounter) over(threshold int) bool {
	if threshold <= 0 || len(pc.descs) <= threshold {
		return false
	}
	if len(pc.descs) > maxDescriptions*(threshold+1) {
		return true
	}
	return countPeople(pc.descs) > threshold
}

// countPeople returns the number of people among descs: the connected
// components of the consistency graph.
func countPeople(descs []match.Person) int {
	sets := newDisjointSets(len(descs))
	n := len(descs)
	for i := range descs {
		for j := i + 1; j < len(descs); j++ {
			if sets.find(i) != sets.find(j) && match.Consistent(descs[i], descs[j]) {
				sets.union(i, j)
				n--
			}
		}
	}
	return n
}

// disjointSets is a union-find over 0..n-1 whose roots are the smallest
// member of their set.
type disjointSets []int

func newDisjointSets(n int) disjointSets {
	d := make(disjointSets, n)
	for i := range d {
		d[i] = i
	}
	return d
}

func (d disjointSets) find(i int) int {
	for d[i] != i {
		d[i] = d[d[i]]
		i = d[i]
	}
	return i
}

// union joins the sets of a and b.
func (d disjointSets) union(a, b int) {
	if a, b = d.find(a), d.find(b); a != b {
		d[max(a, b)] = min(a, b)
	}
}

// anyConsistent reports whether some named description of a is consistent
// with some named description of b. Without a named description on a
// side, nothing tells them apart, and it reports true.
func anyConsistent(a, b []match.Person) bool {
	na, nb := 0, 0
	for _, p := range a {
		if !named(p) {
			continue
		}
		na++
		for _, q := range b {
			if named(q) && match.Consistent(p, q) {
				return true
			}
		}
	}
	for _, q := range b {
		if named(q) {
			nb++
		}
	}
	return na == 0 || nb == 0
}

// Recycled numbers.
//
// A phone's carriers, in time order, fall into epochs: a new epoch starts
// after a silence longer than RecycleAfter when nobody described after the
// silence is consistent with anybody described since the epoch began, or
// after a silence longer than three times RecycleAfter when no name on
// one side is consistent with a name on the other: after so long, only a
// name tells that the number still has its owner. The
// records of one epoch link through the phone; those of different epochs
// do not. Records without a time join the latest epoch one of whose people
// they are consistent with, or the latest.

// carrier is a record carrying a phone, seen with the records its other
// identifiers link it to (its context): a mini program's record with the
// phone and no name or time is described by the follower record its
// unionid links, which has both.
type carrier struct {
	pos    int // position in the carriers slice
	at     time.Time
	people []match.Person
}

// epochs returns, for the phone whose carrying nodes are carriers, the
// epoch of each (indexed like carriers), and the number of epochs. ctx
// gives each node's context: the nodes its other identifiers link it to.
func (c *config) epochs(nodes []node, carriers []int, ctx func(i int) []int) ([]int, int) {
	ep := make([]int, len(carriers))
	if c.recycleAfter <= 0 || len(carriers) < 2 {
		return ep, 1
	}
	var dated, undated []carrier
	for k, i := range carriers {
		cr := carrier{pos: k, at: utc(nodes[i].rec.Observed)}
		for _, j := range ctx(i) {
			r := nodes[j].rec
			if p := personOf(r); known(p) {
				cr.people = append(cr.people, p)
			}
			if cr.at.IsZero() || j != i && nodes[i].rec.Observed.IsZero() && utc(r.Observed).After(cr.at) {
				if nodes[i].rec.Observed.IsZero() {
					cr.at = utc(r.Observed)
				}
			}
		}
		if cr.at.IsZero() {
			undated = append(undated, cr)
		} else {
			dated = append(dated, cr)
		}
	}
	slices.SortStableFunc(dated, func(a, b carrier) int { return a.at.Compare(b.at) })
	epoch := 0
	start := 0 // first position in dated of the current epoch
	var people [][]match.Person
	people = append(people, nil)
	for s := 0; s < len(dated); {
		// The segment [s, e): records without a silence between them.
		e := s + 1
		for e < len(dated) && !c.silence(dated[e-1].at, dated[e].at) {
			e++
		}
		if s > 0 {
			var before, after []match.Person
			for _, cr := range dated[start:s] {
				before = append(before, cr.people...)
			}
			for _, cr := range dated[s:e] {
				after = append(after, cr.people...)
			}
			gap := dated[s].at.Sub(dated[s-1].at)
			if !sidesConsistent(before, after) || gap > 3*c.recycleAfter && !sameNamed(before, after) {
				epoch++
				start = s
				people = append(people, nil)
			}
		}
		for _, cr := range dated[s:e] {
			ep[cr.pos] = epoch
			people[epoch] = append(people[epoch], cr.people...)
		}
		s = e
	}
	for _, cr := range undated {
		ep[cr.pos] = epoch
		if len(cr.people) == 0 {
			continue
		}
		for e := epoch; e >= 0; e-- {
			if len(people[e]) > 0 && sidesConsistent(cr.people, people[e]) {
				ep[cr.pos] = e
				break
			}
		}
	}
	return ep, epoch + 1
}

// sameNamed reports whether a named description of a is consistent with
// a named one of b: positive evidence that a phone silent for long still
// belongs to the same person.
func sameNamed(a, b []match.Person) bool {
	for _, p := range a {
		for _, q := range b {
			if named(p) && named(q) && match.Consistent(p, q) {
				return true
			}
		}
	}
	return false
}

// sidesConsistent reports whether some description of a is consistent
// with some description of b, or a side says nothing of who it is.
func sidesConsistent(a, b []match.Person) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, p := range a {
		for _, q := range b {
			if match.Consistent(p, q) {
				return true
			}
		}
	}
	return false
}

// silence reports whether the time from a to b is longer than
// RecycleAfter.
func (c *config) silence(a, b time.Time) bool {
	return b.Sub(a) > c.recycleAfter
}

// recycledEpochs finds the recycled phones among nodes: for each, the
// epoch of every node (-1 for nodes not carrying it).
func (c *config) recycledEpochs(nodes []node) map[identity.Identifier][]int {
	if c.recycleAfter <= 0 {
		return nil
	}
	carriers := map[identity.Identifier][]int{}
	for i := range nodes {
		for _, id := range nodes[i].link {
			if id.Kind == identity.KindPhone {
				carriers[id] = append(carriers[id], i)
			}
		}
	}
	var out map[identity.Identifier][]int
	var ctx func(i int) []int
	for id, cs := range carriers {
		if len(cs) < 2 {
			continue
		}
		if ctx == nil {
			ctx = contexts(nodes)
		}
		ep, n := c.epochs(nodes, cs, ctx)
		if n < 2 {
			continue
		}
		all := make([]int, len(nodes))
		for i := range all {
			all[i] = -1
		}
		for k, i := range cs {
			all[i] = ep[k]
		}
		if out == nil {
			out = map[identity.Identifier][]int{}
		}
		out[id] = all
	}
	return out
}

// Receivers.
//
// An e-commerce order names its receiver (name, phone, address), who is
// the buyer or someone the buyer sends a gift to. The buyer account's
// orders, linked by their buyer id, are grouped by receiver: orders
// sharing a receiver phone are one group, and groups whose receivers are
// consistent are one (an order whose receiver phone the platform masked
// joins by name alone). The buyer is the group with the most orders and
// records of the buyer's own (records without a receiver consistent with
// it), ties to the group ordered first. Its receiver phones link the
// orders to the rest of the buyer's records; the other groups' receivers
// are gift receivers: their phones link nothing in those orders, the
// orders stay with the buyer, and both profiles list the gift.

// gifts returns, for the component of every node (as u partitions them
// before receivers link), the nodes whose receiver identifiers must not
// link: the orders shipped to someone other than the buyer.
func (c *config) gifts(nodes []node, u *unionFind) map[int]bool {
	comps := map[int][]int{}
	roots := orderComponents(nodes, u, comps)
	if len(roots) == 0 {
		return nil
	}
	var g giftMarks
	claims := map[claimKey][]claim{}
	for _, root := range roots {
		if grp, ok := g.buyerGroup(nodes, comps[root]); ok {
			addClaims(claims, nodes, grp)
		}
	}
	g.settle(claims)
	return g.out
}

// orderComponents returns the roots (ascending) of the components of u
// that hold an order, and notes the nodes of each in comps.
func orderComponents(nodes []node, u *unionFind, comps map[int][]int) []int {
	var roots []int
	for i := range nodes {
		if !isOrder(nodes[i].key) {
			continue
		}
		r := u.find(i)
		if _, ok := comps[r]; !ok {
			roots = append(roots, r)
		}
		comps[r] = nil
	}
	if len(roots) == 0 {
		return nil
	}
	for i := range nodes {
		if r := u.find(i); slices.Contains(roots, r) {
			comps[r] = append(comps[r], i)
		}
	}
	slices.Sort(roots)
	return roots
}

// giftMarks holds the nodes found to be gifts; nil until there is one.
type giftMarks struct {
	out map[int]bool
}

func (g *giftMarks) mark(grp []int) {
	for _, i := range grp {
		if g.out == nil {
			g.out = map[int]bool{}
		}
		g.out[i] = true
	}
}

// claim is a receiver identifier a buyer account takes for its own.
type claim struct {
	orders int   // the account's orders shipped to it
	group  []int // the account's self group
}

type claimKey struct {
	id       identity.Identifier
	platform string
}

// buyerGroup returns the buyer's own receiver group among the orders of
// one component, marking the orders of the other groups and those
// shipped to organisations as gifts; false when no group tells who the
// buyer is (none names a receiver, or the best ones tie).
func (g *giftMarks) buyerGroup(nodes []node, comp []int) ([]int, bool) {
	var orders, own []int
	for _, i := range comp {
		switch {
		case !isOrder(nodes[i].key):
			own = append(own, i)
		case match.Organisation(nodes[i].rec.Attributes.Name):
			// Shipped to a front desk or a company: its phone is
			// nobody's own.
			g.mark([]int{i})
		default:
			orders = append(orders, i)
		}
	}
	// Groups with neither a receiver identifier nor a named receiver
	// say nothing of who receives them: they take no part.
	groups := slices.DeleteFunc(receiverGroups(nodes, orders), func(grp []int) bool {
		return !slices.ContainsFunc(grp, func(i int) bool { return len(nodes[i].recv) > 0 || named(personOf(nodes[i].rec)) })
	})
	if len(groups) == 0 {
		return nil, false
	}
	best := 0
	if len(groups) > 1 {
		bestScore, tie := -1, false
		for k, grp := range groups {
			score := len(grp)
			var ps []match.Person
			for _, i := range grp {
				ps = append(ps, personOf(nodes[i].rec))
			}
			for _, i := range own {
				if p := personOf(nodes[i].rec); named(p) && anyConsistent([]match.Person{p}, ps) {
					score++
				}
			}
			switch {
			case score > bestScore:
				best, bestScore, tie = k, score, false
			case score == bestScore:
				tie = true
			}
		}
		if tie {
			best = -1 // nothing tells which receiver is the buyer
		}
		for i, grp := range groups {
			if i != best {
				g.mark(grp)
			}
		}
	}
	if best < 0 {
		return nil, false
	}
	return groups[best], true
}

// addClaims notes, for each receiver identifier of a buyer's own group,
// how many of the group's orders ship to it.
func addClaims(claims map[claimKey][]claim, nodes []node, grp []int) {
	var ids []identity.Identifier
	for _, i := range grp {
		for _, id := range nodes[i].recv {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		n := 0
		for _, i := range grp {
			if slices.Contains(nodes[i].recv, id) {
				n++
			}
		}
		ck := claimKey{id, platformOf(nodes[grp[0]].rec)}
		claims[ck] = append(claims[ck], claim{orders: n, group: grp})
	}
}

// settle gives each receiver claimed by several buyer accounts of one
// platform to one of them. A receiver two buyer accounts of one platform
// take for their own belongs to the account that ships to it most; on a
// tie, to neither: a second account of one person on one platform is
// rarer than a gift to someone who shops there too. (One Taobao and one
// JD account are common, and claim nothing of each other.) The groups of
// the others are marked as gifts.
func (g *giftMarks) settle(claims map[claimKey][]claim) {
	for _, cs := range claims {
		if len(cs) < 2 {
			continue
		}
		top, n := 0, 0
		for _, cl := range cs {
			switch {
			case cl.orders > top:
				top, n = cl.orders, 1
			case cl.orders == top:
				n++
			}
		}
		for _, cl := range cs {
			if cl.orders < top || n > 1 {
				g.mark(cl.group)
			}
		}
	}
}

// platformOf returns the platform of an order record: its first order's.
func platformOf(rec *identity.Record) string {
	for _, o := range rec.Orders {
		if o.Platform != "" {
			return o.Platform
		}
	}
	for _, id := range rec.Identifiers {
		if id.Kind == identity.KindBuyer {
			return id.Scope
		}
	}
	return rec.Source
}

// isOrder reports whether the record with key k is an e-commerce order,
// whose name, gender and phones are its receiver's.
func isOrder(k identity.RecordKey) bool { return k.Channel == identity.ChannelEcommerce }

// receiverGroups groups orders (node indices, ascending) by receiver:
// orders sharing a receiver identifier are one group, and so are groups
// whose named receivers are all consistent with each other. Groups are
// ordered by their first node.
func receiverGroups(nodes []node, orders []int) [][]int {
	sets := joinByReceiverPhone(nodes, orders)
	find, union := sets.find, sets.union
	// Receivers that are one person with two phones: every named
	// description of one group consistent with every one of the other.
	// Unnamed groups stay apart: nothing says who they are. Each group
	// keeps each distinct description once, and joining two groups scans
	// again from the first pair, as if the groups were built anew: so one
	// receiver of many orders costs one pass, not one per order.
	byRoot := map[int][]match.Person{}
	var roots []int // by first order
	for k, i := range orders {
		r := find(k)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
			byRoot[r] = nil
		}
		if p := personOf(nodes[i].rec); named(p) && !slices.Contains(byRoot[r], p) {
			byRoot[r] = append(byRoot[r], p)
		}
	}
	for joined := true; joined; {
		joined = false
		for a := 0; a < len(roots) && !joined; a++ {
			for b := a + 1; b < len(roots) && !joined; b++ {
				pa, pb := byRoot[roots[a]], byRoot[roots[b]]
				if len(pa) == 0 || len(pb) == 0 || !allConsistent(pa, pb) {
					continue
				}
				union(roots[a], roots[b])
				r := find(roots[a])
				for _, p := range pb {
					if !slices.Contains(pa, p) {
						pa = append(pa, p)
					}
				}
				delete(byRoot, roots[a])
				delete(byRoot, roots[b])
				byRoot[r] = pa
				roots[a] = r
				roots = slices.Delete(roots, b, b+1)
				joined = true
			}
		}
	}
	return groupsOf(orders, find)
}

// joinByReceiverPhone returns the sets of receiverGroups' orders (by
// their index in orders) joined where two orders name one receiver
// phone.
func joinByReceiverPhone(nodes []node, orders []int) disjointSets {
	sets := newDisjointSets(len(orders))
	first := map[identity.Identifier]int{}
	for k, i := range orders {
		for _, id := range nodes[i].recv {
			if f, ok := first[id]; ok {
				sets.union(f, k)
			} else {
				first[id] = k
			}
		}
	}
	return sets
}

// groupsOf returns orders grouped by the root find gives their index, in
// the order of each group's first order.
func groupsOf(orders []int, find func(int) int) [][]int {
	var groups [][]int
	at := map[int]int{}
	for k, i := range orders {
		r := find(k)
		g, ok := at[r]
		if !ok {
			g = len(groups)
			at[r] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// allConsistent reports whether every description of a is consistent with
// every one of b.
func allConsistent(a, b []match.Person) bool {
	for _, p := range a {
		for _, q := range b {
			if !match.Consistent(p, q) {
				return false
			}
		}
	}
	return true
}

// setGifts lists the gifts on the parts' profiles, which have their ids:
// each gift order on its buyer's profile, and on the profile of each other
// part whose records hold the receiver's identifier as their current key.
func (res *resolution) setGifts(parts []*Profile) {
	// holders lists, for each identifier a gift names its receiver by, the
	// parts (ascending) with a record that links it now as its own: found
	// once, not once a gift.
	receiving := map[identity.Identifier]bool{}
	for i := range res.nodes {
		if res.gifts[i] {
			for _, id := range res.nodes[i].recv {
				receiving[id] = true
			}
		}
	}
	holders := map[identity.Identifier][]int{}
	for y, part := range res.parts {
		for _, j := range part {
			m := &res.nodes[j]
			for _, id := range m.link {
				if !receiving[id] || m.gift && slices.Contains(m.recv, id) || !res.current(j, id) {
					continue
				}
				if hs := holders[id]; len(hs) == 0 || hs[len(hs)-1] != y {
					holders[id] = append(hs, y)
				}
			}
		}
	}
	var to []int
	for i := range res.nodes {
		if !res.gifts[i] {
			continue
		}
		n := &res.nodes[i]
		x := res.partOf[i]
		t := n.rec.Observed
		if len(n.rec.Orders) > 0 && !n.rec.Orders[0].Time.IsZero() {
			t = n.rec.Orders[0].Time
		}
		t = utc(t)
		to = to[:0]
		for _, id := range n.recv {
			for _, y := range holders[id] {
				if y != x && !slices.Contains(to, y) {
					to = append(to, y)
				}
			}
		}
		slices.Sort(to)
		for _, y := range to {
			parts[x].Gifts = append(parts[x].Gifts, Gift{Record: n.key, Profile: parts[y].ID, Time: t})
			parts[y].Gifts = append(parts[y].Gifts, Gift{Record: n.key, Received: true, Profile: parts[x].ID, Time: t})
		}
		if len(to) == 0 {
			parts[x].Gifts = append(parts[x].Gifts, Gift{Record: n.key, Time: t})
		}
	}
	for _, p := range parts {
		slices.SortFunc(p.Gifts, compareGift)
		p.Gifts = slices.Compact(p.Gifts)
	}
}

func compareGift(a, b Gift) int {
	if c := compareKey(a.Record, b.Record); c != 0 {
		return c
	}
	if a.Received != b.Received {
		if !a.Received {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.Profile, b.Profile)
}

// contexts returns, for each node, the nodes its identifiers other than
// phones link it to, itself included, ignoring every protection rule: who
// the records around a phone's carrier say it is.
func contexts(nodes []node) func(i int) []int {
	sets := newDisjointSets(len(nodes))
	find := sets.find
	first := map[identity.Identifier]int{}
	for i := range nodes {
		for _, id := range nodes[i].link {
			if id.Kind == identity.KindPhone {
				continue
			}
			if f, ok := first[id]; ok {
				sets.union(f, i)
			} else {
				first[id] = i
			}
		}
	}
	members := map[int][]int{}
	for i := range nodes {
		r := find(i)
		members[r] = append(members[r], i)
	}
	return func(i int) []int { return members[find(i)] }
}
