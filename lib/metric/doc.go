// Package metric learns the similarity metric of §3.1 of the paper:
//
//   - unsupervised instance discrimination (Wu et al. 2018, Eq. 2): every training image is its
//     own class, represented by a memory bank of L2-normalised embeddings, and the network
//     learns to pick its own entry out of the bank, either by the full non-parametric softmax
//     or by noise-contrastive estimation (NCE) against sampled negatives;
//   - supervised neighbourhood component analysis (scalable NCA, Wu et al. 2018, Eq. 4): the
//     same memory bank, with the likelihood of picking any entry of the image's own class;
//   - self-supervised colorization (Zhang et al. 2016, Eq. 3): the L channel of CIE Lab in,
//     a distribution over quantised ab bins out, soft-encoded targets and a three-layer head
//     on the backbone;
//   - bootstrapping: cross-entropy on the few labels alone.
//
// Each objective is one entry of the table in objective.go (its defaults, its trainer and its
// features); Pretrain, DefaultPretrainConfig and LoadPretrained look the method up there, so a
// new objective is one entry. Backbones come from nets.Networks by name.
package metric
