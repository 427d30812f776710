// Package repro runs the paper's experiments as chains of cached stages. quickstart.go is the
// whole method end to end at a small scale: instance-discrimination metric → label propagation
// by nearest neighbours and by spectral embedding → confidence-weighted classifiers, beside a
// classifier trained on the labels alone.
package repro
