package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
)

// TestLayoutGraph checks that a kind shared by n records draws n-1 lines
// (a spanning tree), not n(n-1)/2.
func TestLayoutGraph(t *testing.T) {
	g := &scv.Graph{Records: []string{"pos/pos/1", "pos/pos/2", "pos/pos/3", "pos/pos/4", "wechat/wechat/o1"}}
	for i, a := range g.Records[:4] {
		for _, b := range g.Records[i+1 : 4] {
			g.Edges = append(g.Edges, scv.GraphEdge{A: a, B: b, Kind: "phone"})
		}
	}
	g.Edges = append(g.Edges, scv.GraphEdge{A: "pos/pos/1", B: "wechat/wechat/o1", Kind: "unionid"})
	svg := layoutGraph(g)
	got := map[string]int{}
	for _, e := range svg.Edges {
		got[e.Kind]++
	}
	if diff := cmp.Diff(map[string]int{"phone": 3, "unionid": 1}, got); diff != "" {
		t.Errorf("lines by kind (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"phone", "unionid"}, svg.Kinds); diff != "" {
		t.Errorf("legend (-want +got):\n%s", diff)
	}
	if len(svg.Nodes) != 5 {
		t.Errorf("%d nodes, want 5", len(svg.Nodes))
	}
}
