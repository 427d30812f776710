package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/metric-transfer/mtlp/lib/repro"
)

// The comma-separated lists of mt repro's flags. Each parser refuses an item given twice,
// which would only compute a cell again.

// pickSSLRows keeps the rows of tables 3 and 4 that --rows names: comma-separated
// method[+ours][@network], e.g. ours@wrn-28-10,mean-teacher+ours, where the network is the
// paper's (Table 3's WRN-28-2 or WRN-28-10).
func pickSSLRows(all []repro.SSLRow, list string) ([]repro.SSLRow, error) {
	var out []repro.SSLRow
	for _, s := range strings.Split(list, ",") {
		spec, net, withNet := strings.Cut(strings.TrimSpace(s), "@")
		method, ours := strings.CutSuffix(spec, "+ours")
		n := len(out)
		for _, row := range all {
			if row.Method == method && row.Ours == ours && (!withNet || net == row.PaperNet || net == row.Net) {
				if slices.Contains(out, row) {
					return nil, fmt.Errorf("--rows: %q names a row given before", s)
				}
				out = append(out, row)
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("--rows: %q names no row of this table (method[+ours][@network], e.g. ours@wrn-28-10 or vat+ours)", s)
		}
	}
	return out, nil
}

// parseTable2Rows reads --rows of tables 2 and 5: comma-separated metric/propagation, e.g.
// instance/spectral,none/none. Whether a row is one of the table's is checked by repro.
func parseTable2Rows(list string) ([]repro.Table2Row, error) {
	var out []repro.Table2Row
	for _, s := range strings.Split(list, ",") {
		m, p, ok := strings.Cut(s, "/")
		m, p = strings.TrimSpace(m), strings.TrimSpace(p)
		if !ok || m == "" || p == "" || strings.Contains(p, "/") {
			return nil, fmt.Errorf("--rows: %q is not metric/propagation (e.g. instance/spectral)", s)
		}
		row := repro.Table2Row{Metric: m, Propagation: propagate.Method(p)}
		if slices.Contains(out, row) {
			return nil, fmt.Errorf("--rows: %q is given twice", s)
		}
		out = append(out, row)
	}
	return out, nil
}

// parsePercents reads --percents: comma-separated distinct shares in (0, 100].
func parsePercents(list string) ([]float64, error) {
	var out []float64
	for _, s := range strings.Split(list, ",") {
		p, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(p > 0 && p <= 100) {
			return nil, fmt.Errorf("--percents: %q is not a share in (0, 100]", s)
		}
		if slices.Contains(out, p) {
			return nil, fmt.Errorf("--percents: %q is given twice", s)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseLabels reads --labels: comma-separated distinct positive label counts.
func parseLabels(list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("--labels: %q is not a positive label count", s)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("--labels: %q is given twice", s)
		}
		out = append(out, n)
	}
	return out, nil
}
