package propagate

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestRankingMetrics(t *testing.T) {
	cases := []struct {
		name        string
		pred, truth []int32
		conf        []float32
		acc         []float64
		mAP, ap     float64
	}{
		{
			// Rank by confidence, ties in row order: rows 0, 2, 1, 3, 4, correct T T F T F.
			name:  "ties in row order",
			pred:  []int32{1, 0, 2, 3, 0},
			truth: []int32{1, 1, 2, 3, 1},
			conf:  []float32{0.9, 0.5, 0.7, 0.5, 0.1},
			acc:   []float64{1, 1, 2.0 / 3, 3.0 / 4, 3.0 / 5},
			mAP:   (1 + 1 + 2.0/3 + 3.0/4 + 3.0/5) / 5,
			ap:    (1 + 1 + 3.0/4) / 3,
		},
		{
			// The wrong row is most confident: rows 1, 0, 2 with correct F T T.
			name:  "confident mistake",
			pred:  []int32{0, 0, 1},
			truth: []int32{0, 1, 1},
			conf:  []float32{0.5, 0.8, 0.2},
			acc:   []float64{0, 1.0 / 2, 2.0 / 3},
			mAP:   (0 + 1.0/2 + 2.0/3) / 3,
			ap:    (1.0/2 + 2.0/3) / 2,
		},
		{"all wrong", []int32{1, 1}, []int32{0, 0}, []float32{1, 0}, []float64{0, 0}, 0, 0},
		{"all right", []int32{2, 1, 0}, []int32{2, 1, 0}, []float32{0, 1, 0.5}, []float64{1, 1, 1}, 1, 1},
		{"empty", nil, nil, nil, []float64{}, math.NaN(), math.NaN()},
	}
	same := func(a, b float64) bool { return math.Abs(a-b) < 1e-15 || (math.IsNaN(a) && math.IsNaN(b)) }
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			acc := AccumulatedAccuracy(tc.pred, tc.truth, tc.conf)
			if len(acc) != len(tc.acc) {
				t.Fatalf("accumulated accuracy %v, want %v", acc, tc.acc)
			}
			for i := range acc {
				if !same(acc[i], tc.acc[i]) {
					t.Fatalf("accumulated accuracy %v, want %v", acc, tc.acc)
				}
			}
			if got := MeanAveragePrecision(tc.pred, tc.truth, tc.conf); !same(got, tc.mAP) {
				t.Errorf("MeanAveragePrecision %v, want %v", got, tc.mAP)
			}
			if got := AveragePrecision(tc.pred, tc.truth, tc.conf); !same(got, tc.ap) {
				t.Errorf("AveragePrecision %v, want %v", got, tc.ap)
			}
		})
	}
}

// TestRankingMetricsManyTies checks the ranking on inputs long enough that an unstable sort
// would reorder ties: the reference walks the distinct confidences from the top and takes the
// rows of each in row order.
func TestRankingMetricsManyTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for trial := 0; trial < 20; trial++ {
		n := 50 + rng.IntN(200)
		pred, truth, conf := make([]int32, n), make([]int32, n), make([]float32, n)
		for i := range pred {
			pred[i], truth[i] = int32(rng.IntN(3)), int32(rng.IntN(3))
			conf[i] = float32(rng.IntN(4)) / 3
		}
		levels := slices.Clone(conf)
		slices.Sort(levels)
		levels = slices.Compact(levels)
		var acc []float64
		var apSum float64
		correct := 0
		for l := len(levels) - 1; l >= 0; l-- {
			for i := range conf {
				if conf[i] != levels[l] {
					continue
				}
				if pred[i] == truth[i] {
					correct++
					apSum += float64(correct) / float64(len(acc)+1)
				}
				acc = append(acc, float64(correct)/float64(len(acc)+1))
			}
		}
		if got := AccumulatedAccuracy(pred, truth, conf); !slices.Equal(got, acc) {
			t.Fatalf("trial %d: accumulated accuracy differs from the reference\n got %v\nwant %v", trial, got, acc)
		}
		var mean float64
		for _, a := range acc {
			mean += a
		}
		if got := MeanAveragePrecision(pred, truth, conf); math.Abs(got-mean/float64(n)) > 1e-12 {
			t.Errorf("trial %d: mAP %v, want %v", trial, got, mean/float64(n))
		}
		if got := AveragePrecision(pred, truth, conf); correct > 0 && math.Abs(got-apSum/float64(correct)) > 1e-12 {
			t.Errorf("trial %d: AP %v, want %v", trial, got, apSum/float64(correct))
		}
	}
}

func TestRankingMetricsPanicOnLengths(t *testing.T) {
	for name, f := range map[string]func(){
		"AccumulatedAccuracy":  func() { AccumulatedAccuracy([]int32{0}, []int32{0, 1}, []float32{1}) },
		"MeanAveragePrecision": func() { MeanAveragePrecision([]int32{0}, []int32{0}, []float32(nil)) },
		"AveragePrecision":     func() { AveragePrecision(nil, []int32{0}, []float32{1}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.Contains(s, "differ in length") {
					t.Errorf("recovered %v, want a panic about lengths", r)
				}
			}()
			f()
		})
	}
}

func TestPercentiles(t *testing.T) {
	curve := []float64{1, 0.5, 2.0 / 3, 0.75}
	got := Percentiles(curve)
	if len(got) != 101 {
		t.Fatalf("%d points, want 101", len(got))
	}
	// p % takes the first max(1, ⌈4p/100⌉) elements.
	for _, tc := range []struct {
		p    int
		want float64
	}{{0, 1}, {1, 1}, {25, 1}, {26, 0.5}, {50, 0.5}, {51, 2.0 / 3}, {75, 2.0 / 3}, {76, 0.75}, {100, 0.75}} {
		if math.Abs(got[tc.p]-tc.want) > 1e-12 {
			t.Errorf("Percentiles[%d] = %v, want %v", tc.p, got[tc.p], tc.want)
		}
	}
	if Percentiles(nil) != nil {
		t.Error("Percentiles(nil) should be nil")
	}
}

func TestMatrixRows(t *testing.T) {
	m := Matrix{N: 3, D: 2, Data: []float32{0, 1, 10, 11, 20, 21}}
	got, err := m.Rows([]int{2, 0, 2})
	if err != nil || got.N != 3 || got.D != 2 || !slices.Equal(got.Data, []float32{20, 21, 0, 1, 20, 21}) {
		t.Errorf("Rows(2, 0, 2) = %+v, %v", got, err)
	}
	got.Row(0)[0] = -1
	if m.Data[4] != 20 {
		t.Error("Rows shares storage with the matrix")
	}
	if _, err := m.Rows([]int{3}); err == nil {
		t.Error("row 3 of a 3-row matrix: no error")
	}
}
