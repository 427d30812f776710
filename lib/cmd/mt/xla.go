//go:build cgo

package main

// The XLA backend (GOMLX_BACKEND=xla:/abs/path/xla_cuda_plugin.so for a PJRT CUDA plugin) needs
// cgo; without cgo mt still builds, with the pure-Go backend alone.
import _ "github.com/gomlx/gomlx/backends/xla"
