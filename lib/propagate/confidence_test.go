package propagate

import (
	"math"
	"testing"
)

func TestSoftmax(t *testing.T) {
	e := math.E
	cases := []struct {
		name  string
		z     []float64
		sigma float64
		want  []float64
	}{
		{"two classes σ=1", []float64{1, 0}, 1, []float64{e / (1 + e), 1 / (1 + e)}},
		{"σ multiplies", []float64{1, 2, 3}, 0.5, func() []float64 {
			s := math.Exp(0.5) + e + math.Exp(1.5)
			return []float64{math.Exp(0.5) / s, e / s, math.Exp(1.5) / s}
		}()},
		{"uniform", []float64{-4, -4, -4, -4}, 40, []float64{0.25, 0.25, 0.25, 0.25}},
		{"no overflow", []float64{1000, 0}, 1, []float64{1, 0}},
		{"no overflow with σ=1e6", []float64{-1, 1}, 1e6, []float64{0, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]float64, len(tc.z))
			Softmax(got, tc.z, tc.sigma)
			for c, w := range tc.want {
				if math.IsNaN(got[c]) || math.Abs(got[c]-w) > 1e-15 {
					t.Errorf("softmax %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
}

func TestConfidence(t *testing.T) {
	e2, e4 := math.Exp(2), math.Exp(4)
	cases := []struct {
		name   string
		logits []float32
		sigma  float64
		want   float64
	}{
		// Gap of softmax(σ·[a, b]) is tanh(σ·(a−b)/2).
		{"[1,0] σ=1", []float32{1, 0}, 1, math.Tanh(0.5)},
		{"[0,1] σ=1", []float32{0, 1}, 1, math.Tanh(0.5)},
		{"[1,0.99] σ=1000", []float32{1, 0.99}, 1000, math.Tanh(1000 * float64(float32(1)-float32(0.99)) / 2)},
		{"[2,1,0] σ=2", []float32{2, 1, 0}, 2, (e4 - e2) / (e4 + e2 + 1)},
		{"[0,2,1] σ=2", []float32{0, 2, 1}, 2, (e4 - e2) / (e4 + e2 + 1)},
		{"tie at the top", []float32{0.5, 0.5, 0}, 40, 0},
		{"all equal", []float32{0, 0, 0}, 40, 0},
		{"σ=1e6", []float32{1, 0}, 1e6, 1},
		{"huge logits σ=40", []float32{3e38, -3e38, 0}, 40, 1},
		{"single class", []float32{0.3}, 40, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Matrix{N: 2, D: len(tc.logits), Data: append(append([]float32{}, tc.logits...), tc.logits...)}
			got := Confidence(m, tc.sigma)
			if len(got) != 2 {
				t.Fatalf("%d confidences for 2 rows", len(got))
			}
			for _, g := range got {
				if math.IsNaN(float64(g)) || math.Abs(float64(g)-tc.want) > 1e-6 {
					t.Errorf("confidence %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestMarginConfidence(t *testing.T) {
	m := Matrix{N: 4, D: 3, Data: []float32{3, 1, 0, 0, 0, 0, -1, 2, 2, 0.5, -2, 0.25}}
	want := []float64{1 - math.Exp(-2), 0, 0, 1 - math.Exp(-0.25)}
	got := MarginConfidence(m)
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > 1e-7 {
			t.Errorf("row %d: %v, want %v", i, got[i], w)
		}
	}
}

func TestConfidenceScore(t *testing.T) {
	rows := [][]float32{
		{1, 0, 0.5},        // moderate
		{0.2, 0.1, 0},      // unsure
		{0.875, 0, 0.0625}, // sure: α rounds to 1 in float32 at σ = 40
		{0.75, 0, 0.0625},  // sure too, by a smaller margin
		{0, 0, 0},          // a tie: α = 0
	}
	logits := NewMatrix(len(rows), 3)
	for i, r := range rows {
		copy(logits.Row(i), r)
	}
	const sigma = 40
	score := ConfidenceScore(logits, sigma)
	conf := Confidence(logits, sigma)
	// Where α is not saturated, the score is −log(1−α) computed directly.
	for _, i := range []int{0, 1, 4} {
		if want := -math.Log(1 - float64(conf[i])); math.Abs(score[i]-want) > 1e-5*math.Max(1, want) {
			t.Errorf("row %d: score %v, −log(1−α) = %v", i, score[i], want)
		}
	}
	if conf[2] != 1 || conf[3] != 1 {
		t.Fatalf("rows 2 and 3 should saturate α at 1 in float32, got %v and %v", conf[2], conf[3])
	}
	// By hand for row 3: R = e^{−30} + e^{−27.5}, e₂ = e^{−27.5}: score = log1p(R) − log(R + e₂).
	r := math.Exp(-30) + math.Exp(-27.5)
	if want := math.Log1p(r) - math.Log(r+math.Exp(-27.5)); math.Abs(score[3]-want) > 1e-9 {
		t.Errorf("row 3: score %v, want %v", score[3], want)
	}
	if !(score[2] > score[3] && score[3] > score[0] && score[0] > score[1] && score[1] > score[4]) {
		t.Errorf("scores %v are not ordered by the margin: rows 2 > 3 > 0 > 1 > 4", score)
	}
	if s := ConfidenceScore(Matrix{N: 1, D: 1, Data: []float32{3}}, sigma); !math.IsInf(s[0], 1) {
		t.Errorf("single-class row: score %v, want +Inf", s[0])
	}
}
