// Package metric learns the similarity metric of §3.1 of the paper. This version has
// unsupervised instance discrimination (Wu et al. 2018, Eq. 2): every training image is its own
// class, represented by a memory bank of L2-normalised embeddings, and the network learns to
// pick its own entry out of the bank, either by the full non-parametric softmax or by noise-
// contrastive estimation (NCE) against sampled negatives.
package metric
