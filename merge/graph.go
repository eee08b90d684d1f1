package merge

import (
	"slices"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
)

// node is one source record in a resolution.
type node struct {
	rec  *identity.Record
	key  identity.RecordKey
	fp   string
	ids  []identity.Identifier // distinct, in the record's order
	link []identity.Identifier // the linking ones, in identifier order
	recv []identity.Identifier // the linking ones that name an order's receiver
	gift bool                  // an order shipped to someone else: recv link nothing
}

type kindScope struct {
	kind  identity.Kind
	scope string
}

func compareKindScope(a, b kindScope) int {
	if a.kind != b.kind {
		return int(a.kind) - int(b.kind)
	}
	return compareStr(a.scope, b.scope)
}

// refusal is a join protection refused while node x was added: the
// component holding node y shares identifier via with x's component. For
// RuleRecycled and RuleReceiver, x and y are records that carry via but
// do not link through it.
type refusal struct {
	x, y  int
	rule  Rule
	limit identity.Kind
	via   identity.Identifier
}

// resolution is the partition of a set of records into profiles.
type resolution struct {
	nodes    []node  // in canonical order
	parts    [][]int // node indices, ascending; parts ordered by their first node
	partOf   []int
	hubs     map[identity.Identifier]bool // every hub among the records' identifiers
	newHubs  []identity.Identifier        // hubs found by the hub rule, not flagged before
	refusals []refusal
	// recycled are the recycled phones: the epoch of each node (-1 for
	// nodes not carrying the phone).
	recycled map[identity.Identifier][]int
	// gifts are the nodes whose receiver identifiers link nothing: orders
	// shipped to someone other than the buyer.
	gifts map[int]bool
}

// current reports whether node i's use of identifier id is current: id is
// not a recycled phone, or node i is of its latest epoch.
func (res *resolution) current(i int, id identity.Identifier) bool {
	ep, ok := res.recycled[id]
	if !ok {
		return true
	}
	return ep[i] == slices.Max(ep)
}

// compareNodes is the canonical order: observed time with unknown times
// last, then record key. It is what makes arrival order irrelevant: when
// protection must choose which of two joins to make, the records seen
// first choose first.
func compareNodes(a, b *node) int {
	if c := compareEarlier(a.rec.Observed, b.rec.Observed); c != 0 {
		return c
	}
	return compareKey(a.key, b.key)
}

// distinctIdentifiers returns rec's identifiers without duplicates, in the
// record's order.
func distinctIdentifiers(rec *identity.Record) []identity.Identifier {
	if len(rec.Identifiers) == 0 {
		return nil
	}
	out := make([]identity.Identifier, 0, len(rec.Identifiers))
	for _, id := range rec.Identifiers {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func newNode(rec *identity.Record) node {
	return node{rec: rec, key: rec.Key(), fp: Fingerprint(rec), ids: distinctIdentifiers(rec)}
}

// linkingIdentifiers returns the identifiers of ids that link: not
// blocked, not hubs, and within their kind's limit for one record, in
// identifier order.
func (c *config) linkingIdentifiers(ids []identity.Identifier, hub func(identity.Identifier) bool) []identity.Identifier {
	var out []identity.Identifier
	for _, id := range ids {
		if c.blocked[id] || hub(id) {
			continue
		}
		// The first ones of a kind and scope, up to the limit, link.
		if lim := c.limit(id.Kind); lim > 0 {
			n := 0
			for _, o := range out {
				if o.Kind == id.Kind && o.Scope == id.Scope {
					n++
				}
			}
			if n >= lim {
				continue
			}
		}
		if out == nil {
			out = make([]identity.Identifier, 0, len(ids))
		}
		out = append(out, id)
	}
	slices.SortFunc(out, compareIdentifier)
	return out
}

// status returns the status of identifier id in a record whose linking
// identifiers are link.
func (c *config) status(id identity.Identifier, link []identity.Identifier, hub func(identity.Identifier) bool) Status {
	switch {
	case hub(id):
		return StatusHub
	case c.blocked[id]:
		return StatusBlocked
	}
	if _, ok := slices.BinarySearchFunc(link, id, compareIdentifier); ok {
		return StatusLinking
	}
	return StatusExcluded
}

// hubWitness collects what the records carrying one identifier say about
// who they are: their descriptions (name, gender, birthday) and member
// numbers, which is all the hub rule needs to know.
type hubWitness struct {
	people  peopleCounter
	members []identity.Identifier
}

// add adds what a record with the person and identifiers says, keeping at
// most threshold+1 member numbers.
func (w *hubWitness) add(threshold int, p match.Person, ids []identity.Identifier) {
	w.people.add(p)
	for _, m := range ids {
		if m.Kind == identity.KindMember && len(w.members) <= threshold && !slices.Contains(w.members, m) {
			w.members = append(w.members, m)
		}
	}
}

// overHub reports whether the records of w show more people, or more
// member numbers, than the threshold: people, not spellings, since one
// person written 王芳, 王 芳 and Wang Fang is one person.
func (c *config) overHub(w *hubWitness) bool {
	return c.hubThreshold > 0 && (len(w.members) > c.hubThreshold || w.people.over(c.hubThreshold))
}

// detectHubs returns sticky plus every identifier of a hub kind whose
// carriers among nodes show more people or member numbers than the
// threshold, and the latter alone.
func (c *config) detectHubs(nodes []node, sticky map[identity.Identifier]bool) (map[identity.Identifier]bool, []identity.Identifier) {
	hubs := make(map[identity.Identifier]bool, len(sticky))
	for id := range sticky {
		hubs[id] = true
	}
	if c.hubThreshold == 0 {
		return hubs, nil
	}
	witnesses := map[identity.Identifier]*hubWitness{}
	for i := range nodes {
		n := &nodes[i]
		for _, id := range n.ids {
			if !c.hubKinds[id.Kind] || c.blocked[id] || hubs[id] {
				continue
			}
			w := witnesses[id]
			if w == nil {
				w = &hubWitness{}
				witnesses[id] = w
			}
			w.add(c.hubThreshold, personOf(n.rec), n.ids)
		}
	}
	var found []identity.Identifier
	for id, w := range witnesses {
		if c.overHub(w) {
			found = append(found, id)
		}
	}
	slices.SortFunc(found, compareIdentifier)
	for _, id := range found {
		hubs[id] = true
	}
	return hubs, found
}

// component is the state of one union-find root.
type component struct {
	members []int
	ids     map[identity.Identifier]bool
	count   map[kindScope]int
	first   int
}

type unionFind struct {
	c        *config
	parent   []int
	comps    []*component
	partners map[int][]int // do-not-link partners by node
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

// check reports whether components a and b may join, and if not, which
// rule refuses it.
func (u *unionFind) check(a, b int) (Rule, identity.Kind, bool) {
	ca, cb := u.comps[a], u.comps[b]
	small, other := ca, b
	if len(cb.members) < len(ca.members) {
		small, other = cb, a
	}
	for _, m := range small.members {
		for _, p := range u.partners[m] {
			if u.find(p) == other {
				return RuleDoNotLink, 0, false
			}
		}
	}
	sid, lid := ca, cb
	if len(cb.ids) < len(ca.ids) {
		sid, lid = cb, ca
	}
	var extra map[kindScope]int
	for id := range sid.ids {
		if lid.ids[id] || u.c.limit(id.Kind) == 0 {
			continue
		}
		if extra == nil {
			extra = map[kindScope]int{}
		}
		extra[kindScope{id.Kind, id.Scope}]++
	}
	var worst *kindScope
	for ks, n := range extra {
		if lid.count[ks]+n > u.c.limit(ks.kind) {
			if worst == nil || compareKindScope(ks, *worst) < 0 {
				k := ks
				worst = &k
			}
		}
	}
	if worst != nil {
		return RuleLimit, worst.kind, false
	}
	return "", 0, true
}

func (u *unionFind) union(a, b int) {
	ca, cb := u.comps[a], u.comps[b]
	if len(ca.members) < len(cb.members) {
		a, b, ca, cb = b, a, cb, ca
	}
	u.parent[b] = a
	ca.members = append(ca.members, cb.members...)
	for id := range cb.ids {
		if !ca.ids[id] {
			ca.ids[id] = true
			ca.count[kindScope{id.Kind, id.Scope}]++
		}
	}
	ca.first = min(ca.first, cb.first)
	u.comps[b] = nil
}

// holderKey is an identifier as the union-find links through it: a
// recycled phone links only the records of one epoch.
type holderKey struct {
	id    identity.Identifier
	epoch int
}

// resolve partitions the records of nodes into profiles; it sorts nodes.
// The records must have distinct keys. sticky are the hubs flagged before;
// pairs the do-not-link constraints (pairs naming records outside the set
// are ignored).
//
// Records join in two passes over the canonical order: first through
// every linking identifier but the receivers of orders, then, once the
// buyer accounts are whole, through the receivers of the orders that are
// not gifts.
func (c *config) resolve(nodes []node, sticky map[identity.Identifier]bool, pairs []Pair) *resolution {
	slices.SortFunc(nodes, func(a, b node) int { return compareNodes(&a, &b) })
	res := &resolution{nodes: nodes}
	res.hubs, res.newHubs = c.detectHubs(nodes, sticky)
	isHub := func(id identity.Identifier) bool { return res.hubs[id] }

	index := make(map[identity.RecordKey]int, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		n.link = c.linkingIdentifiers(n.ids, isHub)
		n.recv = nil
		for _, id := range n.rec.Receivers {
			if slices.Contains(n.link, id) && !slices.Contains(n.recv, id) {
				n.recv = append(n.recv, id)
			}
		}
		index[n.key] = i
	}
	res.recycled = c.recycledEpochs(nodes)
	u := &unionFind{c: c, parent: make([]int, len(nodes)), comps: make([]*component, len(nodes)), partners: map[int][]int{}}
	for i := range u.parent {
		u.parent[i] = i // nodes not yet visited are their own roots
	}
	for _, p := range pairs {
		a, okA := index[p.A]
		b, okB := index[p.B]
		if okA && okB && a != b {
			u.partners[a] = append(u.partners[a], b)
			u.partners[b] = append(u.partners[b], a)
		}
	}

	// holders maps an identifier to one node per component holding it:
	// the first node, in canonical order, of that component to carry it.
	holders := map[holderKey][]int{}
	join := func(i int, x identity.Identifier) {
		hk := holderKey{id: x}
		if ep, ok := res.recycled[x]; ok {
			hk.epoch = ep[i]
		}
		hs := holders[hk]
		// One holder per component, earliest first; try the components
		// in the order of their first record.
		var reps []int
		for _, h := range hs {
			if !slices.ContainsFunc(reps, func(r int) bool { return u.find(r) == u.find(h) }) {
				reps = append(reps, h)
			}
		}
		slices.SortStableFunc(reps, func(a, b int) int { return u.comps[u.find(a)].first - u.comps[u.find(b)].first })
		for _, h := range reps {
			ri, rh := u.find(i), u.find(h)
			if ri == rh {
				continue
			}
			if rule, lim, ok := u.check(ri, rh); ok {
				u.union(ri, rh)
			} else {
				res.refusals = append(res.refusals, refusal{x: i, y: h, rule: rule, limit: lim, via: x})
			}
		}
		if !slices.ContainsFunc(reps, func(r int) bool { return u.find(r) == u.find(i) }) {
			reps = append(reps, i)
		}
		holders[hk] = reps
	}
	for i := range nodes {
		n := &nodes[i]
		comp := &component{members: []int{i}, ids: map[identity.Identifier]bool{}, count: map[kindScope]int{}, first: i}
		for _, id := range n.link {
			if !slices.Contains(n.recv, id) {
				comp.ids[id] = true
				comp.count[kindScope{id.Kind, id.Scope}]++
			}
		}
		u.comps[i] = comp
		for _, x := range n.link {
			if !slices.Contains(n.recv, x) {
				join(i, x)
			}
		}
	}
	res.gifts = c.gifts(nodes, u)
	for i := range nodes {
		n := &nodes[i]
		if len(n.recv) == 0 || res.gifts[i] {
			continue
		}
		for _, x := range n.recv {
			// The receiver joins the buyer's component first, within
			// its kind's limit.
			comp := u.comps[u.find(i)]
			if !comp.ids[x] {
				ks := kindScope{x.Kind, x.Scope}
				if lim := c.limit(x.Kind); lim > 0 && comp.count[ks]+1 > lim {
					n.link = slices.DeleteFunc(n.link, func(id identity.Identifier) bool { return id == x })
					continue
				}
				comp.ids[x] = true
				comp.count[ks]++
			}
			join(i, x)
		}
	}
	res.receiverRefusals(holders)
	res.recycledRefusals()

	roots := map[int]int{}
	for i := range nodes {
		r := u.find(i)
		p, ok := roots[r]
		if !ok {
			p = len(res.parts)
			roots[r] = p
			res.parts = append(res.parts, nil)
		}
		res.parts[p] = append(res.parts[p], i)
	}
	// Nodes were visited in ascending order, so parts are ordered by their
	// first node and their members ascend.
	res.partOf = make([]int, len(nodes))
	for p, part := range res.parts {
		for _, i := range part {
			res.partOf[i] = p
		}
	}
	return res
}

// receiverRefusals records, for each gift, that its order and the first
// record linking through the receiver's identifier were kept apart.
func (res *resolution) receiverRefusals(holders map[holderKey][]int) {
	for i := range res.nodes {
		if !res.gifts[i] {
			continue
		}
		for _, x := range res.nodes[i].recv {
			hk := holderKey{id: x}
			if ep, ok := res.recycled[x]; ok {
				hk.epoch = ep[i]
			}
			if hs := holders[hk]; len(hs) > 0 {
				res.refusals = append(res.refusals, refusal{x: i, y: hs[0], rule: RuleReceiver, via: x})
			}
		}
	}
}

// recycledRefusals records, for each recycled phone, that the first record
// of each epoch and the last of the one before were kept apart.
func (res *resolution) recycledRefusals() {
	for id, ep := range res.recycled {
		last := map[int]int{}  // epoch -> its last node
		first := map[int]int{} // epoch -> its first node
		for i, e := range ep {
			if e < 0 {
				continue
			}
			if _, ok := first[e]; !ok {
				first[e] = i
			}
			last[e] = i
		}
		for e := 1; e <= slices.Max(ep); e++ {
			f, ok1 := first[e]
			l, ok2 := last[e-1]
			if ok1 && ok2 {
				res.refusals = append(res.refusals, refusal{x: f, y: l, rule: RuleRecycled, via: id})
			}
		}
	}
}

// separations returns the refusals as Separations between records of
// different parts, without duplicates, in order.
func (res *resolution) separations() []Separation {
	var out []Separation
	for _, r := range res.refusals {
		if (r.rule == RuleReceiver || r.rule == RuleRecycled) && res.partOf[r.x] == res.partOf[r.y] {
			continue // joined through something else: nothing was kept apart
		}
		a, b := res.nodes[r.x].key, res.nodes[r.y].key
		if compareKey(a, b) > 0 {
			a, b = b, a
		}
		out = append(out, Separation{A: a, B: b, Rule: r.rule, Limit: r.limit, Via: r.via.Kind})
	}
	slices.SortFunc(out, compareSeparation)
	return slices.Compact(out)
}

func compareSeparation(a, b Separation) int {
	if c := compareKey(a.A, b.A); c != 0 {
		return c
	}
	if c := compareKey(a.B, b.B); c != 0 {
		return c
	}
	if c := compareStr(string(a.Rule), string(b.Rule)); c != 0 {
		return c
	}
	if a.Limit != b.Limit {
		return int(a.Limit) - int(b.Limit)
	}
	return int(a.Via) - int(b.Via)
}

func comparePair(a, b Pair) int {
	if c := compareKey(a.A, b.A); c != 0 {
		return c
	}
	return compareKey(a.B, b.B)
}

func newPair(a, b identity.RecordKey) Pair {
	if compareKey(a, b) > 0 {
		a, b = b, a
	}
	return Pair{A: a, B: b}
}
