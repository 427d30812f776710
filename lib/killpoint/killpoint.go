// Package killpoint kills the process at a chosen point of its work, when the environment asks
// for it, so that tests can check that every long stage resumes exactly after a kill anywhere:
// between training steps, in the middle of writing a checkpoint, during the passes that follow
// training, while a cache entry is being renamed into place.
//
// Code marks its points with Hit. With neither variable below set, Hit costs an atomic load.
//
//	MT_KILL_TRACE=FILE   append "N NAME" to FILE at every point reached (N counts from 1)
//	MT_KILL_AT=N         SIGKILL the process at the N-th point reached
//	MT_KILL_AT=N:TEXT    … at the N-th point whose name contains TEXT
//
// A kill by this package is a real SIGKILL: no deferred function runs, no file is closed or
// flushed, exactly as when a machine's time limit ends a run.
package killpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Environment variables read once, at the first Hit.
const (
	EnvKillAt = "MT_KILL_AT"
	EnvTrace  = "MT_KILL_TRACE"
)

var (
	once    sync.Once
	active  atomic.Bool
	mu      sync.Mutex
	hits    int
	matches int
	killAt  int
	match   string
	trace   *os.File
)

func setup() {
	if spec := os.Getenv(EnvKillAt); spec != "" {
		n, text, _ := strings.Cut(spec, ":")
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 {
			fmt.Fprintf(os.Stderr, "killpoint: ignoring %s=%q: want N or N:TEXT with N ≥ 1\n", EnvKillAt, spec)
		} else {
			killAt, match = v, text
			active.Store(true)
		}
	}
	if path := os.Getenv(EnvTrace); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "killpoint: %s: %v\n", EnvTrace, err)
		} else {
			trace = f
			active.Store(true)
		}
	}
}

// Hit marks the point name: it is traced, and the process is killed there if MT_KILL_AT
// selects it. Names say where the work is ("fit: step done", "checkpoint: data half written").
func Hit(name string) {
	once.Do(setup)
	if !active.Load() {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	hits++
	if trace != nil {
		fmt.Fprintf(trace, "%d %s\n", hits, name)
	}
	if killAt == 0 || !strings.Contains(name, match) {
		return
	}
	if matches++; matches == killAt {
		if trace != nil {
			fmt.Fprintf(trace, "killed at %d %s\n", hits, name)
		}
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way; nothing more may happen here
	}
}
