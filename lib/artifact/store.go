package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// CodeVersion is part of every key: change it when a stage's code changes its output, so old
// cache entries stop matching.
const CodeVersion = "4"

// EnvCacheDir names the environment variable that overrides the default cache directory.
const EnvCacheDir = "MT_CACHE_DIR"

// DefaultDir returns $MT_CACHE_DIR, or $XDG_CACHE_HOME/mtlp/artifacts (~/.cache/mtlp/artifacts).
func DefaultDir() string {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "mtlp", "artifacts")
}

// Store is a cache directory.
type Store struct {
	Dir string
}

// Open returns the store in dir ("" means DefaultDir()), creating the directory.
func Open(dir string) (*Store, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("artifact cache: creating %s: %w (set %s to a writable directory)", dir, err, EnvCacheDir)
	}
	return &Store{Dir: dir}, nil
}

// Key returns the cache key of a stage run: a hash of the stage name, its configuration (as
// JSON), the keys of its inputs and CodeVersion. The stage name leads the key, so entries are
// easy to tell apart on disk.
func Key(stage string, config any, inputs ...string) (string, error) {
	cfg, err := json.Marshal(config)
	if err != nil {
		return "", fmt.Errorf("artifact key for %s: encoding the configuration: %w", stage, err)
	}
	h := sha256.New()
	for _, part := range append([]string{stage, string(cfg), CodeVersion}, inputs...) {
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return stage + "-" + hex.EncodeToString(h.Sum(nil))[:20], nil
}

// Path returns the directory of the entry key (which may not exist).
func (s *Store) Path(key string) string { return filepath.Join(s.Dir, key) }

// Has reports whether the entry key is complete on disk.
func (s *Store) Has(key string) bool {
	info, err := os.Stat(s.Path(key))
	return err == nil && info.IsDir()
}

// Build returns the directory of entry key, running build to create it first if it is not
// there. build writes into a fresh temporary directory, which becomes the entry only if build
// succeeds. cached tells whether the entry was already there.
func (s *Store) Build(key string, build func(dir string) error) (dir string, cached bool, err error) {
	dir = s.Path(key)
	if s.Has(key) {
		return dir, true, nil
	}
	tmp, err := os.MkdirTemp(s.Dir, key+".tmp-")
	if err != nil {
		return "", false, fmt.Errorf("artifact %s: %w", key, err)
	}
	defer os.RemoveAll(tmp)
	if err := build(tmp); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if s.Has(key) { // built concurrently by another process: theirs is as good.
			return dir, true, nil
		}
		return "", false, fmt.Errorf("artifact %s: %w", key, err)
	}
	return dir, false, nil
}

// Scratch returns a per-key working directory that survives a crash (for checkpoints of a
// stage still running), created if needed. Remove it once the entry is built.
func (s *Store) Scratch(key string) (string, error) {
	d := filepath.Join(s.Dir, "scratch", key)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("artifact scratch %s: %w", key, err)
	}
	return d, nil
}
