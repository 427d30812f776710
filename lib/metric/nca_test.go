package metric

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// ncaReference is Eq. 4 in the scalable-NCA form, by plain float64 loops: the sample's own bank
// slot is skipped, and a row with no other same-class entry adds 0 to a sum divided by B.
func ncaReference(v, bank [][]float64, idx, labels []int32, tau float64) float64 {
	total := 0.0
	for i, vi := range v {
		num, den := 0.0, 0.0
		for j, m := range bank {
			if j == int(idx[i]) {
				continue
			}
			s := 0.0
			for k := range vi {
				s += vi[k] * m[k]
			}
			e := math.Exp(s / tau)
			den += e
			if labels[j] == labels[idx[i]] {
				num += e
			}
		}
		if num > 0 {
			total -= math.Log(num / den)
		}
	}
	return total / float64(len(v))
}

func unitRows(rng *rand.Rand, n, d int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, d)
		s := 0.0
		for k := range rows[i] {
			rows[i][k] = rng.NormFloat64()
			s += rows[i][k] * rows[i][k]
		}
		for k := range rows[i] {
			rows[i][k] /= math.Sqrt(s)
		}
	}
	return rows
}

// ncaExec returns NCALoss and its gradient with respect to v.
func ncaExec(t *testing.T, v, bank [][]float64, idx, labels []int32, tau float64) (float64, []float32) {
	t.Helper()
	b, d := len(v), len(v[0])
	out := graph.MustExecOnceN(testBackend(t), func(v, bank, idx, labels *graph.Node) []*graph.Node {
		loss := NCALoss(v, bank, idx, labels, tau)
		return []*graph.Node{loss, graph.Gradient(loss, v)[0]}
	}, tensors.FromFlatDataAndDimensions(flat(v), b, d), tensors.FromFlatDataAndDimensions(flat(bank), len(bank), d),
		tensors.FromFlatDataAndDimensions(idx, b), tensors.FromFlatDataAndDimensions(labels, len(labels)))
	return float64(out[0].Value().(float32)), tensors.MustCopyFlatData[float32](out[1])
}

func TestNCALossMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	v3, bank6 := unitRows(rng, 3, 3), unitRows(rng, 6, 3)
	v2, bank4 := unitRows(rng, 2, 2), unitRows(rng, 4, 2)
	for _, tc := range []struct {
		name        string
		v, bank     [][]float64
		idx, labels []int32
		tau         float64
	}{
		{"B=3 N=6 τ=0.5", v3, bank6, []int32{4, 0, 2}, []int32{0, 1, 0, 2, 1, 2}, 0.5},
		{"B=3 N=6 τ=0.05 (SNCA)", v3, bank6, []int32{4, 0, 2}, []int32{0, 1, 0, 2, 1, 2}, DefaultNCATemperature},
		// exp(1/0.01) overflows float32: only the shifted log-sum-exp keeps this finite.
		{"B=3 N=6 τ=0.01", v3, bank6, []int32{4, 0, 2}, []int32{0, 1, 0, 2, 1, 2}, 0.01},
		// Sample 1 (bank row 3) is the only example of class 2: its row contributes 0.
		{"orphan row", v3[:2], bank6[:5], []int32{0, 3}, []int32{0, 1, 0, 2, 1}, 0.1},
		{"B=2 N=4 d=2", v2, bank4, []int32{1, 2}, []int32{1, 1, 0, 0}, 0.2},
	} {
		got, grad := ncaExec(t, tc.v, tc.bank, tc.idx, tc.labels, tc.tau)
		want := ncaReference(tc.v, tc.bank, tc.idx, tc.labels, tc.tau)
		if math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: NCALoss = %.6g, reference %.6g", tc.name, got, want)
		}
		// The gradient against central differences of the reference.
		const h = 1e-4
		d := len(tc.v[0])
		for i := range tc.v {
			for k := 0; k < d; k++ {
				orig := tc.v[i][k]
				tc.v[i][k] = orig + h
				up := ncaReference(tc.v, tc.bank, tc.idx, tc.labels, tc.tau)
				tc.v[i][k] = orig - h
				down := ncaReference(tc.v, tc.bank, tc.idx, tc.labels, tc.tau)
				tc.v[i][k] = orig
				fd := (up - down) / (2 * h)
				g := float64(grad[i*d+k])
				if math.IsNaN(g) || math.Abs(g-fd) > 2e-3*math.Max(1, math.Abs(fd)) {
					t.Errorf("%s: ∂loss/∂v[%d][%d] = %g, finite difference %g", tc.name, i, k, g, fd)
				}
			}
		}
	}
}

func TestNCALossByHand(t *testing.T) {
	// Bank: the four unit axes, classes 0, 0, 1, 2; τ = 1. Sample 0 is bank row 0 = (1, 0), so
	// its scores against rows 1, 2, 3 are 0, −1, 0 and only row 1 shares its class:
	// −log(e⁰ / (e⁰ + e⁻¹ + e⁰)) = log(2 + 1/e). Sample 1 is row 3, the only example of class 2:
	// an orphan, contributing 0. The mean is over both samples.
	v := [][]float64{{1, 0}, {0, -1}}
	bank := [][]float64{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	got, grad := ncaExec(t, v, bank, []int32{0, 3}, []int32{0, 0, 1, 2}, 1)
	if want := math.Log(2+1/math.E) / 2; math.Abs(got-want) > 1e-6 {
		t.Errorf("NCALoss = %.7g, by hand %.7g", got, want)
	}
	if grad[2] != 0 || grad[3] != 0 {
		t.Errorf("orphan sample's gradient %v, want exactly 0", grad[2:])
	}
}

func TestNCALossAllOrphans(t *testing.T) {
	v := [][]float64{{1, 0}, {0, 1}}
	bank := [][]float64{{1, 0}, {0, 1}, {-1, 0}}
	got, grad := ncaExec(t, v, bank, []int32{0, 1}, []int32{0, 1, 2}, DefaultNCATemperature)
	if got != 0 {
		t.Errorf("NCALoss with no same-class neighbours = %g, want 0", got)
	}
	for _, g := range grad {
		if g != 0 {
			t.Fatalf("gradient %v, want all 0 (no NaN)", grad)
		}
	}
}

func TestNCALabels(t *testing.T) {
	lt, err := NCALabels([]int32{0, 2, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[int32](lt); len(got) != 3 || got[1] != 2 {
		t.Errorf("NCALabels tensor %v, want [0 2 2]", got)
	}
	for _, tc := range []struct {
		labels []int32
		n      int
		want   string
	}{
		{[]int32{0, 1}, 3, "2 labels for a memory bank of 3"},
		{[]int32{0}, 1, "at least 2"},
		{[]int32{0, -1, 1}, 3, "negative"},
	} {
		if _, err := NCALabels(tc.labels, tc.n); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NCALabels(%v, %d) error %v, want one containing %q", tc.labels, tc.n, err, tc.want)
		}
	}
}
