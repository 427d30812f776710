package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/killpoint"
)

// CodeVersion is part of every key: change it when a stage's code changes its output, so old
// cache entries stop matching.
const CodeVersion = "5"

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

// Store is a cache directory. Every entry carries a manifest of its files, checked whenever
// the entry is read; an entry that fails the check is moved aside and computed anew. A lock
// per key lets several processes, and several goroutines, share one store: one builds a key,
// the others wait for it and read what it built.
//
// On disk, in Dir:
//
//	<key>/                       an entry, with MANIFEST.json (ManifestName)
//	<key>.tmp-<pid>-<random>/    a build in progress, renamed to <key> when complete
//	locks/<key>.lock             the key's lock file (flock), kept
//	scratch/<key>/               the key's working space (Scratch), removed once <key> is built
//	corrupt/<key>-<time>-<pid>/  an entry that failed its check, kept for inspection
//
// Open a Store with Open, which also sweeps what killed processes left.
type Store struct {
	// Dir is the cache directory.
	Dir string
	// Warn receives what the store has to say: an entry found corrupt and moved aside, a wait
	// for another process or goroutine building the same key. It may be called from any
	// goroutine. Nil writes the message to standard error.
	Warn func(msg string)
}

// Open returns the store in dir ("" means DefaultDir()), creating the directory, and removes
// what killed processes left there: unfinished builds and the scratch space of finished ones,
// for every key that no running process holds.
func Open(dir string) (*Store, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("artifact cache: creating %s: %w (set %s to a writable directory)", dir, err, EnvCacheDir)
	}
	s := &Store{Dir: dir}
	s.sweep()
	return s, nil
}

// warn passes msg to the hook.
func (s *Store) warn(msg string) {
	if s.Warn != nil {
		s.Warn(msg)
		return
	}
	fmt.Fprintln(os.Stderr, msg)
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

// checkKey accepts the keys that name a folder of their own in the store: letters, digits,
// '.', '_' and '-', starting with a letter or a digit, and never one of the store's own
// folders or a temporary folder's name.
func checkKey(key string) error {
	ok := key != "" && key != "locks" && key != "scratch" && key != "corrupt" && !strings.Contains(key, tmpInfix)
	for i, c := range key {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("artifact key %q: want letters, digits, '.', '_' and '-', not %q nor a store folder's name (make keys with Key)", key, tmpInfix)
	}
	return nil
}

// Path returns the directory of the entry key (which may not exist).
func (s *Store) Path(key string) string { return filepath.Join(s.Dir, key) }

// Has reports whether the entry key is on disk and passes its check. An entry that fails it
// is moved aside (unless its key is being built, whose builder checks it too).
func (s *Store) Has(key string) bool {
	if checkKey(key) != nil {
		return false
	}
	problems, err := checkEntry(s.Path(key))
	if err != nil || len(problems) == 0 {
		return err == nil
	}
	l, ok, err := s.tryLock(key)
	if err != nil || !ok {
		return false
	}
	defer l.unlock()
	// Checked again under the lock: a builder may have replaced the entry in the meantime.
	if problems, err := checkEntry(s.Path(key)); err == nil && len(problems) > 0 {
		if err := s.moveAside(key, "is not what was built", problems); err != nil {
			s.warn(err.Error())
		}
	}
	return false
}

// Build returns the directory of entry key, running build to create it first if it is not
// there or fails its check. build writes into a fresh temporary directory, which becomes the
// entry only if build succeeds, once its files are listed in its manifest and flushed to the
// disk. cached tells whether the entry was already there.
//
// While build runs, this call holds key's lock: another Build of key, in this process or
// another, waits and then reads the entry. build may use Scratch(key); it must not Build key
// itself (it would wait for itself).
func (s *Store) Build(key string, build func(dir string) error) (dir string, cached bool, err error) {
	if err := checkKey(key); err != nil {
		return "", false, err
	}
	dir = s.Path(key)
	if problems, err := checkEntry(dir); err == nil && len(problems) == 0 {
		return dir, true, nil
	}
	l, err := s.lock(key)
	if err != nil {
		return "", false, err
	}
	defer l.unlock()
	problems, err := checkEntry(dir)
	switch {
	case err == nil && len(problems) == 0:
		return dir, true, nil // built by whoever held the lock before
	case err == nil:
		if err := s.moveAside(key, "is not what was built", problems); err != nil {
			return "", false, err
		}
	case err != errNoEntry:
		return "", false, fmt.Errorf("artifact %s: checking %s: %w (make the cache readable, or remove that folder to recompute it)", key, dir, err)
	}
	if err := s.sweepKey(key); err != nil {
		return "", false, err
	}
	tmp, err := os.MkdirTemp(s.Dir, fmt.Sprintf("%s%s%d-", key, tmpInfix, os.Getpid()))
	if err != nil {
		return "", false, fmt.Errorf("artifact %s: %w", key, err)
	}
	defer os.RemoveAll(tmp)
	if err := build(tmp); err != nil {
		return "", false, err
	}
	if err := sealEntry(tmp); err != nil {
		return "", false, fmt.Errorf("artifact %s: sealing the entry: %w", key, err)
	}
	killpoint.Hit("artifact: entry about to be renamed into place")
	if err := os.Rename(tmp, dir); err != nil {
		return "", false, fmt.Errorf("artifact %s: renaming the finished build into place: %w (is another program writing to %s?)", key, err, s.Dir)
	}
	if err := atomicfile.SyncDir(s.Dir); err != nil {
		return "", false, fmt.Errorf("artifact %s: %w", key, err)
	}
	killpoint.Hit("artifact: entry renamed into place")
	if err := os.RemoveAll(s.scratchPath(key)); err != nil {
		s.warn(fmt.Sprintf("artifact cache: %s is built, but its scratch space stays: %v", key, err))
	}
	return dir, false, nil
}

// Scratch returns key's working directory, created if needed: a stage keeps there what must
// survive a kill (its checkpoints) until its entry is built, and the store removes it then.
// Only the holder of key's lock may use it, so Scratch must be called from inside the Build of
// key; elsewhere it returns an error, since another process could be using or removing the
// same folder.
func (s *Store) Scratch(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if !s.holds(key) {
		return "", fmt.Errorf("artifact scratch %s: asked for outside the Build of that key; call Scratch from the build function, which holds the key's lock", key)
	}
	d := s.scratchPath(key)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("artifact scratch %s: %w", key, err)
	}
	return d, nil
}

// scratchPath returns where key's scratch space is.
func (s *Store) scratchPath(key string) string { return filepath.Join(s.Dir, "scratch", key) }
