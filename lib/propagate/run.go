package propagate

import (
	"cmp"
	"fmt"
	"math"
)

// Method is a label-propagation algorithm of §3.2.
type Method string

// The two propagation methods of §3.2.
const (
	NearestNeighbour Method = "nn"       // Eq. 5, one-step weighted voting
	Spectral         Method = "spectral" // Eq. 6, constrained spectral embedding
)

// Config holds the settings of Run. DefaultConfig gives the paper's and the authors' values; a
// zero field means that default, a negative one is an error.
type Config struct {
	Method Method
	// GraphK is the kNN graph size, the row itself included [20] (authors' notebooks/nc.ipynb).
	GraphK int
	// GraphTemperature T of the affinity w = exp(−(1−cos)/T) [0.2]; the authors write
	// d = (1−cos)/2, w = exp(−2d/0.2), the same thing.
	GraphTemperature float64
	// Eta is η of Eq. 6, the eigenpairs computed, the trivial one included [200]. It is capped
	// at N, so at most N−1 eigenpairs remain once the trivial one is dropped.
	Eta int
	// VoteK caps the voters of Eq. 5: K = min(n_labelled, VoteK) [200].
	VoteK int
	// VoteTemperature T of the vote weight exp(cos/T) [0.1].
	VoteTemperature float64
	// ConfidenceScale is σ of Eq. 8, which multiplies the logits [40]; see Softmax.
	ConfidenceScale float64
	// Eigen tunes the eigensolver of the spectral method.
	Eigen EigenOptions
	// Chunks splits the spectral method's unlabelled rows into this many chunks, each
	// propagated on its own graph together with every labelled row (see ChunkRows); 0 or 1
	// means one graph. The paper splits ImageNet into 10 chunks to make spectral clustering
	// affordable. Nearest-neighbour voting is already row by row and ignores it.
	Chunks int
	// ChunkSeed seeds the assignment of unlabelled rows to chunks.
	ChunkSeed uint64
}

// DefaultConfig returns the paper's settings for method m: η = 200 and σ = 40 (§4), and the
// authors' K = 20 graph with T = 0.2, and 200 voters with T = 0.1.
func DefaultConfig(m Method) Config {
	return Config{
		Method:           m,
		GraphK:           20,
		GraphTemperature: 0.2,
		Eta:              200,
		VoteK:            200,
		VoteTemperature:  0.1,
		ConfidenceScale:  40,
	}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig(c.Method)
	switch c.Method {
	case NearestNeighbour, Spectral:
	default:
		return c, fmt.Errorf("propagate: Config.Method %q is not %q or %q", c.Method, NearestNeighbour, Spectral)
	}
	if c.GraphK < 0 || c.Eta < 0 || c.VoteK < 0 || c.Chunks < 0 || !(c.GraphTemperature >= 0) || !(c.VoteTemperature >= 0) || !(c.ConfidenceScale >= 0) {
		return c, fmt.Errorf("propagate: Config has a negative or NaN field: %+v", c)
	}
	c.GraphK, c.GraphTemperature, c.Eta = cmp.Or(c.GraphK, d.GraphK), cmp.Or(c.GraphTemperature, d.GraphTemperature), cmp.Or(c.Eta, d.Eta)
	c.VoteK, c.VoteTemperature = cmp.Or(c.VoteK, d.VoteK), cmp.Or(c.VoteTemperature, d.VoteTemperature)
	c.ConfidenceScale = cmp.Or(c.ConfidenceScale, d.ConfidenceScale)
	return c, nil
}

// Result is the outcome of Run.
type Result struct {
	// Labels is the pseudo label of every row (Eq. 7); labelled rows keep their given label.
	Labels []int32
	// Confidence is α of Eq. 9 for every row; labelled rows get 1.
	Confidence []float32
	// Score is −log(1−α) for every row (see ConfidenceScore): Confidence's order without its
	// saturation at 1, for ranking (Figure 3, Table 1); labelled rows get +Inf.
	Score []float64
	// Logits is the N×C matrix before Eq. 8: Eq. 5 vote shares for NearestNeighbour, the
	// column-normalised Eq. 6 propagation for Spectral.
	Logits Matrix
	// Eigenvalues are the spectral method's smallest Laplacian eigenvalues used by Eq. 6: η
	// of them, fewer when η would end inside a repeated eigenvalue (see wholeEigenspaces); nil
	// for NN.
	Eigenvalues []float64
	// Components is the number of connected components of the spectral kNN graph (0 for NN).
	Components int
	// TiedRows counts the rows whose graph neighbours were cut among equally similar rows, so
	// that the row order picked some of them (0 for NN, which lets all tied voters vote). It is
	// harmless within a class, but if many rows tie, the features hardly separate them.
	TiedRows int
	// tied marks those rows (spectral method only), for runChunked to count each row once.
	tied []bool
}

// Run propagates labels over the rows of x: labelled[i] is a row index whose class is
// labels[i] in [0, numClasses). x is L2-normalised first (a copy). progress, which may be nil,
// receives (stage, done, total) for the stages "knn", "eigen" and "vote", at most a few
// hundred times each.
//
// Bad input returns an error naming the problem: a NaN/Inf or all-zero feature row, rows that
// all point the same way, mismatched or empty labels, a row index or class out of range, a row
// labelled twice, a class without any label, fewer than two classes, GraphK ≥ N.
func Run(x Matrix, labelled []int, labels []int32, numClasses int, cfg Config, progress func(stage string, done, total int)) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	xn, err := Normalize(x)
	if err != nil {
		return nil, err
	}
	if err := checkLabels(x.N, labelled, labels, numClasses); err != nil {
		return nil, err
	}
	if err := checkSpread(xn); err != nil {
		return nil, err
	}
	res := &Result{}
	switch cfg.Method {
	case NearestNeighbour:
		res.Logits, err = Vote(xn, labelled, labels, numClasses, cfg.VoteK, cfg.VoteTemperature, progress)
		if err != nil {
			return nil, err
		}
	case Spectral:
		if cfg.Chunks > 1 {
			err = runChunked(xn, labelled, labels, numClasses, cfg, progress, res)
		} else {
			err = runSpectral(xn, labelled, labels, numClasses, cfg, progress, res)
		}
		if err != nil {
			return nil, err
		}
	}
	res.Confidence = Confidence(res.Logits, cfg.ConfidenceScale)
	res.Score = ConfidenceScore(res.Logits, cfg.ConfidenceScale)
	res.Labels = make([]int32, x.N)
	for i := range res.Labels {
		res.Labels[i] = int32(Argmax(res.Logits.Row(i)))
	}
	for t, i := range labelled {
		res.Labels[i] = labels[t]
		res.Confidence[i] = 1
		res.Score[i] = math.Inf(1)
	}
	return res, nil
}

func runSpectral(xn Matrix, labelled []int, labels []int32, numClasses int, cfg Config, progress func(string, int, int), res *Result) error {
	g, tied, err := knnTied(xn, cfg.GraphK, progress)
	if err != nil {
		return err
	}
	res.tied = tied
	for _, t := range tied {
		if t {
			res.TiedRows++
		}
	}
	w, err := Affinity(g, cfg.GraphTemperature)
	if err != nil {
		return err
	}
	_, res.Components = Components(w)
	eo := cfg.Eigen
	if eo.Progress == nil && progress != nil {
		eo.Progress = func(done, total int) { progress("eigen", done, total) }
	}
	res.Logits, res.Eigenvalues, err = propagateGraph(w, labelled, labels, numClasses, cfg.Eta, eo)
	return err
}

// propagateGraph is Eq. 6 on the affinity graph w: the smallest eigenpairs of its Laplacian,
// η of them or fewer to keep whole eigenspaces (see wholeEigenspaces), the degree-balanced
// prior and the propagated logits. It returns the logits and the eigenvalues used.
func propagateGraph(w *Sparse, labelled []int, labels []int32, numClasses, eta int, eo EigenOptions) (Matrix, []float64, error) {
	eta = min(eta, w.N)
	// One pair more than η, to see whether the η-th eigenvalue repeats beyond it.
	values, vectors, err := SmallestEigen(w, min(eta+1, w.N), eo)
	if err != nil {
		return Matrix{}, nil, err
	}
	values, vectors = wholeEigenspaces(values, vectors, eta)
	q, err := SpectralPrior(w.Degree(), labelled, labels, numClasses)
	if err != nil {
		return Matrix{}, nil, err
	}
	logits, err := SpectralLogits(values, vectors, q)
	if err != nil {
		return Matrix{}, nil, err
	}
	out := NewMatrix(w.N, numClasses)
	for i := 0; i < w.N; i++ {
		row := out.Row(i)
		for c := range row {
			row[c] = float32(logits.At(i, c))
		}
	}
	return out, values, nil
}

// checkLabels validates the labelled set against N rows and numClasses classes.
func checkLabels(n int, labelled []int, labels []int32, numClasses int) error {
	if len(labelled) != len(labels) {
		return fmt.Errorf("propagate: %d labelled row indices but %d labels; they must pair up", len(labelled), len(labels))
	}
	if len(labelled) == 0 {
		return fmt.Errorf("propagate: no labelled rows; give at least one label per class")
	}
	if numClasses < 2 {
		return fmt.Errorf("propagate: numClasses = %d; propagation needs at least two classes", numClasses)
	}
	seen := make(map[int]int, len(labelled))
	count := make([]int, numClasses)
	for t, i := range labelled {
		if i < 0 || i >= n {
			return fmt.Errorf("propagate: labelled[%d] = %d is not a row index in [0, %d)", t, i, n)
		}
		if prev, ok := seen[i]; ok {
			return fmt.Errorf("propagate: row %d is labelled twice (labelled[%d] and labelled[%d])", i, prev, t)
		}
		seen[i] = t
		if labels[t] < 0 || int(labels[t]) >= numClasses {
			return fmt.Errorf("propagate: labels[%d] = %d (row %d) is outside [0, %d)", t, labels[t], i, numClasses)
		}
		count[labels[t]]++
	}
	for c, k := range count {
		if k == 0 {
			return fmt.Errorf("propagate: class %d has no labelled row; every class in [0, %d) needs at least one", c, numClasses)
		}
	}
	return nil
}

// Argmax returns the index of the largest value of v, the first one on ties; a NaN loses to
// any number. It labels a row of logits (Eq. 7) and a row of votes.
func Argmax[T float32 | float64](v []T) int {
	best := 0
	for c := 1; c < len(v); c++ {
		if v[c] > v[best] || (v[best] != v[best] && v[c] == v[c]) {
			best = c
		}
	}
	return best
}
