//go:build cgo

package main

// The XLA backend ("xla": PJRT plugins for CPU or CUDA, opened with dlopen at run time) needs
// cgo; without it gpubench still builds, with the pure-Go backend alone. xlabackend opens it
// with the client options of $MT_XLA_CLIENT (e.g. preallocate=false, for processes sharing a
// GPU).
import _ "github.com/metric-transfer/mtlp/lib/xlabackend"
