package repro

import (
	"bytes"
	"image/png"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestFigure2Smoke runs Figure 2 on generated images through Table 1's stages: a second run
// reads the eigenvectors from the cache and gives the same matrices, and the figure renders.
func TestFigure2Smoke(t *testing.T) {
	dataDir := t.TempDir()
	writeColourFolder(t, dataDir, 4, 30)
	cfg := smokeConfig(t, Figure2ConfigFor)
	env := testEnv(t, dataDir)
	cfg.Table1.Pool, cfg.Table1.Labels, cfg.Table1.Spectral.Eta, cfg.Sample = 0, []int{8}, 20, 40
	for m, pc := range cfg.Table1.Metrics {
		pc.Steps, pc.BatchSize = 2, 16
		cfg.Table1.Metrics[m] = pc
	}
	first, err := RunFigure2(env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := RunFigure2(env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first.Eigen.Cached || !second.Eigen.Cached {
		t.Errorf("eigen stage cached %v then %v, want false then true", first.Eigen.Cached, second.Eigen.Cached)
	}
	if r, c := second.Spectral.Dims(); r != 40 || c != 40 || !mat.EqualApprox(first.Spectral, second.Spectral, 1e-4) {
		t.Errorf("second run's W' is %d×%d or differs from the first's", r, c)
	}
	data, err := second.Figure()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("figure is not a PNG: %v", err)
	}
	if h, rows := second.Table(); len(rows) != 2 || len(rows[0]) != len(h) {
		t.Errorf("table %v %v", h, rows)
	}
	cfg.Metric = "none"
	if _, err := RunFigure2(env, cfg); err == nil {
		t.Error("unknown metric: no error")
	}
}
