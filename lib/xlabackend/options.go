// Package xlabackend opens GoMLX's XLA backend (a PJRT plugin: CUDA, or CPU) with the PJRT
// client options that $MT_XLA_CLIENT gives. GoMLX's own constructor passes none, so the CUDA
// plugin reserves most of the GPU's memory for the first process that opens it and a second
// process on the same GPU runs out; with MT_XLA_CLIENT="preallocate=false" (or
// "memory_fraction=0.3") several processes can share one GPU, each training one model.
//
// Importing the package (for its side effect, in a cgo build) replaces the constructor that
// GoMLX registers for "xla" and its aliases; without $MT_XLA_CLIENT the backend is opened
// exactly as GoMLX opens it. The options parser builds without cgo.
package xlabackend

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Env names the environment variable with the PJRT client options: comma-separated
// name=value pairs, such as "preallocate=false,memory_fraction=0.3" (the CUDA plugin's
// options also include "allocator", e.g. "platform" or "cuda_async", and "visible_devices").
const Env = "MT_XLA_CLIENT"

// ParseOptions parses Env's value into the options of a PJRT client, each value typed as
// PJRT expects: true and false are booleans, whole numbers int64, other numbers float32
// (the PJRT type of "memory_fraction"), anything else a string. An empty value gives no
// options.
func ParseOptions(s string) (map[string]any, error) {
	opts := map[string]any{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || value == "" {
			return nil, fmt.Errorf("option %q: want name=value, e.g. preallocate=false", pair)
		}
		if _, dup := opts[name]; dup {
			return nil, fmt.Errorf("option %q given twice", name)
		}
		opts[name] = typed(value)
	}
	return opts, nil
}

// typed is an option's value in the type PJRT expects (see ParseOptions).
func typed(v string) any {
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(v, 32); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return float32(f)
	}
	return v
}
