package repro

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// TestFigure4 draws the published paper-scale run beside the paper's methods and checks the
// table of the figure's numbers cell by cell against the JSON and the paper's tables.
func TestFigure4(t *testing.T) {
	r, err := pipeline.ReadResult[Table2Result](filepath.Join("..", "..", "figures", "table2-paper-xla-h100.json"))
	if err != nil {
		t.Fatal(err)
	}
	ours := []Figure4Ours{{Name: "ours, H100", Result: r}}
	if _, err := Figure4(ours); err != nil {
		t.Fatal(err)
	}
	header, rows := Figure4Table(ours)
	if len(rows) != len(Figure4Paper)+1 || len(header) != 2+len(Table1PaperLabels) {
		t.Fatalf("%d rows of %d columns", len(rows), len(header))
	}
	col := func(n int) int {
		for i, h := range header {
			if h == fmt.Sprint(n) {
				return i
			}
		}
		t.Fatalf("no column for %d labels", n)
		return 0
	}
	for _, c := range []struct {
		row, labels int
		want        string
	}{
		{1, 4000, "84.38"}, // Mean Teacher, Table 3
		{2, 250, "47.07"},  // Π model, Table 4
		{2, 100, "—"},      // not reported
		{len(rows) - 1, 4000, "58.10"},
		{len(rows) - 1, 50, "—"},
	} {
		if got := rows[c.row][col(c.labels)]; got != c.want {
			t.Errorf("%s at %d labels: %s, want %s", rows[c.row][0], c.labels, got, c.want)
		}
	}
}
