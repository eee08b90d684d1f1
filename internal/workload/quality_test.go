package workload_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/internal/workload"
)

// TestEvaluate checks Evaluate on a partition small enough to count by
// hand: person A's four records split over clusters X and Y, X also
// holding B's record, and B and C sharing a placeholder h that links no
// one correctly.
//
//	true pairs: A 4C2 = 6; predicted: X 3C2 + Y 1 = 4; correct: X{a1,a2} 1 + Y 1 = 2
//	ceiling: p1 and u1 are A's alone, so a1-a4 are one component: 6 pairs
//	gift (a1): false a1-b1; missed a1-a3, a1-a4, both in the ceiling
//	cashier (b1): false b1-a1, b1-a2; nothing missed
func TestEvaluate(t *testing.T) {
	items := []workload.Item{
		{Person: "A", Cluster: "X", Identifiers: []string{"p1"}, Traps: workload.TrapGift},
		{Person: "A", Cluster: "X", Identifiers: []string{"p1"}},
		{Person: "A", Cluster: "Y", Identifiers: []string{"u1"}},
		{Person: "B", Cluster: "X", Identifiers: []string{"h"}, Traps: workload.TrapCashier},
		{Person: "C", Cluster: "", Identifiers: []string{"h"}},
		{Person: "A", Cluster: "Y", Identifiers: []string{"u1", "p1"}},
	}
	want := workload.Quality{
		Records: 6, People: 3, Clusters: 3,
		TruePairs: 6, PredictedPairs: 4, CorrectPairs: 2, CeilingPairs: 6,
		Precision: 0.5, Recall: 1.0 / 3, F1: 0.4, Ceiling: 1, RecallOfCeiling: 1.0 / 3,
		CeilingMissed: 4, OraclePairs: 6, Oracle: 1,
		ByTrap: map[workload.Trap]workload.TrapQuality{
			workload.TrapGift:    {Records: 1, FalsePairs: 1, MissedPairs: 2, CeilingMissed: 2},
			workload.TrapCashier: {Records: 1, FalsePairs: 2},
		},
	}
	got := workload.Evaluate(items)
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 })); diff != "" {
		t.Errorf("Evaluate (-want +got):\n%s", diff)
	}
}

// TestEvaluateCeilingIgnoresSharedIdentifiers checks that an identifier
// of two people adds nothing to the ceiling but links each person's
// records in the oracle's, while a perfect partition has precision and
// recall 1.
func TestEvaluateCeilingIgnoresSharedIdentifiers(t *testing.T) {
	items := []workload.Item{
		{Person: "A", Cluster: "1", Identifiers: []string{"shared"}},
		{Person: "A", Cluster: "1", Identifiers: []string{"shared"}},
		{Person: "B", Cluster: "2", Identifiers: []string{"shared"}},
		{Person: "B", Cluster: "2", Identifiers: []string{"shared"}},
		{Person: "B", Cluster: "2"},
	}
	got := workload.Evaluate(items)
	// True pairs: A 1 + B 3 = 4; the oracle links A's two and B's first two.
	if got.Precision != 1 || got.Recall != 1 || got.CeilingPairs != 0 || got.Ceiling != 0 || got.OraclePairs != 2 || got.Oracle != 0.5 {
		t.Errorf("precision %v recall %v ceiling pairs %d ceiling %v oracle pairs %d oracle %v, want 1, 1, 0, 0, 2, 0.5",
			got.Precision, got.Recall, got.CeilingPairs, got.Ceiling, got.OraclePairs, got.Oracle)
	}
}
