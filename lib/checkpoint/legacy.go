package checkpoint

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// legacyPattern matches the manifests of GoMLX's checkpoints package.
const legacyPattern = "checkpoint-*.json"

// isLegacy reports whether name is a file of GoMLX's checkpoints package.
func isLegacy(name string) bool {
	return strings.HasPrefix(name, "checkpoint-") && (strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".bin"))
}

// IsLegacy reports whether path holds checkpoints written by GoMLX's checkpoints package and
// none of this package's.
func IsLegacy(path string) bool {
	legacy, _ := filepath.Glob(filepath.Join(path, legacyPattern))
	ours, _ := manifests(path)
	return len(legacy) > 0 && len(ours) == 0
}

// LoadLegacy puts the variables of the newest GoMLX checkpoint in path into ctx at once. Its
// context parameters are not restored: the configuration is the reader's.
func LoadLegacy(ctx *context.Context, path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("loading the GoMLX checkpoint in %s: %v", path, r)
		}
	}()
	if _, err := checkpoints.Load(ctx).Dir(path).Immediate().ExcludeAllParams().Done(); err != nil {
		return fmt.Errorf("loading the GoMLX checkpoint in %s: %w", path, err)
	}
	return nil
}
