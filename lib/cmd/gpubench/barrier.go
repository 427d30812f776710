package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// barrierTimeout bounds the wait for the other processes of a -barrier: one that failed before
// it arrived (out of memory, say) must not hold the others for long on a lent GPU.
const barrierTimeout = 3 * time.Minute

// newBarrier parses -barrier's "DIR:N" and returns the wait: it leaves a file of this process
// in DIR (made if missing) and returns once N such files are there, or fails after timeout, so
// that N processes sharing a GPU start their timed steps together, each after its own warm-up.
func newBarrier(spec string, timeout time.Duration) (func() error, error) {
	i := strings.LastIndex(spec, ":")
	if i <= 0 {
		return nil, fmt.Errorf("-barrier %q: want DIR:N, e.g. /tmp/cells:4", spec)
	}
	dir := spec[:i]
	n, err := strconv.Atoi(spec[i+1:])
	if err != nil || n < 1 {
		return nil, fmt.Errorf("-barrier %q: N must be a whole number ≥ 1", spec)
	}
	return func() error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("-barrier: %w", err)
		}
		mine := filepath.Join(dir, fmt.Sprintf("ready-%d", os.Getpid()))
		if err := os.WriteFile(mine, nil, 0o644); err != nil {
			return fmt.Errorf("-barrier: %w", err)
		}
		deadline := time.Now().Add(timeout)
		for {
			ready, err := filepath.Glob(filepath.Join(dir, "ready-*"))
			if err != nil {
				return fmt.Errorf("-barrier: %w", err)
			}
			if len(ready) >= n {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("-barrier %s: %d of %d processes ready after %v", spec, len(ready), n, timeout)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}, nil
}

// unixSeconds is t in seconds since 1970.
func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
