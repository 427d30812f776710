package pipeline

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go backend, "go"
)

// DefaultCPUBackend is the pure-Go backend without a cap on its goroutines. With the default
// cap (twice the cores) GoMLX v0.26.0 can deadlock: a large matrix product waits for a worker
// while holding one, and on two cores the WRN-28-2 training step of batch 64 hung with every
// worker waiting. Uncapped, Conv-4 trains as fast (76 against 78 images/s) and WRN-28-2 does
// not hang (5.5 images/s; `gpubench -image 32x32x3 -batch 64`, 2-core machine).
const DefaultCPUBackend = "go:parallelism=-1"

// NewBackend returns the GoMLX backend that GOMLX_BACKEND selects, DefaultCPUBackend when it
// is unset or the bare "go" (which would take the capped default; a setting such as
// "go:parallelism=4" is kept as given). Plugin downloads are disabled (GOMLX_NO_AUTO_INSTALL)
// unless the caller set that variable.
func NewBackend() (backends.Backend, error) {
	if os.Getenv("GOMLX_NO_AUTO_INSTALL") == "" {
		_ = os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	}
	if b := os.Getenv("GOMLX_BACKEND"); b == "" || b == "go" {
		// Measured: Table 4's smoke notebook (Conv-4, the semi-supervised baselines) hung with
		// GOMLX_BACKEND=go on 2 cores, every worker waiting, as WRN-28-2 did.
		_ = os.Setenv("GOMLX_BACKEND", DefaultCPUBackend)
	}
	// The pure-Go backend announces a parallelism setting on stdout, which would end up in
	// every notebook and table; the setting is in GOMLX_BACKEND for whoever wants to see it.
	if strings.Contains(os.Getenv("GOMLX_BACKEND"), "parallelism") {
		if devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
			stdout := os.Stdout
			os.Stdout = devNull
			defer func() { os.Stdout = stdout; devNull.Close() }()
		}
	}
	b, err := backends.New()
	if err != nil {
		return nil, fmt.Errorf("GoMLX backend %q: %w", os.Getenv("GOMLX_BACKEND"), err)
	}
	return b, nil
}
