// Package quickstart is the whole method end to end at a small scale, one stage per notebook
// cell (notebooks/00_quickstart.ipynb, mt quickstart): an instance-discrimination metric on
// Fashion-MNIST's pool (or the release that transfers one), label propagation by nearest
// neighbours (Eq. 5) and by spectral embedding (Eq. 6), and confidence-weighted classifiers
// (Eq. 10), beside a classifier trained on the labels alone. Each stage is one of package
// pipeline's, cached with the tables' keys: New draws the data, then Features, Quality,
// Propagate and Classifier run one stage each, and Run all of them into a Result.
package quickstart
