//go:build cgo

package main

// The XLA backend ("xla": PJRT plugins for CPU or CUDA, opened with dlopen at run time) needs
// cgo; without it gpubench still builds, with the pure-Go backend alone.
import _ "github.com/gomlx/gomlx/backends/xla"
