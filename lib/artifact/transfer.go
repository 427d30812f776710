package artifact

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/metric-transfer/mtlp/lib/atomicfile"
)

// Export copies every entry of the store that passes its check and whose files total at most
// maxBytes into dst/<key>/ (dst is created), and returns the keys copied, sorted. Larger
// entries are left out: a run computes them again. With Import, it carries what a run computed
// on one machine to the next, as a long run continued across machines needs.
func (s *Store) Export(dst string, maxBytes int64) ([]string, error) {
	names, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("artifact export: %w", err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, fmt.Errorf("artifact export: %w", err)
	}
	var keys []string
	for _, e := range names {
		key := e.Name()
		if !e.IsDir() || checkKey(key) != nil {
			continue
		}
		dir := s.Path(key)
		if problems, err := checkEntry(dir); err != nil || len(problems) > 0 {
			continue // half-written or damaged: not worth carrying
		}
		files, _, err := listEntry(dir)
		if err != nil {
			return nil, fmt.Errorf("artifact export %s: %w", key, err)
		}
		var size int64
		for _, f := range files {
			size += f.size
		}
		if size > maxBytes {
			continue
		}
		if err := copyEntry(dir, filepath.Join(dst, key), files); err != nil {
			return nil, fmt.Errorf("artifact export %s: %w", key, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// Import puts every entry of an Export in src that the store lacks into the store, each checked
// against its manifest before it becomes visible, and returns the keys imported, sorted. An
// entry of src that fails its check is an error naming it; one the store has already is left
// as it is.
func (s *Store) Import(src string) ([]string, error) {
	names, err := os.ReadDir(src)
	if err != nil {
		return nil, fmt.Errorf("artifact import: %w", err)
	}
	var keys []string
	for _, e := range names {
		key := e.Name()
		if !e.IsDir() || checkKey(key) != nil {
			continue
		}
		ok, err := s.importEntry(key, filepath.Join(src, key))
		if err != nil {
			return keys, fmt.Errorf("artifact import %s: %w", key, err)
		}
		if ok {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// importEntry copies the entry key from dir into the store unless the store has it, and
// reports whether it did.
func (s *Store) importEntry(key, dir string) (bool, error) {
	l, err := s.lock(key)
	if err != nil {
		return false, err
	}
	defer l.unlock()
	if problems, err := checkEntry(s.Path(key)); err == nil && len(problems) == 0 {
		return false, nil
	}
	if err := s.sweepKey(key); err != nil {
		return false, err
	}
	files, _, err := listEntry(dir)
	if err != nil {
		return false, err
	}
	// Checked once, as copied into the store: a damaged export fails here.
	tmp, err := os.MkdirTemp(s.Dir, fmt.Sprintf("%s%s%d-", key, tmpInfix, os.Getpid()))
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	if err := copyEntry(dir, tmp, files); err != nil {
		return false, err
	}
	if problems, err := checkEntry(tmp); err != nil || len(problems) > 0 {
		return false, errors.Join(err, fmt.Errorf("the exported copy fails its check: %v; export it again", problems))
	}
	if _, err := os.Stat(s.Path(key)); err == nil {
		if err := s.moveAside(key, "is not what was built", []string{"replaced by an imported copy"}); err != nil {
			return false, err
		}
	}
	if err := os.Rename(tmp, s.Path(key)); err != nil {
		return false, err
	}
	return true, atomicfile.SyncDir(s.Dir)
}

// copyEntry copies an entry's files and its manifest from src to dst, each written atomically.
func copyEntry(src, dst string, files []entryFile) error {
	rels := []string{ManifestName}
	for _, f := range files {
		rels = append(rels, f.rel)
	}
	slices.Sort(rels)
	for _, rel := range rels {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		to := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(to, b); err != nil {
			return err
		}
	}
	return nil
}
