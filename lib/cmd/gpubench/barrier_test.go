package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/errtest"
)

func TestNewBarrierSpec(t *testing.T) {
	for _, tc := range []struct{ spec, err string }{
		{"/tmp/x:2", ""},
		{"/tmp/x", "want DIR:N"},
		{":2", "want DIR:N"},
		{"/tmp/x:0", "N must be"},
		{"/tmp/x:two", "N must be"},
	} {
		_, err := newBarrier(tc.spec, time.Second)
		errtest.Want(t, err, tc.err)
	}
}

// TestBarrier: waits of one barrier return together once all have arrived; with one missing,
// a wait fails at its timeout saying how many were ready. (The processes' files are named by
// pid, so the goroutines of one test use a folder each and share it by hand.)
func TestBarrier(t *testing.T) {
	dir := t.TempDir()
	wait, err := newBarrier(dir+":1", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatalf("alone: %v", err)
	}
	short, err := newBarrier(filepath.Join(dir, "two")+":2", 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := short(); err == nil || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("one of two: %v after %v, want a timeout", err, time.Since(start))
	}
	errtest.Want(t, short(), "1 of 2 processes ready")

	// Another process's file arriving late releases the wait.
	late, err := newBarrier(filepath.Join(dir, "late")+":2", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var got error
	wg.Add(1)
	go func() { defer wg.Done(); got = late() }()
	time.Sleep(30 * time.Millisecond)
	writeReady(t, filepath.Join(dir, "late"), 1)
	wg.Wait()
	if got != nil {
		t.Fatalf("released wait: %v", got)
	}
}

// writeReady leaves the file of a process other than this one (by a made-up pid) in dir.
func writeReady(t *testing.T, dir string, other int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("ready-other-%d", other)), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}
