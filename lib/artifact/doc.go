// Package artifact is a content-addressed cache of pipeline stage outputs on disk. A stage's
// output lives in a directory named by the hash of (stage, configuration, input keys, code
// version): a rerun with the same inputs finds it, a changed knob computes anew, and a killed
// run leaves no half-written entry, because an entry is built in a temporary directory and
// renamed into place only when complete and flushed to the disk.
//
// The cache is never trusted blindly: each entry lists its files with their sizes and SHA-256
// sums, checked whenever the entry is read, and an entry that differs (a file garbled,
// truncated, missing or added, no list at all) is moved aside and computed anew. Processes
// and goroutines sharing a cache build each key once, under the key's lock, and what a killed
// process leaves behind is swept.
package artifact
