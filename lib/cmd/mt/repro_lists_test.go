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
		{cfg.Methods, "ours,ours@wrn-28-2", nil, `"ours@wrn-28-2" names a row given before`},
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
		{"2,2.0", nil, false},
	} {
		got, err := parsePercents(tc.list)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v (ok %t)", tc.list, got, err, tc.want, tc.ok)
		}
	}
}

// TestParseLabels checks --labels of tables 2 to 4 and 6.
func TestParseLabels(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []int
	}{
		{"40,250", []int{40, 250}},
		{" 10 ,4000", []int{10, 4000}},
		{"0", nil},
		{"-5", nil},
		{"10,10", nil},
		{"10,", nil},
		{"1e3", nil},
		{"", nil},
	} {
		got, err := parseLabels(tc.list)
		if (err == nil) != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.list, got, err, tc.want)
		}
	}
}

// TestParseTable2Rows checks --rows of tables 2 and 5.
func TestParseTable2Rows(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []repro.Table2Row
	}{
		{"instance/spectral,none/none", []repro.Table2Row{{Metric: "instance", Propagation: "spectral"}, {Metric: "none", Propagation: "none"}}},
		{" color / nn ", []repro.Table2Row{{Metric: "color", Propagation: "nn"}}},
		{"instance", nil},
		{"/spectral", nil},
		{"instance/", nil},
		{"a/b/c", nil},
		{"color/nn,color/nn", nil},
		{"", nil},
	} {
		got, err := parseTable2Rows(tc.list)
		if (err == nil) != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.list, got, err, tc.want)
		}
	}
}

// items is the number of comma-separated items in a list.
func items(list string) int { return strings.Count(list, ",") + 1 }

func FuzzParsePercents(f *testing.F) {
	for _, s := range []string{"1,2,4", " 0.5, 10 ", "0", "101", "1,x", "NaN", "1e2", "1,1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := parsePercents(list)
		if err != nil {
			return
		}
		if len(got) != items(list) {
			t.Fatalf("%q: %d shares from %d items", list, len(got), items(list))
		}
		for i, p := range got {
			if !(p > 0 && p <= 100) || slices.Contains(got[:i], p) {
				t.Fatalf("%q: accepted %v", list, got)
			}
		}
	})
}

func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{"40,250", " 10 ,4000", "0", "-5", "10,10", "99999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := parseLabels(list)
		if err != nil {
			return
		}
		if len(got) != items(list) {
			t.Fatalf("%q: %d counts from %d items", list, len(got), items(list))
		}
		for i, n := range got {
			if n <= 0 || slices.Contains(got[:i], n) {
				t.Fatalf("%q: accepted %v", list, got)
			}
		}
	})
}

func FuzzParseTable2Rows(f *testing.F) {
	for _, s := range []string{"instance/spectral,none/none", " color / nn ", "a/b/c", "/", ",", "x/y,x/y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := parseTable2Rows(list)
		if err != nil {
			return
		}
		if len(got) != items(list) {
			t.Fatalf("%q: %d rows from %d items", list, len(got), items(list))
		}
		for i, r := range got {
			p := string(r.Propagation)
			if r.Metric == "" || p == "" || strings.TrimSpace(r.Metric) != r.Metric || strings.TrimSpace(p) != p ||
				strings.ContainsAny(r.Metric+p, "/,") || slices.Contains(got[:i], r) {
				t.Fatalf("%q: accepted %+v", list, got)
			}
		}
	})
}

func FuzzPickSSLRows(f *testing.F) {
	cfg, err := repro.Table3ConfigFor(repro.Paper)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"ours@wrn-28-10", "mean-teacher", "vat+ours,ours", "ours,ours@wrn-28-2", "@", "+ours", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := pickSSLRows(cfg.Methods, list)
		if err != nil {
			return
		}
		if len(got) < items(list) {
			t.Fatalf("%q: %d rows from %d items", list, len(got), items(list))
		}
		for i, r := range got {
			if !slices.Contains(cfg.Methods, r) || slices.Contains(got[:i], r) {
				t.Fatalf("%q: accepted %+v", list, got)
			}
		}
	})
}
