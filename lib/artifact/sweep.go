package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tmpInfix separates a key from the rest of a temporary folder's name:
// <key>.tmp-<pid>-<random>. Folders of older code, <key>.tmp-<random>, match it too.
const tmpInfix = ".tmp-"

// sweepKey removes the temporary folders of key. Its caller holds key's lock, so no build of
// key is running anywhere and each of them is what a killed build left.
func (s *Store) sweepKey(key string) error {
	leftovers, err := filepath.Glob(filepath.Join(s.Dir, key+tmpInfix+"*"))
	if err != nil {
		return fmt.Errorf("artifact %s: %w", key, err)
	}
	for _, p := range leftovers {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("artifact %s: removing %s, left by a killed build: %w", key, p, err)
		}
	}
	return nil
}

// sweep removes what killed processes left in the store: the temporary folders of every key
// whose lock is free, and the scratch space of every key whose entry was renamed into place
// before its process could remove it. A key whose lock is held is being built and is left
// alone. Failures are skipped: sweeping again at the next Open costs nothing.
func (s *Store) sweep() {
	names, err := os.ReadDir(s.Dir)
	if err != nil {
		return
	}
	keys := map[string]bool{}
	for _, n := range names {
		if key, _, ok := strings.Cut(n.Name(), tmpInfix); ok && checkKey(key) == nil {
			keys[key] = true
		}
	}
	scratch, _ := os.ReadDir(filepath.Join(s.Dir, "scratch"))
	for _, n := range scratch {
		key := n.Name()
		if _, err := os.Stat(filepath.Join(s.Path(key), ManifestName)); err == nil && checkKey(key) == nil {
			keys[key] = true
		}
	}
	for key := range keys {
		l, ok, err := s.tryLock(key)
		if err != nil || !ok {
			continue
		}
		_ = s.sweepKey(key)
		if _, err := os.Stat(filepath.Join(s.Path(key), ManifestName)); err == nil {
			_ = os.RemoveAll(s.scratchPath(key))
		}
		l.unlock()
	}
}

// Discard moves entry key aside, as a failed check does (see moveAside), saying why, so that
// the next Build computes it anew: for an entry that passes its check but is not what its
// reader expects, such as one written in an earlier layout of its stage.
func (s *Store) Discard(key, why string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	l, err := s.lock(key)
	if err != nil {
		return err
	}
	defer l.unlock()
	return s.moveAside(key, "is not what its reader expects", []string{why})
}

// moveAside moves a bad entry to <dir>/corrupt/<key>-<time>, where it stays for whoever wants
// to see what went wrong, and says so through the hook: the entry "<bad>: <problems>". Its
// caller holds key's lock.
func (s *Store) moveAside(key, bad string, problems []string) error {
	const shown = 4
	what := strings.Join(problems[:min(len(problems), shown)], "; ")
	if len(problems) > shown {
		what += fmt.Sprintf("; and %d more", len(problems)-shown)
	}
	aside := filepath.Join(s.Dir, "corrupt", fmt.Sprintf("%s-%s-%d", key, time.Now().UTC().Format("20060102T150405.000000000Z"), os.Getpid()))
	if err := os.MkdirAll(filepath.Dir(aside), 0o755); err != nil {
		return fmt.Errorf("artifact %s is corrupt (%s) and cannot be moved aside: %w; remove %s by hand to recompute it", key, what, err, s.Path(key))
	}
	if err := os.Rename(s.Path(key), aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("artifact %s is corrupt (%s) and cannot be moved aside: %w; remove %s by hand to recompute it", key, what, err, s.Path(key))
	}
	s.warn(fmt.Sprintf("artifact cache: entry %s %s: %s; moved it to %s, and it will be computed anew", key, bad, what, aside))
	return nil
}
