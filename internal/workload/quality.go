package workload

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/scv-go/scv/identity"
)

// Resolution quality: pairwise precision and recall of a partition of
// records into profiles against the truth, and the ceiling that correct
// identifier links allow.

// Item is one record of a partition under evaluation.
type Item struct {
	// Person is who the record is, by the ground truth.
	Person string
	// Cluster is the profile the resolver put the record in; "" means a
	// cluster of its own (a quarantined record).
	Cluster string
	// Identifiers are the identifiers the record carries (any strings
	// that are equal for equal identifiers, such as
	// identity.Identifier.String), for the ceiling.
	Identifiers []string
	// Traps are the record's traps.
	Traps Trap
}

// Quality is what [Evaluate] measured. Pairs are unordered pairs of
// records: true pairs are of one person, predicted pairs of one cluster,
// correct pairs both.
type Quality struct {
	Records, People, Clusters                             int
	TruePairs, PredictedPairs, CorrectPairs, CeilingPairs int64
	// Precision is CorrectPairs / PredictedPairs (1 with no predicted
	// pair), Recall CorrectPairs / TruePairs, F1 their harmonic mean.
	Precision, Recall, F1 float64
	// Ceiling is CeilingPairs / TruePairs: the recall of linking every
	// two records that share an identifier whose records are all one
	// person, transitively. An identifier carried by records of two or
	// more people links nobody correctly, so it adds nothing.
	Ceiling float64
	// RecallOfCeiling is Recall / Ceiling.
	RecallOfCeiling float64
	// OraclePairs are the true pairs linked through identifiers when each
	// identifier links only the records of one person among those that
	// carry it (an oracle that tells a recycled number's holders, or a
	// gift receiver's records from the buyer's, apart), transitively;
	// Oracle is OraclePairs / TruePairs, at least Ceiling. A resolution
	// that separates people better than by discarding shared
	// identifiers may pass Ceiling, never Oracle.
	OraclePairs int64
	Oracle      float64
	// CeilingMissed are the pairs the ceiling links that the partition
	// does not.
	CeilingMissed int64
	// ByTrap attributes the false and missed pairs to traps: a pair is
	// attributed to a trap when either record belongs to it.
	ByTrap map[Trap]TrapQuality
}

// TrapQuality is what one trap cost.
type TrapQuality struct {
	Records int
	// FalsePairs are predicted pairs of two people, MissedPairs true
	// pairs in two clusters, CeilingMissed those of them the ceiling
	// links.
	FalsePairs, MissedPairs, CeilingMissed int64
}

func pairCount(n int) int64 { return int64(n) * int64(n-1) / 2 }

// Evaluate measures a partition. It does not modify items.
func Evaluate(items []Item) Quality {
	q := Quality{Records: len(items), ByTrap: map[Trap]TrapQuality{}}
	cluster := make([]string, len(items))
	for i, it := range items {
		cluster[i] = it.Cluster
		if cluster[i] == "" {
			cluster[i] = fmt.Sprintf("\x00%d", i) // alone
		}
	}
	component := ceilingComponents(items, false)
	for _, n := range componentSizes(ceilingComponents(items, true)) {
		q.OraclePairs += pairCount(n)
	}

	all := make([]int, len(items))
	for i := range all {
		all[i] = i
	}
	c := countPairs(items, cluster, component, all)
	q.People, q.Clusters = c.people, c.clusters
	q.TruePairs, q.PredictedPairs, q.CorrectPairs, q.CeilingPairs, q.CeilingMissed = c.truePairs, c.predicted, c.correct, c.ceiling, c.ceilingMissed
	q.Precision = 1
	if q.PredictedPairs > 0 {
		q.Precision = float64(q.CorrectPairs) / float64(q.PredictedPairs)
	}
	if q.TruePairs > 0 {
		q.Recall = float64(q.CorrectPairs) / float64(q.TruePairs)
		q.Ceiling = float64(q.CeilingPairs) / float64(q.TruePairs)
		q.Oracle = float64(q.OraclePairs) / float64(q.TruePairs)
	}
	if q.Precision+q.Recall > 0 {
		q.F1 = 2 * q.Precision * q.Recall / (q.Precision + q.Recall)
	}
	if q.Ceiling > 0 {
		q.RecallOfCeiling = q.Recall / q.Ceiling
	}
	for _, t := range AllTraps {
		var without []int
		n := 0
		for i, it := range items {
			if it.Traps&t == 0 {
				without = append(without, i)
			} else {
				n++
			}
		}
		if n == 0 {
			continue
		}
		w := countPairs(items, cluster, component, without)
		q.ByTrap[t] = TrapQuality{
			Records:       n,
			FalsePairs:    (c.predicted - c.correct) - (w.predicted - w.correct),
			MissedPairs:   (c.truePairs - c.correct) - (w.truePairs - w.correct),
			CeilingMissed: c.ceilingMissed - w.ceilingMissed,
		}
	}
	return q
}

type pairCounts struct {
	people, clusters                                      int
	truePairs, predicted, correct, ceiling, ceilingMissed int64
}

// countPairs counts the pairs among the items of subset.
func countPairs(items []Item, cluster []string, component []int, subset []int) pairCounts {
	var c pairCounts
	byPerson := map[string]int{}
	byCluster := map[string]int{}
	byCell := map[[2]string]int{}
	byComp := map[int]int{}
	byCompCluster := map[[2]int]int{}
	clusterNo := map[string]int{}
	for _, i := range subset {
		byPerson[items[i].Person]++
		byCluster[cluster[i]]++
		byCell[[2]string{cluster[i], items[i].Person}]++
		byComp[component[i]]++
		no, ok := clusterNo[cluster[i]]
		if !ok {
			no = len(clusterNo)
			clusterNo[cluster[i]] = no
		}
		byCompCluster[[2]int{component[i], no}]++
	}
	c.people, c.clusters = len(byPerson), len(byCluster)
	for _, n := range byPerson {
		c.truePairs += pairCount(n)
	}
	for _, n := range byCluster {
		c.predicted += pairCount(n)
	}
	for _, n := range byCell {
		c.correct += pairCount(n)
	}
	for _, n := range byComp {
		c.ceiling += pairCount(n)
	}
	var kept int64
	for _, n := range byCompCluster {
		kept += pairCount(n)
	}
	c.ceilingMissed = c.ceiling - kept
	return c
}

func componentSizes(component []int) map[int]int {
	out := map[int]int{}
	for _, c := range component {
		out[c]++
	}
	return out
}

// ceilingComponents joins the items that share an identifier whose items
// are all one person, transitively, and returns each item's component;
// with oracle, an identifier of several people joins each person's items
// that carry it. Every component is one person's.
func ceilingComponents(items []Item, oracle bool) []int {
	parent := make([]int, len(items))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	type carriers struct {
		first  int
		person string
		mixed  bool
		all    []int
	}
	byID := map[string]*carriers{}
	var order []string
	for i, it := range items {
		for _, id := range it.Identifiers {
			c := byID[id]
			if c == nil {
				c = &carriers{first: i, person: it.Person}
				byID[id] = c
				order = append(order, id)
			}
			if it.Person != c.person {
				c.mixed = true
			}
			if len(c.all) == 0 || c.all[len(c.all)-1] != i {
				c.all = append(c.all, i)
			}
		}
	}
	for _, id := range order {
		c := byID[id]
		if !c.mixed {
			for _, i := range c.all[1:] {
				parent[find(i)] = find(c.first)
			}
			continue
		}
		if !oracle {
			continue
		}
		first := map[string]int{}
		for _, i := range c.all {
			if f, ok := first[items[i].Person]; ok {
				parent[find(i)] = find(f)
			} else {
				first[items[i].Person] = i
			}
		}
	}
	out := make([]int, len(items))
	for i := range out {
		out[i] = find(i)
	}
	return out
}

// Items returns the records of the workload as [Evaluate] takes them,
// one per record key (the lines of one key, versions of one source
// record, are one record), with the identifiers identity.Decode reads
// and the cluster clusterOf gives the key; a quarantined line whose
// record id cannot be read is a record of its own. Every line of a key
// must be the same person's.
func (g *Generator) Items(ctx context.Context, clusterOf func(identity.RecordKey) string) ([]Item, error) {
	index := map[identity.RecordKey]int{}
	var items []Item
	for k, f := range files {
		var truth []Line
		for l := range g.Lines(f) {
			truth = append(truth, l)
		}
		n := 0
		for rec, err := range identity.Decode(g.Open(f), f.Format, f.Options()) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if n == len(truth) {
				return nil, fmt.Errorf("workload: %s has more records than its truth", f.Name)
			}
			l := truth[n]
			n++
			var key identity.RecordKey
			var ids []string
			var re *identity.RecordError
			switch {
			case err == nil:
				key = rec.Key()
				for _, id := range rec.Identifiers {
					ids = append(ids, id.String())
				}
			case errors.As(err, &re):
				key = identity.RecordKey{Channel: re.Channel, Source: re.Source, ID: re.RecordID}
			default:
				return nil, fmt.Errorf("workload: %s: %w", f.Name, err)
			}
			if key.ID == "" {
				key = identity.RecordKey{Channel: "?", Source: f.Name, ID: fmt.Sprint(k, "/", l.Line)}
			}
			i, ok := index[key]
			if !ok {
				i = len(items)
				index[key] = i
				items = append(items, Item{Person: l.Person, Cluster: clusterOf(key)})
			}
			it := &items[i]
			if it.Person != l.Person {
				return nil, fmt.Errorf("workload: record %s of %s line %d is two people in the truth", key.Channel, f.Name, l.Line)
			}
			it.Traps |= l.Traps
			for _, id := range ids {
				if !slices.Contains(it.Identifiers, id) {
					it.Identifiers = append(it.Identifiers, id)
				}
			}
		}
		if n != len(truth) {
			return nil, fmt.Errorf("workload: %s has %d records, its truth %d", f.Name, n, len(truth))
		}
	}
	return items, nil
}
