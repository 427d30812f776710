// Package checkpoint saves and restores the variables of a GoMLX context so that a killed
// training run resumes exactly where it stopped, and never resumes from state that is not its
// own.
//
// A checkpoint directory holds:
//
//	origin.json        the run that owns the directory, written with its first checkpoint: its
//	                   stage, the settings that determine its result, CodeVersion; the commit
//	                   and date, for information
//	lock               locked (flock) by the process using the directory
//	ckpt-000007.bin    the variables' bytes, one after another
//	ckpt-000007.json   the manifest: each variable's scope, name, dtype, dimensions, offset,
//	                   length and trainable flag; the global step; the phase (Training,
//	                   Trained or Final); the data file's size and SHA-256
//
// Checkpoints are numbered in the order they were written. Save writes the data file and the
// manifest under temporary names, syncs them and renames them into place, the manifest last:
// a manifest on disk is the mark of a complete checkpoint. Only then are older checkpoints
// pruned (the newest Dir.Keep stay). A checkpoint whose data does not match its manifest
// (truncated, corrupt) is renamed to *.corrupt and the next older one is used.
//
// Loading puts every variable into the context at once, with its trainable flag, creating the
// ones the context lacks. Context parameters are not stored: the run's configuration is its
// code's, and Open checks it against origin.json instead.
//
// A run continued across machines carries its newest checkpoint between them as an exported
// folder, which stores that cap the size of a file (a git tree) take: Export writes the
// checkpoint's manifest as ckpt-000001.json, its data cut into ckpt-000001.bin.000, .001, …
// of at most DefaultPartBytes each (all but the last of one size), origin.json, and the run's
// other records it is asked for. An exported folder is not a checkpoint directory; Import
// joins the parts into a new one, checking the joined data against the manifest's size and
// SHA-256 and naming any part missing, extra or damaged, and the run opens that to resume.
//
// Directories written by GoMLX's own checkpoints package (checkpoint-*.json and .bin) can
// still be read by LoadLegacy, but not resumed.
package checkpoint
