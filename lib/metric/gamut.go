package metric

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Defaults of the quantised ab space of colorization (Zhang et al. 2016, §2.1).
const (
	// DefaultBinSize is the grid size of the ab bins (10 in Zhang et al.).
	DefaultBinSize = 10
	// DefaultGamutLevels is how many levels per channel NewGamut samples each face of the sRGB
	// cube at. The set of bins stops changing at 257 (262 bins at 257, 513, 1025, 2049 and 4097
	// levels; 261 below); 513 leaves a margin and takes a fraction of a second.
	DefaultGamutLevels = 513
)

// Gamut is the quantised ab output space of colorization (Zhang et al. 2016, §2.1 and Fig. 3a;
// the bins q of the paper's Eq. 3): the squares of side BinSize centred on the multiples of
// BinSize of the ab plane that some sRGB colour falls in.
//
// With bins of 10 there are Q = 262 of them, not Zhang et al.'s 313. Both span the same box
// (a centres −90…100, b centres −110…90), but Zhang et al. did not publish how they tested
// gamut, and their set has 51 more bins, some of which no sRGB colour reaches: their first,
// (−90, 50), is one (sRGB has a < −85 only near pure green, at b in 77…83). A looser test, e.g. one
// that clips out-of-range RGB in a Lab→RGB round trip, would give such bins. Ours is the exact
// sRGB gamut: a bin is kept when an sRGB colour lands in it.
type Gamut struct {
	BinSize float64
	// Centers holds the Q bin centres (a, b), row-major Q×2, sorted by a then b.
	Centers []float32
}

// NewGamut finds the bins of size binSize that sRGB colours reach, by converting a grid of
// levels×levels colours on each of the six faces of the RGB cube to Lab. The faces suffice:
// RGB → Lab is continuous and one-to-one, so the line of constant (a, b) through any colour of
// the solid gamut meets its boundary, the image of the cube's surface; the faces' ab
// projection is therefore the whole gamut's.
func NewGamut(binSize float64, levels int) (*Gamut, error) {
	if !(binSize >= 0.5 && binSize <= 100) {
		return nil, fmt.Errorf("gamut: bin size %g must be in [0.5, 100] (Zhang et al. use %d)", binSize, DefaultBinSize)
	}
	if levels < 2 || levels > 4097 {
		return nil, fmt.Errorf("gamut: %d levels per channel must be in [2, 4097] (default %d)", levels, DefaultGamutLevels)
	}
	// |a|, |b| < 130 for every sRGB colour, so a square grid of ±r bins holds them all.
	r := int(math.Ceil(130/binSize)) + 1
	side := 2*r + 1
	hit := make([]bool, side*side)
	step := 1 / float64(levels-1)
	for face := 0; face < 6; face++ {
		fixed := float64(face % 2)
		for i := 0; i < levels; i++ {
			for j := 0; j < levels; j++ {
				u, v := float64(i)*step, float64(j)*step
				var c [3]float64
				axis := face / 2
				c[axis], c[(axis+1)%3], c[(axis+2)%3] = fixed, u, v
				_, a, b := labOf(c[0], c[1], c[2])
				ia, ib := int(math.Round(a/binSize)), int(math.Round(b/binSize))
				hit[(ia+r)*side+ib+r] = true
			}
		}
	}
	g := &Gamut{BinSize: binSize}
	for ia := -r; ia <= r; ia++ { // row-major over (a, b): sorted by a, then b.
		for ib := -r; ib <= r; ib++ {
			if hit[(ia+r)*side+ib+r] {
				g.Centers = append(g.Centers, float32(float64(ia)*binSize), float32(float64(ib)*binSize))
			}
		}
	}
	return g, nil
}

var defaultGamut = sync.OnceValue(func() *Gamut {
	g, err := NewGamut(DefaultBinSize, DefaultGamutLevels)
	if err != nil {
		panic(err) // the defaults are valid: a bug.
	}
	return g
})

// DefaultGamut returns the gamut of bin size 10 (Zhang et al. 2016), computed once per process.
// Callers must not modify it.
func DefaultGamut() *Gamut { return defaultGamut() }

// Q is the number of bins.
func (g *Gamut) Q() int { return len(g.Centers) / 2 }

// SoftEncoding configures the soft encoding of ab targets (Zhang et al. 2016, §2.1).
type SoftEncoding struct {
	Neighbours int     // nearest bins a colour is spread over: 5.
	Sigma      float64 // σ of the Gaussian kernel on ab distances: 5.
}

// DefaultSoftEncoding returns Zhang et al.'s 5 nearest bins and σ = 5.
func DefaultSoftEncoding() SoftEncoding { return SoftEncoding{Neighbours: 5, Sigma: 5} }

func (g *Gamut) checkEncoding(cfg SoftEncoding) error {
	if cfg.Neighbours < 1 || cfg.Neighbours > g.Q() {
		return fmt.Errorf("soft encoding: %d neighbours must be in [1, %d], the number of bins (Zhang et al. use 5)", cfg.Neighbours, g.Q())
	}
	if !(cfg.Sigma > 0) {
		return fmt.Errorf("soft encoding: σ %g must be > 0 (Zhang et al. use 5)", cfg.Sigma)
	}
	return nil
}

// SoftEncode is the soft encoding of Zhang et al. 2016 (§2.1), the target q of the paper's
// Eq. 3: each colour ab (P×2, row-major, any layout of pixels) is spread over its K =
// cfg.Neighbours nearest bin centres with weights exp(−d²/2σ²) normalised to sum 1. It returns
// the bins (P×K, nearest first, ties to the lower bin) and their weights (P×K), the sparse form
// that ColorLoss takes: a dense P×Q target would be Q/2K ≈ 26 times larger.
func (g *Gamut) SoftEncode(ab []float32, cfg SoftEncoding) (bins []int32, weights []float32, err error) {
	if err := g.checkEncoding(cfg); err != nil {
		return nil, nil, err
	}
	if len(ab)%2 != 0 {
		return nil, nil, fmt.Errorf("soft encoding: %d values is not a whole number of (a, b) pairs", len(ab))
	}
	k, p := cfg.Neighbours, len(ab)/2
	bins, weights = make([]int32, p*k), make([]float32, p*k)
	d2 := make([]float64, k)
	for i := 0; i < p; i++ {
		a, b := float64(ab[2*i]), float64(ab[2*i+1])
		if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
			return nil, nil, fmt.Errorf("soft encoding: colour %d is (%g, %g); want finite ab values", i, a, b)
		}
		row, n := bins[i*k:(i+1)*k], 0
		for q := 0; q < g.Q(); q++ { // insertion into the sorted k nearest so far.
			da, db := a-float64(g.Centers[2*q]), b-float64(g.Centers[2*q+1])
			d := da*da + db*db
			if n == k && d >= d2[k-1] {
				continue
			}
			if n < k {
				n++
			}
			j := n - 1
			for ; j > 0 && d2[j-1] > d; j-- {
				d2[j], row[j] = d2[j-1], row[j-1]
			}
			d2[j], row[j] = d, int32(q)
		}
		// Shifted by the nearest distance, so a colour far outside the gamut does not underflow.
		sum, nearest := 0.0, d2[0]
		for j := range k {
			d2[j] = math.Exp(-(d2[j] - nearest) / (2 * cfg.Sigma * cfg.Sigma))
			sum += d2[j]
		}
		for j := range k {
			weights[i*k+j] = float32(d2[j] / sum)
		}
	}
	return bins, weights, nil
}

// SoftEncodeGraph is SoftEncode in graph ops, for targets made from images augmented on the
// device: ab [..., 2] to bins [..., K] (int32, nearest first) and weights [..., K] (ab's dtype,
// no gradient). It panics, like GoMLX, on a last axis other than 2 or an invalid cfg. It holds a
// [P, Q] distance matrix, so encode targets at the logits' (reduced) resolution.
func (g *Gamut) SoftEncodeGraph(ab *graph.Node, cfg SoftEncoding) (bins, weights *graph.Node) {
	dims := ab.Shape().Dimensions
	if ab.Rank() < 1 || dims[len(dims)-1] != 2 {
		panic(fmt.Sprintf("SoftEncodeGraph: want ab [..., 2], got %s", ab.Shape()))
	}
	if err := g.checkEncoding(cfg); err != nil {
		panic(err)
	}
	q, k := g.Q(), cfg.Neighbours
	x := graph.StopGradient(graph.Reshape(ab, -1, 1, 2))
	p := x.Shape().Dimensions[0]
	centers := graph.Reshape(graph.ConstAs(x, g.Centers), 1, q, 2)
	d2 := graph.ReduceSum(graph.Square(graph.Sub(graph.BroadcastToDims(x, p, q, 2), graph.BroadcastToDims(centers, p, q, 2))), -1)
	inf := graph.BroadcastToDims(graph.Infinity(x.Graph(), x.DType(), 1), p, q)
	nearest, dist := make([]*graph.Node, k), make([]*graph.Node, k)
	for j := range k {
		nearest[j] = graph.ArgMin(d2, -1, dtypes.Int32)
		dist[j] = graph.ReduceMin(d2, -1)
		d2 = graph.Where(graph.Equal(graph.OneHot(nearest[j], q, dtypes.Int32), graph.ScalarOne(x.Graph(), dtypes.Int32)), inf, d2)
	}
	bins = graph.Stack(nearest, -1)                                      // [P, K]
	w := graph.Sub(graph.Stack(dist, -1), graph.InsertAxes(dist[0], -1)) // d² − d²_nearest ≥ 0
	w = graph.Exp(graph.DivScalar(w, -2*cfg.Sigma*cfg.Sigma))
	w = graph.Div(w, graph.ReduceAndKeep(w, graph.ReduceSum, -1))
	out := append(slices.Clone(dims[:len(dims)-1]), k)
	return graph.Reshape(bins, out...), graph.Reshape(w, out...)
}

// NearestCounts counts, per bin, the colours whose nearest bin it is (the first of each
// colour's K bins from SoftEncode): the empirical colour distribution p that
// RebalanceWeights smooths.
func (g *Gamut) NearestCounts(bins []int32, k int) ([]float64, error) {
	if k < 1 || len(bins)%k != 0 {
		return nil, fmt.Errorf("nearest counts: %d bins is not a whole number of rows of %d", len(bins), k)
	}
	counts := make([]float64, g.Q())
	for i := 0; i < len(bins); i += k {
		if bins[i] < 0 || int(bins[i]) >= g.Q() {
			return nil, fmt.Errorf("nearest counts: bin %d of row %d is outside [0, %d)", bins[i], i/k, g.Q())
		}
		counts[bins[i]]++
	}
	return counts, nil
}

// RebalanceWeights returns the class-rebalancing weights w [Q] of Zhang et al. 2016 (Eq. 3–4):
// the empirical distribution p of nearest bins (counts, from NearestCounts) smoothed by a
// Gaussian of σ = sigma (5) over the bin centres into p̃, then w ∝ ((1−λ)p̃ + λ/Q)⁻¹, scaled so
// that Σ_q p̃_q w_q = 1 (λ = 1/2 in Zhang et al.). ColorLoss applies them when given; rebalancing
// is off by default, because the paper learns features, not vivid colours.
func (g *Gamut) RebalanceWeights(counts []float64, sigma, lambda float64) ([]float32, error) {
	nq := g.Q()
	if len(counts) != nq {
		return nil, fmt.Errorf("rebalance: %d counts for %d bins", len(counts), nq)
	}
	if !(sigma > 0) || !(lambda >= 0 && lambda <= 1) {
		return nil, fmt.Errorf("rebalance: σ %g must be > 0 and λ %g in [0, 1] (Zhang et al.: 5 and 0.5)", sigma, lambda)
	}
	total := 0.0
	for q, c := range counts {
		if !(c >= 0) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("rebalance: count %g of bin %d must be finite and ≥ 0", c, q)
		}
		total += c
	}
	if total == 0 {
		return nil, fmt.Errorf("rebalance: all counts are 0; count the nearest bins of some training colours")
	}
	smooth, sum := make([]float64, nq), 0.0
	for q := range nq {
		for r, c := range counts {
			da := float64(g.Centers[2*q] - g.Centers[2*r])
			db := float64(g.Centers[2*q+1] - g.Centers[2*r+1])
			smooth[q] += c / total * math.Exp(-(da*da+db*db)/(2*sigma*sigma))
		}
		sum += smooth[q]
	}
	w, expect := make([]float64, nq), 0.0
	for q := range smooth {
		smooth[q] /= sum
		w[q] = 1 / ((1-lambda)*smooth[q] + lambda/float64(nq))
		expect += smooth[q] * w[q]
	}
	out := make([]float32, nq)
	for q := range w {
		out[q] = float32(w[q] / expect)
	}
	return out, nil
}
