// Package kernel is the notebook side of the project: it shows tables,
// plots, Markdown and live progress inline in a GoNB (Go Jupyter kernel)
// notebook through gonbui, and falls back to plain text on a terminal, so
// the same call works in a notebook, in `go test` and in the headless
// command line. What every notebook's cells share is here too: Must stops
// a cell on an error, and FiguresDir finds the repository's figures/ folder.
//
// Nothing under lib/ imports this package: library code reports progress
// through a plain func(stage string, done, total int) callback, which
// (*Progress).Func adapts.
//
// Its commands are kernel/cmd/nbinstall, which writes the GoNB kernel spec
// for Jupyter, and kernel/cmd/nbrun, which executes notebooks headless and
// checks their outputs (what `make test` runs).
package kernel
