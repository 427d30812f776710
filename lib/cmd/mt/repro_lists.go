package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The comma-separated lists of mt repro's flags. Each parser refuses an item given twice,
// which would only compute a cell again.

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
