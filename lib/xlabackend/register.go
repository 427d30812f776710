//go:build cgo

package xlabackend

import (
	"fmt"
	"os"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
)

// Names are the backend names GoMLX registers its XLA backend under, which this package
// registers New under in their place.
var Names = []string{xla.BackendName, "stablehlo", "hlo", "shlo"}

func init() {
	for _, name := range Names {
		backends.Register(name, New)
	}
}

// New opens the XLA backend with config (GoMLX's: the plugin's name or absolute path, then
// plugin flags such as ",tf32") and the client options of $MT_XLA_CLIENT (ParseOptions).
func New(config string) (backends.Backend, error) {
	opts, err := ParseOptions(os.Getenv(Env))
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", Env, err)
	}
	if len(opts) == 0 {
		return xla.New(config)
	}
	b, err := xla.NewWithOptions(config, pjrt.NamedValuesMap(opts))
	if err != nil {
		return nil, fmt.Errorf("XLA backend %q with the client options of $%s (%s): %w", config, Env, os.Getenv(Env), err)
	}
	return b, nil
}
