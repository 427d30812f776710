package pipeline

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Row is a row of a transfer table (Tables 2, 5 and 6): a metric pretraining (NoMetric for
// Scratch) and its transfer.
type Row struct {
	Metric   string   `json:"metric"`
	Transfer Transfer `json:"transfer"`
}

// UnmarshalJSON reads a row, also as results written before rows named their transfer wrote it.
func (r *Row) UnmarshalJSON(b []byte) error {
	var v struct {
		Metric      string
		Transfer    Transfer
		Propagation string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Row{v.Metric, cmp.Or(v.Transfer, LegacyTransfer(v.Metric, v.Propagation))}
	return nil
}

// ParseRows reads rows from a command line: comma-separated metric/transfer, e.g.
// instance/spectral,instance/finetune,scratch, where the transfer is finetune, nn or spectral
// and scratch stands alone (none/none and metric/none, the names of earlier runs, are read as
// scratch and finetune). A row given twice is refused; whether a row is one of a table's is
// CheckRows's to say.
func ParseRows(list string) ([]Row, error) {
	var out []Row
	for _, s := range strings.Split(list, ",") {
		m, t, ok := strings.Cut(s, "/")
		m, t = strings.TrimSpace(m), strings.TrimSpace(t)
		row := Row{Metric: m, Transfer: LegacyTransfer(m, t)}
		switch {
		case !ok && m == string(Scratch):
			row = Row{NoMetric, Scratch}
		case !ok || m == "" || t == "" || strings.Contains(t, "/"):
			return nil, fmt.Errorf("--rows: %q is not metric/transfer (e.g. instance/spectral, instance/finetune) or scratch", s)
		}
		if slices.Contains(out, row) {
			return nil, fmt.Errorf("--rows: %q is given twice", s)
		}
		out = append(out, row)
	}
	return out, nil
}

// CheckRows rejects, before any data is read, a grid of the table what that cannot run: no
// label counts or no rows, a row not among the table's known rows, or a row other than
// Scratch whose metric has no pretraining in metrics (a table's Metrics, set by config, its
// ConfigFor function).
func CheckRows[P any](what, config string, rows, known []Row, labels []int, metrics map[string]P) error {
	if len(labels) == 0 || len(rows) == 0 {
		return fmt.Errorf("%s: %s needs label counts and rows", what, config)
	}
	for _, row := range rows {
		if !slices.Contains(known, row) {
			return fmt.Errorf("%s: unknown row %s/%s (want one of %v)", what, row.Metric, row.Transfer, known)
		}
		if _, ok := metrics[row.Metric]; !ok && row.Transfer != Scratch {
			return fmt.Errorf("%s: %s.Metrics has no %q pretraining; start from %sFor", what, config, row.Metric, config)
		}
	}
	return nil
}

// GridShare is BudgetShare for the next cell of the grid rows × labels label counts, in Grid's
// order, when done cells are done and elapsed seconds spent of seconds.
func GridShare(rows []Row, labels int, seconds float64, done int, elapsed float64) float64 {
	cells := len(rows) * labels
	props := 0 // propagations still to run after the next cell's
	for i := done + 1; i < cells; i++ {
		if rows[i%len(rows)].Transfer.Propagates() {
			props++
		}
	}
	return BudgetShare(seconds, elapsed, cells-done, props)
}
