//go:build cgo

package main

// The XLA backend (GOMLX_BACKEND=xla:/abs/path/xla_cuda_plugin.so for a PJRT CUDA plugin) needs
// cgo; without cgo mt still builds, with the pure-Go backend alone. xlabackend opens it with
// the client options of $MT_XLA_CLIENT (e.g. preallocate=false, for processes sharing a GPU).
import _ "github.com/metric-transfer/mtlp/lib/xlabackend"
