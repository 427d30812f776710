package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/filelock"
)

// LockFile is the file a run locks in its checkpoint directory.
const LockFile = "lock"

// DefaultKeep is how many checkpoints a save leaves by default: the newest and one to fall
// back to if it turns out corrupt.
const DefaultKeep = 2

// Dir is a checkpoint directory held by one run: locked, with an origin that matches the run's.
type Dir struct {
	// Path is the directory.
	Path string
	// Keep is how many of the newest checkpoints a save leaves (DefaultKeep when below 1).
	Keep int
	// Warn receives warnings, such as a corrupt checkpoint moved aside; nil prints them on
	// stderr.
	Warn func(msg string)
	lock *filelock.Lock
	// origin is the run's, recorded in the directory by the first save unless originSaved.
	origin      Origin
	originSaved bool
}

// Open takes path (created if needed) for a run of stage with settings (see Origin). It fails,
// before changing anything there, when the directory's origin differs (an *OriginError naming
// each differing setting), when it holds checkpoints without an origin (those of GoMLX's own
// format among them), or when another process holds it. A directory without an origin gets
// this run's with its first checkpoint, so that a run that fails before saving anything leaves
// the directory free for a corrected one. Leftovers of a save that was killed are removed.
// Close releases the directory.
func Open(path, stage string, settings any) (*Dir, error) {
	origin, err := NewOrigin(stage, settings)
	if err != nil {
		return nil, err
	}
	if _, err := checkOrigin(path, origin); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint directory %s: %w", path, err)
	}
	lock, ok, err := filelock.TryLock(filepath.Join(path, LockFile))
	if err != nil {
		return nil, fmt.Errorf("checkpoint directory %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("checkpoint directory %s is in use by another process (it holds %s); wait for it to end, or use another directory",
			path, filepath.Join(path, LockFile))
	}
	d := &Dir{Path: path, lock: lock, origin: origin}
	// Checked again under the lock: another run may have claimed the directory meanwhile.
	if d.originSaved, err = checkOrigin(path, origin); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.removeLeftovers(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// checkOrigin compares origin with the one recorded in path, if any (recorded says so);
// without one, path must hold no checkpoint.
func checkOrigin(path string, origin Origin) (recorded bool, err error) {
	raw, err := os.ReadFile(filepath.Join(path, OriginFile))
	if errors.Is(err, fs.ErrNotExist) {
		if legacy, _ := filepath.Glob(filepath.Join(path, legacyPattern)); len(legacy) > 0 {
			return false, &OriginError{Dir: path, Reason: fmt.Sprintf("holds checkpoints in GoMLX's format (%s), which record no origin "+
				"and cannot be resumed (they can still be read as a trained network: mt features, mt evaluate)", filepath.Base(legacy[0]))}
		}
		if names, _ := manifests(path); len(names) > 0 {
			return false, &OriginError{Dir: path, Reason: fmt.Sprintf("holds checkpoints but no %s saying which run wrote them", OriginFile)}
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checkpoint directory %s: %w", path, err)
	}
	var stored Origin
	if err := json.Unmarshal(raw, &stored); err != nil {
		return false, &OriginError{Dir: path, Reason: fmt.Sprintf("has an unreadable %s (%v)", OriginFile, err)}
	}
	if d := diff(stored, origin); len(d) > 0 {
		return false, &OriginError{Dir: path, Differences: d}
	}
	return true, nil
}

// Close releases the directory. A nil Dir is closed.
func (d *Dir) Close() error {
	if d == nil || d.lock == nil {
		return nil
	}
	err := d.lock.Unlock()
	d.lock = nil
	return err
}

// warn reports msg through d.Warn or on stderr.
func (d *Dir) warn(msg string) {
	if d.Warn != nil {
		d.Warn(msg)
		return
	}
	fmt.Fprintln(os.Stderr, "warning:", msg)
}

// Restart prepares path for a run that starts over: with the directory locked, its origin,
// its checkpoints (of either format, corrupt ones included) and the files named in also are
// moved into a new subfolder replaced-<date>-<n>, whose path it returns ("" when there was
// nothing to move). Nothing is deleted.
func Restart(path string, also ...string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	lock, ok, err := filelock.TryLock(filepath.Join(path, LockFile))
	if err != nil {
		return "", fmt.Errorf("restarting %s: %w", path, err)
	}
	if !ok {
		return "", fmt.Errorf("restarting %s: the directory is in use by another process; wait for it to end", path)
	}
	defer lock.Unlock()
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", fmt.Errorf("restarting %s: %w", path, err)
	}
	var move []string
	for _, e := range entries {
		n := e.Name()
		if n == OriginFile || slices.Contains(also, n) || strings.HasPrefix(n, "ckpt-") || isLegacy(n) {
			move = append(move, n)
		}
	}
	if len(move) == 0 {
		return "", nil
	}
	aside, err := os.MkdirTemp(path, "replaced-"+time.Now().UTC().Format("20060102-150405")+"-")
	if err != nil {
		return "", fmt.Errorf("restarting %s: %w", path, err)
	}
	// The origin goes first: without it, a half-moved directory is refused rather than resumed.
	slices.SortStableFunc(move, func(a, b string) int {
		if a == OriginFile {
			return -1
		}
		if b == OriginFile {
			return 1
		}
		return 0
	})
	for _, n := range move {
		if err := os.Rename(filepath.Join(path, n), filepath.Join(aside, n)); err != nil {
			return "", fmt.Errorf("restarting %s: moving %s aside: %w", path, n, err)
		}
	}
	return aside, atomicfile.SyncDir(path)
}

// Names of the files of checkpoint seq: its manifest and data.
func manifestName(seq int) string { return fmt.Sprintf("ckpt-%06d.json", seq) }
func dataName(seq int) string     { return fmt.Sprintf("ckpt-%06d.bin", seq) }

// seqOf returns the number of a checkpoint file name (ckpt-N.json, ckpt-N.bin, or either with
// a suffix such as .corrupt), or false.
func seqOf(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "ckpt-")
	if !ok {
		return 0, false
	}
	num, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(num)
	return n, err == nil && n >= 0
}

// manifests returns the sequence numbers of the manifests in path, newest first.
func manifests(path string) ([]int, error) {
	entries, err := os.ReadDir(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var seqs []int
	for _, e := range entries {
		if n, ok := seqOf(e.Name()); ok && e.Name() == manifestName(n) {
			seqs = append(seqs, n)
		}
	}
	slices.Sort(seqs)
	slices.Reverse(seqs)
	return seqs, nil
}

// nextSeq is one more than the largest number of any checkpoint file in the directory, corrupt
// or orphaned ones included, so that a new checkpoint never takes an old one's name.
func (d *Dir) nextSeq() (int, error) {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return 0, err
	}
	next := 1
	for _, e := range entries {
		if n, ok := seqOf(e.Name()); ok {
			next = max(next, n+1)
		}
	}
	return next, nil
}

// removeLeftovers removes the temporary files of a save that was killed: only the holder of
// the lock writes them, and it has just taken it.
func (d *Dir) removeLeftovers() error {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return fmt.Errorf("checkpoint directory %s: %w", d.Path, err)
	}
	for _, e := range entries {
		if atomicfile.IsTemp(e.Name()) {
			if err := os.Remove(filepath.Join(d.Path, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("checkpoint directory %s: removing the leftover %s: %w", d.Path, e.Name(), err)
			}
		}
	}
	return nil
}
