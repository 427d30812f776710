// Package repro runs the paper's experiments as chains of cached stages, with provenance.
//
// The engine (engine.go, stages.go) keeps apart what is hashed from what is not:
//   - Env is where a run happens and how it reports (backend, directories, progress, command);
//     nothing in it enters a cache key.
//   - A table's configuration (Table2Config, …) is what it computes; NameConfigFor gives the
//     defaults of a scale (Smoke, Small, Bench, Paper).
//   - The stages every table is made of have one key scheme each, so that a stage asked for by
//     two tables is computed once: pretrain a metric (its network kept), embed images in it,
//     measure it by kNN, read a released metric's features, propagate labels, train a
//     classifier, train a semi-supervised baseline.
//   - transferRun is the grid of the tables whose cells train a classifier on a pool's labels
//     with a metric carried over by finetuning or propagation (Tables 2 to 6).
//
// Each table is a file: its rows and the paper's numbers, its configuration and defaults per
// scale, its Run function over the shared stages, and a result (tableN_result.go) that embeds
// RunInfo and implements Result: BesidePaper, Note, Figure and Publish. Tables lists them by
// number for mt repro, with Options, the command line's overrides. Adding a table is one such
// file and one entry in Tables.
//
// quickstart.go is the whole method end to end at a small scale, one stage per notebook cell:
// instance-discrimination metric → label propagation by nearest neighbours and by spectral
// embedding → confidence-weighted classifiers, beside a classifier trained on the labels alone.
package repro
