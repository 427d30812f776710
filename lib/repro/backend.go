package repro

import (
	"fmt"
	"os"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go backend, "go"
)

// NewBackend returns the GoMLX backend that GOMLX_BACKEND selects, the pure-Go backend ("go")
// when it is unset. Plugin downloads are disabled (GOMLX_NO_AUTO_INSTALL) unless the caller
// set that variable.
func NewBackend() (backends.Backend, error) {
	if os.Getenv("GOMLX_NO_AUTO_INSTALL") == "" {
		_ = os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	}
	if os.Getenv("GOMLX_BACKEND") == "" {
		_ = os.Setenv("GOMLX_BACKEND", "go")
	}
	b, err := backends.New()
	if err != nil {
		return nil, fmt.Errorf("GoMLX backend %q: %w", os.Getenv("GOMLX_BACKEND"), err)
	}
	return b, nil
}
