package repro

import (
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

// TestPickSSLRows checks --rows of tables 3 and 4 against Table 3's paper rows.
func TestPickSSLRows(t *testing.T) {
	cfg, err := Table3ConfigFor(pipeline.Paper)
	if err != nil {
		t.Fatal(err)
	}
	t4, err := Table4ConfigFor(pipeline.Paper)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		all  []SSLRow
		list string
		want []SSLRow
		err  string
	}{
		{cfg.Methods, "ours@wrn-28-10", []SSLRow{cfg.Methods[3]}, ""},
		{cfg.Methods, "mean-teacher", []SSLRow{cfg.Methods[0], cfg.Methods[2]}, ""},
		{cfg.Methods, "ours@wrn-28-2, mean-teacher@wrn-28-10", []SSLRow{cfg.Methods[1], cfg.Methods[2]}, ""},
		{t4.Methods, "vat+ours,ours", []SSLRow{{Method: "vat", Ours: true}, {Method: "ours"}}, ""},
		{cfg.Methods, "vat", nil, `"vat" names no row`},
		{cfg.Methods, "ours@resnet-50", nil, "names no row"},
		{cfg.Methods, "ours,ours@wrn-28-2", nil, `"ours@wrn-28-2" names a row given before`},
	} {
		got, err := PickSSLRows(tc.all, tc.list)
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

// TestOptionsReleased: Options.Metric keeps the scale's releases when empty, drops instance
// discrimination's for TrainHere (it is then pretrained here) and otherwise names its release,
// without changing the scale's map.
func TestOptionsReleased(t *testing.T) {
	defaults := map[string]string{metric.MethodInstance: "figures/metrics/x", metric.MethodColor: "c"}
	if got := (Options{}).released(defaults); got[metric.MethodInstance] != "figures/metrics/x" {
		t.Errorf("no metric: %v", got)
	}
	got := Options{Metric: TrainHere}.released(defaults)
	if _, ok := got[metric.MethodInstance]; ok || got[metric.MethodColor] != "c" {
		t.Errorf("metric train: %v, want instance's release dropped and the others kept", got)
	}
	if got := (Options{Metric: "dir"}).released(nil); got[metric.MethodInstance] != "dir" {
		t.Errorf("metric dir: %v", got)
	}
	if defaults[metric.MethodInstance] != "figures/metrics/x" {
		t.Error("Options.released changed the scale's map")
	}
}

// TestOptionsRefused: a table refuses an option it has no use for, naming its flag, and keeps
// the scale's settings for the options left unset.
func TestOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		table int
		o     Options
		want  string
	}{
		{1, Options{Pool: -1, Test: -1, Episodes: 3}, "--episodes: table 1 has no use"},
		{5, Options{Pool: -1, Test: -1, Labels: []int{250}}, "--labels: table 5"},
		{7, Options{Pool: 0, Test: -1}, "--pool: table 7"},
		{6, Options{Pool: -1, Test: -1, Metric: "x"}, "--metric: table 6"},
	} {
		_, err := Tables[tc.table].Run(pipeline.Env{}, pipeline.Smoke, tc.o, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("table %d with %+v: %v, want an error containing %q", tc.table, tc.o, err, tc.want)
		}
	}
	cfg := smokeConfig(t, Table2ConfigFor)
	want := cfg.Pool
	if err := NoOptions.table2(&cfg); err != nil || cfg.Pool != want || len(cfg.Rows) != len(Table2Rows) {
		t.Errorf("NoOptions changed Table 2's settings: pool %d (want %d), %d rows, %v", cfg.Pool, want, len(cfg.Rows), err)
	}
}

// items is the number of comma-separated items in a list.
func items(list string) int { return strings.Count(list, ",") + 1 }

func FuzzPickSSLRows(f *testing.F) {
	cfg, err := Table3ConfigFor(pipeline.Paper)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"ours@wrn-28-10", "mean-teacher", "vat+ours,ours", "ours,ours@wrn-28-2", "@", "+ours", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := PickSSLRows(cfg.Methods, list)
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
