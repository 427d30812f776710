package metric

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func binSet(g *Gamut) map[[2]float32]int {
	set := make(map[[2]float32]int, g.Q())
	for q := range g.Q() {
		set[[2]float32{g.Centers[2*q], g.Centers[2*q+1]}] = q
	}
	return set
}

func TestDefaultGamut(t *testing.T) {
	g := DefaultGamut()
	if g.Q() != 262 {
		t.Errorf("default gamut has %d bins, want 262 (see Gamut)", g.Q())
	}
	pairs := make([][2]float32, g.Q())
	minA, maxA, minB, maxB := float32(1e9), float32(-1e9), float32(1e9), float32(-1e9)
	for q := range pairs {
		a, b := g.Centers[2*q], g.Centers[2*q+1]
		pairs[q] = [2]float32{a, b}
		if math.Mod(float64(a), 10) != 0 || math.Mod(float64(b), 10) != 0 {
			t.Fatalf("bin %d centre (%g, %g) is not on the grid of 10", q, a, b)
		}
		minA, maxA, minB, maxB = min(minA, a), max(maxA, a), min(minB, b), max(maxB, b)
	}
	if !slices.IsSortedFunc(pairs, func(x, y [2]float32) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) }) {
		t.Error("bin centres are not sorted by a, then b")
	}
	// The box of Zhang et al.'s 313 bins.
	if minA != -90 || maxA != 100 || minB != -110 || maxB != 90 {
		t.Errorf("centres span a [%g, %g], b [%g, %g]; want [−90, 100], [−110, 90]", minA, maxA, minB, maxB)
	}
	set := binSet(g)
	// The bins of the primaries and white; not Zhang et al.'s first bin, which sRGB does not reach.
	for _, c := range [][2]float32{{80, 70}, {-90, 80}, {80, -110}, {0, 0}} {
		if _, ok := set[c]; !ok {
			t.Errorf("bin %v missing", c)
		}
	}
	if _, ok := set[[2]float32{-90, 50}]; ok {
		t.Error("bin (−90, 50) is in the gamut; no sRGB colour should reach it")
	}
}

// Brute force over the whole solid (every colour of a 65-level grid, not only the faces) must
// land only in bins of the gamut, and miss at most the thin slivers a coarse grid steps over.
func TestGamutContainsWholeCube(t *testing.T) {
	set := binSet(DefaultGamut())
	const n = 65
	hit := map[[2]float32]bool{}
	for i := range n {
		for j := range n {
			for k := range n {
				_, a, b := labOf(float64(i)/(n-1), float64(j)/(n-1), float64(k)/(n-1))
				c := [2]float32{float32(10 * math.Round(a/10)), float32(10 * math.Round(b/10))}
				if _, ok := set[c]; !ok {
					t.Fatalf("colour (%d, %d, %d)/64 lands in bin %v, not in the gamut", i, j, k, c)
				}
				hit[c] = true
			}
		}
	}
	if len(hit) < len(set)-2 {
		t.Errorf("the 65-level cube reaches %d bins, the gamut has %d", len(hit), len(set))
	}
}

func TestGamutConverged(t *testing.T) {
	if testing.Short() {
		t.Skip("samples 6·1025² colours")
	}
	fine, err := NewGamut(DefaultBinSize, 2*DefaultGamutLevels-1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fine.Centers, DefaultGamut().Centers) {
		t.Errorf("1025 levels give %d bins, %d levels %d", fine.Q(), DefaultGamutLevels, DefaultGamut().Q())
	}
}

func TestNewGamutErrors(t *testing.T) {
	for _, tc := range []struct {
		bin    float64
		levels int
		want   string
	}{
		{0, 10, "bin size"},
		{math.NaN(), 10, "bin size"},
		{10, 1, "levels"},
	} {
		if _, err := NewGamut(tc.bin, tc.levels); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewGamut(%g, %d) error %v, want one containing %q", tc.bin, tc.levels, err, tc.want)
		}
	}
}

func TestSoftEncodeByHand(t *testing.T) {
	g := DefaultGamut()
	set := binSet(g)
	// (3, 4): squared distances 25, 45, 65, 85 and 185 to (0, 0), (0, 10), (10, 0), (10, 10) and
	// (−10, 0); the next, (0, −10) and (−10, 10), are at 205. σ = 5: weights ∝ exp(−d²/50).
	bins, weights, err := g.SoftEncode([]float32{3, 4}, DefaultSoftEncoding())
	if err != nil {
		t.Fatal(err)
	}
	centres := [][2]float32{{0, 0}, {0, 10}, {10, 0}, {10, 10}, {-10, 0}}
	d2 := []float64{25, 45, 65, 85, 185}
	sum := 0.0
	for _, d := range d2 {
		sum += math.Exp(-d / 50)
	}
	for j, c := range centres {
		if int(bins[j]) != set[c] {
			t.Errorf("neighbour %d is bin %d, want %d %v", j, bins[j], set[c], c)
		}
		// 0.4062, 0.2723, 0.1825, 0.1224, 0.0166
		if want := math.Exp(-d2[j]/50) / sum; math.Abs(float64(weights[j])-want) > 1e-6 {
			t.Errorf("weight %d = %g, want %g", j, weights[j], want)
		}
	}
}

// bruteSoftEncode sorts all bins by distance (stable, so ties go to the lower bin).
func bruteSoftEncode(g *Gamut, a, b float64, k int, sigma float64) ([]int32, []float64) {
	order := make([]int32, g.Q())
	d2 := make([]float64, g.Q())
	for q := range order {
		order[q] = int32(q)
		da, db := a-float64(g.Centers[2*q]), b-float64(g.Centers[2*q+1])
		d2[q] = da*da + db*db
	}
	slices.SortStableFunc(order, func(x, y int32) int { return cmp.Compare(d2[x], d2[y]) })
	w, sum := make([]float64, k), 0.0
	for j := range k {
		w[j] = math.Exp(-(d2[order[j]] - d2[order[0]]) / (2 * sigma * sigma))
		sum += w[j]
	}
	for j := range w {
		w[j] /= sum
	}
	return order[:k], w
}

func TestSoftEncodeMatchesBruteForceAndGraph(t *testing.T) {
	g := DefaultGamut()
	cfg := DefaultSoftEncoding()
	rng := rand.New(rand.NewPCG(8, 9))
	const p = 48
	ab := make([]float32, 2*p)
	for i := range ab {
		ab[i] = float32(rng.Float64()*240 - 120)
	}
	copy(ab, []float32{300, -300, 0.5, 0.5}) // far outside the gamut: no underflow to 0/0.
	bins, weights, err := g.SoftEncode(ab, cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := graph.MustExecOnceN(testBackend(t), func(x *graph.Node) []*graph.Node {
		b, w := g.SoftEncodeGraph(x, cfg)
		return []*graph.Node{b, w}
	}, tensors.FromFlatDataAndDimensions(ab, 4, p/4, 2))
	if d := out[0].Shape().Dimensions; len(d) != 3 || d[0] != 4 || d[1] != p/4 || d[2] != cfg.Neighbours {
		t.Fatalf("SoftEncodeGraph bins shape %v, want [4 %d %d]", d, p/4, cfg.Neighbours)
	}
	gBins, gWeights := tensors.MustCopyFlatData[int32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	k := cfg.Neighbours
	for i := range p {
		wantBins, wantW := bruteSoftEncode(g, float64(ab[2*i]), float64(ab[2*i+1]), k, cfg.Sigma)
		for j := range k {
			if bins[i*k+j] != wantBins[j] || math.Abs(float64(weights[i*k+j])-wantW[j]) > 1e-6 {
				t.Fatalf("colour %v: SoftEncode %v %v, brute force %v %v", ab[2*i:2*i+2], bins[i*k:(i+1)*k], weights[i*k:(i+1)*k], wantBins, wantW)
			}
			if gBins[i*k+j] != wantBins[j] || math.Abs(float64(gWeights[i*k+j])-wantW[j]) > 1e-4 {
				t.Fatalf("colour %v: SoftEncodeGraph %v %v, brute force %v %v", ab[2*i:2*i+2], gBins[i*k:(i+1)*k], gWeights[i*k:(i+1)*k], wantBins, wantW)
			}
		}
	}
}

func TestSoftEncodeErrors(t *testing.T) {
	g := DefaultGamut()
	for _, tc := range []struct {
		ab   []float32
		cfg  SoftEncoding
		want string
	}{
		{[]float32{1, 2, 3}, DefaultSoftEncoding(), "whole number"},
		{[]float32{1, float32(math.NaN())}, DefaultSoftEncoding(), "finite"},
		{[]float32{1, 2}, SoftEncoding{Neighbours: 0, Sigma: 5}, "neighbours"},
		{[]float32{1, 2}, SoftEncoding{Neighbours: 1000, Sigma: 5}, "neighbours"},
		{[]float32{1, 2}, SoftEncoding{Neighbours: 5, Sigma: 0}, "σ"},
	} {
		if _, _, err := g.SoftEncode(tc.ab, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SoftEncode(%v, %+v) error %v, want one containing %q", tc.ab, tc.cfg, err, tc.want)
		}
	}
}

func TestRebalanceWeightsByHand(t *testing.T) {
	// Two bins 10 apart, counts 3 and 1, σ = 5, λ = 1/2. The kernel between them is
	// exp(−100/50) = e⁻²: p̃ ∝ (0.75 + 0.25e⁻², 0.25 + 0.75e⁻²), normalised by 1 + e⁻².
	g := &Gamut{BinSize: 10, Centers: []float32{0, 0, 10, 0}}
	counts, err := g.NearestCounts([]int32{0, 1, 0, 1, 1, 0, 0, 1}, 2) // nearest bins 0, 0, 1, 0
	if err != nil {
		t.Fatal(err)
	}
	if counts[0] != 3 || counts[1] != 1 {
		t.Fatalf("NearestCounts = %v, want [3 1]", counts)
	}
	w, err := g.RebalanceWeights(counts, 5, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	e := math.Exp(-2)
	p := []float64{(0.75 + 0.25*e) / (1 + e), (0.25 + 0.75*e) / (1 + e)}
	raw := []float64{1 / (0.5*p[0] + 0.25), 1 / (0.5*p[1] + 0.25)}
	scale := p[0]*raw[0] + p[1]*raw[1]
	for q := range w {
		if want := raw[q] / scale; math.Abs(float64(w[q])-want) > 1e-6 {
			t.Errorf("weight %d = %g, want %g", q, w[q], want)
		}
	}
	if w[1] <= w[0] {
		t.Errorf("the rarer bin's weight %g should exceed the common one's %g", w[1], w[0])
	}
	// λ = 1 is no rebalancing: every weight 1.
	if w, _ := g.RebalanceWeights(counts, 5, 1); math.Abs(float64(w[0])-1) > 1e-6 || math.Abs(float64(w[1])-1) > 1e-6 {
		t.Errorf("λ = 1 weights %v, want [1 1]", w)
	}
	for _, bad := range [][]float64{{1}, {0, 0}, {-1, 2}} {
		if _, err := g.RebalanceWeights(bad, 5, 0.5); err == nil {
			t.Errorf("RebalanceWeights(%v) gave no error", bad)
		}
	}
	if _, err := g.NearestCounts([]int32{0, 2}, 1); err == nil {
		t.Error("NearestCounts accepted bin 2 of 2")
	}
}

// BenchmarkSoftEncode encodes the targets of a batch of 64 images at 8×8, the data side of a
// colorization training step.
func BenchmarkSoftEncode(b *testing.B) {
	g := DefaultGamut()
	rng := rand.New(rand.NewPCG(1, 2))
	ab := make([]float32, 2*64*8*8)
	for i := range ab {
		ab[i] = float32(rng.Float64()*160 - 80)
	}
	b.ResetTimer()
	for range b.N {
		if _, _, err := g.SoftEncode(ab, DefaultSoftEncoding()); err != nil {
			b.Fatal(err)
		}
	}
}
