// Package artifact is a content-addressed cache of pipeline stage outputs on disk. A stage's
// output lives in a directory named by the hash of (stage, configuration, input keys, code
// version): a rerun with the same inputs finds it, a changed knob computes anew, and a killed
// run leaves no half-written entry, because an entry is built in a temporary directory and
// renamed into place only when complete.
package artifact
