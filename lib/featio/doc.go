// Package featio reads and writes the files that carry features and labels in and out of
// propagation: N×D float32 NumPy arrays (.npy) of features, CSV files of labels
// (header "index,label") and of pseudo labels (header "index,label,confidence").
//
// Readers never trust their input: a malformed, truncated or hostile file returns an error
// that names the problem (and the CSV line), never a panic or a huge allocation; the fuzz
// tests hold them to that. Writers go through atomicfile.Write, so a failed write leaves no
// half-written file behind and only a regular file is ever replaced. A command checks its
// output with CheckOutput before its work starts (a device, a FIFO, a directory, a link it was
// not asked to follow, a folder it cannot write are refused; "-" is standard output) and
// writes it with Output.Write at the end.
package featio
