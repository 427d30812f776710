package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/metric-transfer/mtlp/kernel"
)

// runner executes notebooks with Jupyter's nbconvert.
type runner struct {
	jupyter string        // the jupyter command: Debian's, not a pyenv shim
	kernel  string        // kernel spec name
	timeout time.Duration // per cell
	outDir  string        // where executed notebooks are written
}

// execute runs every cell of the notebook at path, headless, and returns
// the path of the executed copy. Errors inside cells do not stop the run
// (--allow-errors), so the copy shows every failing cell; check reads them.
// An error here means nbconvert itself failed: the kernel did not start,
// a cell ran past the timeout, the notebook is not valid.
func (r runner) execute(ctx context.Context, path string) (string, error) {
	if err := os.MkdirAll(r.outDir, 0o755); err != nil {
		return "", err
	}
	name := strings.TrimSuffix(filepath.Base(path), ".ipynb")
	out := filepath.Join(r.outDir, name+".ipynb")
	// A stale copy must never pass for this run's result.
	if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	secs := max(int(r.timeout.Seconds()), 1)
	cmd := exec.CommandContext(ctx, r.jupyter, "nbconvert",
		"--to", "notebook", "--execute", "--allow-errors",
		fmt.Sprintf("--ExecutePreprocessor.timeout=%d", secs),
		"--ExecutePreprocessor.kernel_name="+r.kernel,
		"--output-dir", r.outDir, "--output", name,
		path)
	// No browser runs the cells' JavaScript: widgets must not wait for one (kernel.Headless).
	cmd.Env = append(os.Environ(), kernel.EnvHeadless+"=1")
	// Interrupted, nbconvert shuts its kernel down; killed, it would leave it running.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s nbconvert failed: %w\n%s", r.jupyter, err, tail(log.String(), 60))
	}
	if _, err := os.Stat(out); err != nil {
		return "", fmt.Errorf("nbconvert wrote no %s:\n%s", out, tail(log.String(), 60))
	}
	return out, nil
}

// tail keeps the last n lines of s, where nbconvert puts the reason it failed.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
