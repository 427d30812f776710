package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/repro"
)

// TestPickSSLRows checks --rows of tables 3 and 4 against Table 3's paper rows.
func TestPickSSLRows(t *testing.T) {
	cfg, err := repro.Table3ConfigFor(repro.Paper)
	if err != nil {
		t.Fatal(err)
	}
	t4, err := repro.Table4ConfigFor(repro.Paper)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		all  []repro.SSLRow
		list string
		want []repro.SSLRow
		err  string
	}{
		{cfg.Methods, "ours@wrn-28-10", []repro.SSLRow{cfg.Methods[3]}, ""},
		{cfg.Methods, "mean-teacher", []repro.SSLRow{cfg.Methods[0], cfg.Methods[2]}, ""},
		{cfg.Methods, "ours@wrn-28-2, mean-teacher@wrn-28-10", []repro.SSLRow{cfg.Methods[1], cfg.Methods[2]}, ""},
		{t4.Methods, "vat+ours,ours", []repro.SSLRow{{Method: "vat", Ours: true}, {Method: "ours"}}, ""},
		{cfg.Methods, "vat", nil, `"vat" names no row`},
		{cfg.Methods, "ours@resnet-50", nil, "names no row"},
	} {
		got, err := pickSSLRows(tc.all, tc.list)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.list, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %+v, %v; want %+v", tc.list, got, err, tc.want)
		}
	}
}

// TestParsePercents checks --percents of Table 5.
func TestParsePercents(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []float64
		ok   bool
	}{
		{"1,2,4", []float64{1, 2, 4}, true},
		{" 0.5, 10 ", []float64{0.5, 10}, true},
		{"0", nil, false},
		{"101", nil, false},
		{"1,x", nil, false},
	} {
		got, err := parsePercents(tc.list)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v (ok %t)", tc.list, got, err, tc.want, tc.ok)
		}
	}
}
