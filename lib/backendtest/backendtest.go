// Package backendtest gives tests a GoMLX backend: the pure-Go one, with plugin downloads off.
package backendtest

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go backend, "go"
)

// New returns the pure-Go backend configured by config ("go", or e.g. "go:ops_sequential"),
// failing the test when it cannot be created. The bare "go" is run without a cap on its
// goroutines ("go:parallelism=-1"): with GoMLX v0.26.0's default cap, a large matrix product
// can wait for a worker while holding one, and on 2 cores training steps hung.
func New(t testing.TB, config string) backends.Backend {
	t.Helper()
	if config == "go" {
		config = "go:parallelism=-1"
	}
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	t.Setenv("GOMLX_BACKEND", config)
	b, err := backends.New()
	if err != nil {
		t.Fatalf("GoMLX backend %q: %v", config, err)
	}
	return b
}
