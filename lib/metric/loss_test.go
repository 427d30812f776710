package metric

import (
	"math"
	"slices"
	"testing"

	"github.com/metric-transfer/mtlp/lib/backendtest"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func testBackend(t testing.TB) backends.Backend { return backendtest.New(t, "go") }

// A 2-example batch against a 3-entry bank in 2-D, computed by hand.
var (
	tinyV    = [][]float64{{1, 0}, {0.6, 0.8}}
	tinyBank = [][]float64{{1, 0}, {0, 1}, {-1, 0}}
	tinyIdx  = []int32{0, 1}
)

func dot(a, b []float64) float64 { return a[0]*b[0] + a[1]*b[1] }

func flat(m [][]float64) []float32 {
	var out []float32
	for _, r := range m {
		for _, v := range r {
			out = append(out, float32(v))
		}
	}
	return out
}

func TestSoftmaxLossByHand(t *testing.T) {
	const tau = 0.5
	want := 0.0
	for i, v := range tinyV {
		z := 0.0
		for _, m := range tinyBank {
			z += math.Exp(dot(v, m) / tau)
		}
		want += -(dot(v, tinyBank[tinyIdx[i]])/tau - math.Log(z))
	}
	want /= 2
	got := graph.MustExecOnce(testBackend(t), func(v, bank, idx *graph.Node) *graph.Node {
		return SoftmaxLoss(v, bank, idx, tau)
	}, tensors.FromFlatDataAndDimensions(flat(tinyV), 2, 2), tensors.FromFlatDataAndDimensions(flat(tinyBank), 3, 2),
		tensors.FromFlatDataAndDimensions(tinyIdx, 2)).Value().(float32)
	if math.Abs(float64(got)-want) > 1e-5 {
		t.Errorf("SoftmaxLoss = %g, by hand %g", got, want)
	}
}

func TestNCELossByHand(t *testing.T) {
	const tau, z = 0.5, 4.0
	neg := [][]int32{{2, 1}, {0, 2}}
	const m, n = 2.0, 3.0
	h := func(s float64) float64 { p := math.Exp(s/tau) / z; return p / (p + m/n) }
	want := 0.0
	for i, v := range tinyV {
		want -= math.Log(h(dot(v, tinyBank[tinyIdx[i]])))
		for _, j := range neg[i] {
			want -= math.Log(1 - h(dot(v, tinyBank[j])))
		}
	}
	want /= 2
	got := graph.MustExecOnce(testBackend(t), func(v, bank, idx, neg *graph.Node) *graph.Node {
		return NCELoss(v, bank, idx, neg, graph.Scalar(v.Graph(), v.DType(), z), tau)
	}, tensors.FromFlatDataAndDimensions(flat(tinyV), 2, 2), tensors.FromFlatDataAndDimensions(flat(tinyBank), 3, 2),
		tensors.FromFlatDataAndDimensions(tinyIdx, 2), tensors.FromValue(neg)).Value().(float32)
	if math.Abs(float64(got)-want) > 1e-5 {
		t.Errorf("NCELoss = %g, by hand %g", got, want)
	}
}

func TestUpdateBankByHand(t *testing.T) {
	const momentum = 0.5
	got := tensors.MustCopyFlatData[float32](graph.MustExecOnce(testBackend(t), func(bank, v, idx *graph.Node) *graph.Node {
		return UpdateBank(bank, v, idx, momentum)
	}, tensors.FromFlatDataAndDimensions(flat(tinyBank), 3, 2), tensors.FromFlatDataAndDimensions(flat(tinyV), 2, 2),
		tensors.FromFlatDataAndDimensions([]int32{1, 0}, 2)))
	// Batch example 0 updates row 1, example 1 updates row 0; row 2 is untouched.
	mix := func(a, b []float64) []float64 {
		x, y := momentum*a[0]+(1-momentum)*b[0], momentum*a[1]+(1-momentum)*b[1]
		nrm := math.Hypot(x, y)
		return []float64{x / nrm, y / nrm}
	}
	want := [][]float64{mix(tinyBank[0], tinyV[1]), mix(tinyBank[1], tinyV[0]), tinyBank[2]}
	for i, w := range flat(want) {
		if math.Abs(float64(got[i]-w)) > 1e-4 {
			t.Fatalf("UpdateBank = %v, want %v", got, flat(want))
		}
	}
}

// TestUpdateStoredBankFixed16 checks the 16-bit bank's update against UpdateBank in float64 by
// hand: the updated rows are the fixed-point rounding of the float update (within half a unit,
// 2^-16, or a unit where 1 is clamped), the other rows are unchanged bit for bit, and BankValues reads them back.
func TestUpdateStoredBankFixed16(t *testing.T) {
	bank := [][]float64{{0.6, 0.8}, {0, 1}, {-1, 0}, {0.28, -0.96}}
	v := [][]float64{{1, 0}, {0.6, -0.8}}
	idx := []int32{3, 0}
	const momentum = 0.5
	q := QuantizeBank(tensors.FromFlatDataAndDimensions(flat(bank), 4, 2))
	got := graph.MustExecOnce(testBackend(t), func(bank, v, idx *graph.Node) *graph.Node {
		return BankValues(UpdateStoredBank(bank, v, idx, momentum))
	}, q, tensors.FromFlatDataAndDimensions(flat(v), 2, 2), tensors.FromFlatDataAndDimensions(idx, 2))
	before := tensors.MustCopyFlatData[int16](q)
	after := tensors.MustCopyFlatData[float32](got)
	for row := range bank {
		want := bank[row]
		for i, j := range idx {
			if int(j) == row {
				m := []float64{momentum*bank[row][0] + (1-momentum)*v[i][0], momentum*bank[row][1] + (1-momentum)*v[i][1]}
				norm := math.Hypot(m[0], m[1])
				want = []float64{m[0] / norm, m[1] / norm}
			}
		}
		for c := range 2 {
			g := float64(after[2*row+c])
			tol := 0.5/bankScale + 1e-7
			if want[c] > 1-0.5/bankScale {
				tol = 1.0/bankScale + 1e-7 // 1 is clamped to 1 − 2^-15
			}
			if d := math.Abs(g - want[c]); d > tol {
				t.Errorf("row %d entry %d = %v, want %v within %v", row, c, g, want[c], tol)
			}
			if g*bankScale != math.Round(g*bankScale) {
				t.Errorf("row %d entry %d = %v is not a multiple of 2^-15", row, c, g)
			}
			if !slices.Contains(idx, int32(row)) && g != float64(before[2*row+c])/bankScale {
				t.Errorf("row %d, not in the batch, changed: %v, stored %d", row, g, before[2*row+c])
			}
		}
	}
	// An entry of 1 is clamped to the largest int16.
	if got := tensors.MustCopyFlatData[int16](q); got[3] != bankScale-1 || got[4] != -bankScale {
		t.Errorf("QuantizeBank of 1 and −1 = %d, %d, want %d, %d", got[3], got[4], bankScale-1, -bankScale)
	}
}
