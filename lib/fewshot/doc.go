// Package fewshot evaluates semi-supervised few-shot recognition, the protocol of §4.3 and
// Table 7 of "Deep Metric Transfer for Label Propagation with Limited Annotated Data" (after
// Ren et al. 2018):
//
//   - every test class's images are split into a labeled part (40 %) and an unlabeled part
//     (60 %) once (NewSplit);
//   - an episode (Sample) draws N test classes, K support and Q query images per class from
//     their labeled parts, and takes as the unlabeled pool every unlabeled image of every test
//     class, the N episode classes and all the others (distractors) alike;
//   - a method classifies the queries: the SNCA baseline by weighted nearest neighbours among
//     the support set (NearestNeighbour), ours by propagating the support labels over the
//     pool (Propagator, Eq. 6), weighting each pseudo label by its confidence (Eq. 8–9) and
//     training a classifier on support and pseudo labels with the loss of Eq. 10 (a
//     Finetuner; HeadFinetuner trains a linear softmax head on the frozen features);
//   - accuracies are averaged over episodes with a 95 % interval (Summarize).
//
// Everything works on a feature matrix (propagate.Matrix, one L2-normalised row per image of
// the test classes): the metric that produced it is the caller's business.
package fewshot
