//go:build cgo

package xlabackend

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

// TestRegistered: "xla" and its aliases open through New, which reads $MT_XLA_CLIENT before it
// looks for a plugin: a malformed value is refused naming the variable, under every name.
func TestRegistered(t *testing.T) {
	t.Setenv(Env, "preallocate")
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	for _, name := range Names {
		_, err := backends.NewWithConfig(name + ":cuda")
		if err == nil || !strings.Contains(err.Error(), "$"+Env) {
			t.Errorf("%s: error %v, want one naming $%s", name, err, Env)
		}
	}
}
