package server

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/scv-go/scv"
)

// chinaTime is the zone the console shows dates in.
var chinaTime = time.FixedZone("CST", 8*60*60)

func dateText(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(chinaTime).Format("2006-01-02 15:04")
}

// graphSVG is an identity graph laid out on a circle for an inline SVG.
type graphSVG struct {
	Width, Height int
	Nodes         []graphNode
	Edges         []graphEdge
	Kinds         []string // the kinds drawn, for the legend
}

type graphNode struct {
	X, Y    float64
	Label   string // the record key
	Channel string
	LX, LY  float64 // the label's anchor
	Anchor  string  // text-anchor of the label
}

type graphEdge struct {
	X1, Y1, X2, Y2 float64
	Kind           string
}

// layoutGraph places a profile's records on a circle and, for each
// identifier kind, draws a spanning forest of the records that share it:
// one line joins each record to the group it links to, rather than every
// pair (a phone on twelve receipts would draw 66 lines).
func layoutGraph(g *scv.Graph) *graphSVG {
	const w, h, r = 900, 520, 200
	out := &graphSVG{Width: w, Height: h}
	cx, cy := float64(w)/2, float64(h)/2
	pos := map[string]int{}
	n := len(g.Records)
	for i, rec := range g.Records {
		a := 2*math.Pi*float64(i)/float64(max(n, 1)) - math.Pi/2
		x, y := cx+r*math.Cos(a), cy+r*math.Sin(a)
		nd := graphNode{X: x, Y: y, Label: rec, Channel: strings.SplitN(rec, "/", 2)[0],
			LX: cx + (r+18)*math.Cos(a), LY: cy + (r+18)*math.Sin(a) + 4, Anchor: "middle"}
		if n == 1 {
			nd.X, nd.Y, nd.LX, nd.LY = cx, cy, cx, cy+30
		}
		switch {
		case n == 1:
		case math.Cos(a) > 0.3:
			nd.Anchor = "start"
		case math.Cos(a) < -0.3:
			nd.Anchor = "end"
		}
		pos[rec] = i
		out.Nodes = append(out.Nodes, nd)
	}
	parent := map[string][]int{} // per kind, a union-find over the records
	find := func(p []int, i int) int {
		for p[i] != i {
			p[i] = p[p[i]]
			i = p[i]
		}
		return i
	}
	kinds := map[string]bool{}
	for _, e := range g.Edges {
		i, ok1 := pos[e.A]
		j, ok2 := pos[e.B]
		if !ok1 || !ok2 {
			continue
		}
		p := parent[e.Kind]
		if p == nil {
			p = make([]int, n)
			for k := range p {
				p[k] = k
			}
			parent[e.Kind] = p
		}
		ri, rj := find(p, i), find(p, j)
		if ri == rj {
			continue
		}
		p[ri] = rj
		a, b := out.Nodes[i], out.Nodes[j]
		out.Edges = append(out.Edges, graphEdge{X1: a.X, Y1: a.Y, X2: b.X, Y2: b.Y, Kind: e.Kind})
		kinds[e.Kind] = true
	}
	for _, k := range []string{"phone", "unionid", "openid", "weibo_uid", "member", "buyer", "email"} {
		if kinds[k] {
			out.Kinds = append(out.Kinds, k)
		}
	}
	return out
}

// funnelData is the stage funnel: per stage, the profiles in it by churn
// risk, and the conversion from the stage before.
type funnelData struct {
	Stages   []funnelStage
	Risks    []scv.Risk
	Total    int
	Consent  scv.Purpose // the purpose the counts are limited to; "" for all
	Width    int
	Height   int
	MaxCount int
}

type funnelStage struct {
	Stage      scv.Stage
	Count      int
	Reached    int     // profiles in this stage or a later one
	Conversion float64 // Reached / the previous stage's Reached
	HasConv    bool
	ByRisk     map[scv.Risk]int
	Bars       []funnelBar
	Y          int
}

type funnelBar struct {
	X, W  float64
	Y     int
	Risk  scv.Risk
	Count int
}

var funnelStages = []scv.Stage{scv.StagePotential, scv.StageTarget, scv.StageFirstPurchase, scv.StageRepeat, scv.StageLoyal, scv.StageAdvocate}

var funnelRisks = []scv.Risk{scv.RiskActive, scv.RiskAtRisk, scv.RiskLapsed, scv.RiskNone}

// funnel counts the profiles of each stage by churn risk; a token of a
// purpose other than internal counts the consented profiles only. The
// ladder is ordered, so the people who reached a stage are those in it
// or in a later one, and the conversion into a stage is its reach over
// the reach of the stage before.
func (s *Server) funnel(r *http.Request, tok scv.Token) (*funnelData, error) {
	fd := &funnelData{Risks: funnelRisks, Width: 760}
	f := scv.Filter{}
	if tok.Purpose != scv.PurposeInternal {
		f.Consent, fd.Consent = tok.Purpose, tok.Purpose
	}
	for _, st := range funnelStages {
		fs := funnelStage{Stage: st, ByRisk: map[scv.Risk]int{}}
		for p, err := range s.db.ByStage(r.Context(), st, f) {
			if errors.Is(err, scv.ErrDamaged) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if !allowed(tok, p) {
				continue
			}
			fs.Count++
			fs.ByRisk[p.Risk]++
		}
		fd.Total += fs.Count
		fd.MaxCount = max(fd.MaxCount, fs.Count)
		fd.Stages = append(fd.Stages, fs)
	}
	reached := 0
	for i := len(fd.Stages) - 1; i >= 0; i-- {
		reached += fd.Stages[i].Count
		fd.Stages[i].Reached = reached
	}
	const left, barMax, rowH = 130.0, 430.0, 44
	for i := range fd.Stages {
		st := &fd.Stages[i]
		if i > 0 && fd.Stages[i-1].Reached > 0 {
			st.Conversion, st.HasConv = float64(st.Reached)/float64(fd.Stages[i-1].Reached), true
		}
		st.Y = 20 + i*rowH
		x := left
		for _, risk := range funnelRisks {
			n := st.ByRisk[risk]
			if n == 0 || fd.MaxCount == 0 {
				continue
			}
			w := barMax * float64(n) / float64(fd.MaxCount)
			st.Bars = append(st.Bars, funnelBar{X: x, W: w, Y: st.Y, Risk: risk, Count: n})
			x += w
		}
	}
	fd.Height = 40 + len(fd.Stages)*rowH
	return fd, nil
}
