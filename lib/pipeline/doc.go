// Package pipeline runs the method's stages as cached, resumable computations: pretrain a
// metric (its network kept), embed images in it, measure it by kNN, read a released metric's
// features, propagate labels in it, and train a classifier on the labels and the
// confidence-weighted pseudo labels. The paper's tables (package repro) are grids of these
// stages.
//
// It keeps apart what is hashed from what is not:
//   - Env is where a run happens and how it reports: the backend, the data, cache and checkpoint
//     directories, the progress, the command line, a pause for runs longer than a machine's
//     slice. Nothing in it enters a cache key, so changing it never changes a number.
//   - Each stage (Run.Pretrain, Run.Embed, Run.KNN, Run.Released, Run.Propagate, Run.Classify,
//     or Stage for a table's own) is keyed by its settings and its inputs' keys alone, so that
//     a stage asked for by two tables is computed once, and read back from the cache (package
//     artifact) by the next run.
//
// A Run is one run of a table: Env.Open starts it, its stages record their timing (Timed), and
// Run.Info gives the RunInfo with the Provenance every result embeds. Split and Pool are the
// data a run draws (DrawPool: a seeded class-balanced pool and its nested label subsets), Grid
// is every table's loop over its columns and rows (a transfer table's rows are Row values: a metric
// and its Transfer, read by ParseRows, checked by CheckRows, budgeted by GridShare), and
// ExportState and ImportState carry a paused run to another machine.
package pipeline
