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
// PJRT expects: true and false are booleans, whole numbers int64, other numbers float32,
// anything else a string; "memory_fraction" is always a float32 and "visible_devices" a list
// of int64 separated by semicolons ("0;1"), as the CUDA plugin checks. An empty value gives no
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
		v, err := typed(name, value)
		if err != nil {
			return nil, fmt.Errorf("option %q: %w", pair, err)
		}
		opts[name] = v
	}
	return opts, nil
}

// typed is an option's value in the type PJRT expects (see ParseOptions).
func typed(name, v string) (any, error) {
	switch name {
	case "memory_fraction":
		f, err := strconv.ParseFloat(v, 32)
		if err != nil || !(f > 0 && f <= 1) {
			return nil, fmt.Errorf("want a fraction in (0, 1]")
		}
		return float32(f), nil
	case "visible_devices":
		var ids []int64
		for _, s := range strings.Split(v, ";") {
			id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || id < 0 {
				return nil, fmt.Errorf("want device numbers separated by semicolons, e.g. 0;1")
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i, nil
	}
	if f, err := strconv.ParseFloat(v, 32); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return float32(f), nil
	}
	return v, nil
}
