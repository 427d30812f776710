package repro

import (
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// figure3Result is a Table 1 result with hand-made curves: every cell at 10 labels falls from
// 1 to 0.5, except instance + spectral, which is flat at 0.8; there is no cell at 20 labels.
func figure3Result() *Table1Result {
	res := &Table1Result{Config: Table1Config{Scale: pipeline.Smoke, Labels: []int{10}}}
	for _, m := range Table1Metrics {
		for _, method := range Table1Propagations {
			curve := make([]float64, 101)
			for p := range curve {
				curve[p] = 1 - 0.5*float64(p)/100
				if m == metric.MethodInstance && method == propagate.Spectral {
					curve[p] = 0.8
				}
			}
			res.Cells = append(res.Cells, Table1Cell{Metric: m, Propagation: method, Labels: 10, Accumulated: curve, MAP: 0.75})
		}
	}
	return res
}

func TestFigure3(t *testing.T) {
	res := figure3Result()
	p, err := Figure3(res, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Title.Text, "10 labels") {
		t.Errorf("title %q does not name the label count", p.Title.Text)
	}
	if _, err := Figure3(res, 20); err == nil {
		t.Error("Figure3 at a label count Table 1 lacks: no error")
	}
}

func TestFigure3Table(t *testing.T) {
	header, rows := Figure3Table(figure3Result(), 10)
	if len(rows) != 6 || len(rows[0]) != len(header) {
		t.Fatalf("%d rows of %d columns, header %v", len(rows), len(rows[0]), header)
	}
	// Bootstrapping, nearest neighbour: 95 % at the top 10 %, 75 % at 50 %, 50 % at all.
	if got := strings.Join(rows[0][2:], " "); got != "95.00 75.00 50.00 75.00" {
		t.Errorf("first row %q", got)
	}
}

func TestFigure3Findings(t *testing.T) {
	got := Figure3Findings(figure3Result(), 10)
	for _, want := range []string{"in 5 of 6 curves", "by 37.5 points", "1 curve(s) here do not"} {
		if !strings.Contains(got, want) {
			t.Errorf("findings %q lack %q", got, want)
		}
	}
}
