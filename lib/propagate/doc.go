// Package propagate spreads a few labels over a feature matrix, the label-propagation step of
// "Deep Metric Transfer for Label Propagation with Limited Annotated Data" (§3.2–3.3).
//
// Two propagation methods are offered, both working on cosine similarity of L2-normalised
// feature rows:
//
//   - NearestNeighbour (Eq. 5): every row votes with its K most similar labelled rows, weighted
//     exp(cos/0.1) and divided by the number of labels of each class.
//   - Spectral (Eq. 6): a kNN graph (K 20, self included) with affinity exp(-(1-cos)/0.2),
//     symmetrised; the η (200) smallest eigenpairs of its normalised Laplacian
//     L_sym = I − D^-1/2 W D^-1/2; the trivial pair dropped; labels propagated through
//     W' = Σ_j e_j e_jᵀ/λ_j from a degree-balanced ±1 prior, as the authors' notebooks do.
//
// Both produce per-row logits; Eq. 7 takes the argmax as the pseudo label and Eq. 8–9 turn the
// logits into a confidence α = top-1 − top-2 of softmax(σ·z), σ = 40. Labelled rows keep their
// label with confidence 1. AccumulatedAccuracy and MeanAveragePrecision measure the pseudo
// labels the way the paper's Figure 3 and Table 1 do.
//
// For large N the spectral method can run in chunks (Config.Chunks, as the paper does for
// ImageNet with 10): the unlabelled rows are dealt into chunks, each propagated on its own graph
// with all the labelled rows (ChunkRows).
//
// Run is the entry point; KNN, Affinity, SmallestEigen, Vote, SpectralLogits and Confidence
// are its stages, exported so that notebooks and tests can look at each one.
//
// Memory and time: the kNN graph is built from blocked X·Xᵀ products with a running top-k per
// row, so memory is O(N·K), never N×N. The eigenpairs come from a dense solver for small
// connected components and from a thick-restart Lanczos solver with full reorthogonalisation
// on the sparse Laplacian otherwise (see SmallestEigen). For N = 10,000, D = 128, η = 200
// Run takes a few seconds on two cores (BenchmarkRunSpectral10k).
//
// Ties: when more rows are equally similar than K or k places allow (duplicates, collapsed
// features), which of them count must not depend on the row numbering. Vote lets all tied
// voters vote; the spectral method keeps only whole eigenspaces of the Laplacian, since ties
// make rows interchangeable and their eigenvalue repeated, and reports the rows whose graph
// neighbours ties cut (Result.TiedRows); Run refuses rows that all point the same way. See
// ties.go.
//
// Disconnected graphs: each connected component contributes an exact zero eigenvalue whose
// eigenvector is that component's D^1/2·1. With one component this is the trivial pair the paper
// drops (Eq. 6 sums from j = 2). With several, labels cannot cross components, and
// SpectralLogits gives the null space a large finite weight instead of 1/0 (see there); rows in
// a component without any labelled row get logits near zero and confidence near zero.
package propagate
