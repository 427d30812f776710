// Package repro computes the paper's tables and figures, each beside the paper's numbers, as
// grids of the stages of package pipeline (which keeps the environment apart from what is
// hashed, and gives a stage one key whichever table asks for it).
//
// Each table is a file: its rows and the paper's numbers, its configuration and defaults per scale
// (NameConfigFor: Smoke, Small, Bench, Paper), its Run function over the stages, and a result
// (tableN_result.go) that embeds pipeline.RunInfo and implements Result: BesidePaper, Note, Figure
// and Publish. The tables whose cells train a classifier on a pool's labels with a metric carried
// over by finetuning or propagation (Tables 2 to 6) run on pipeline.TransferRun. Tables lists them
// by number for mt repro, with Options, the command line's overrides. Adding a table is one such
// file and one entry in Tables. The figures (figureN.go) are drawn from the same stages as Table
// 1, or from its results.
package repro
