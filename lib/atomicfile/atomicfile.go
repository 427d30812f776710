// Package atomicfile writes files so that whoever reads them, and whatever happens to the
// process writing them, sees either what was there before or the complete new file: never a
// half-written one. It is how results, checkpoints, cache entries and command outputs reach the
// disk.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TempMark is in the name of every temporary file Write creates (".NAME.tmp-RANDOM", beside
// NAME): a file whose name holds it is a leftover of a write that was killed, never a result.
const TempMark = ".tmp-"

// IsTemp reports whether name (a base name) is a temporary file of Write's.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, TempMark)
}

// Write writes path through write: into a temporary file in the same folder, synced, then
// renamed over path, and the folder synced, only once write succeeded. On any error the
// temporary file is removed and path is left as it was. An existing file keeps its permission
// bits; a new one gets 0644.
//
// It only ever replaces a regular file: a path that is a directory, a device, a named pipe, a
// socket or a symbolic link is an error, since renaming over it would destroy it (a device
// node) or replace it by a file (a link). Errors start with path, never the temporary file.
func Write(path string, write func(io.Writer) error) error {
	return WriteNamed(path, path, write)
}

// WriteFile is Write of the bytes b, as os.WriteFile writes them.
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// WriteNamed is Write of target, with errors that start with name: the path as the user gave
// it, when target is where it leads (the file a symbolic link points to).
func WriteNamed(target, name string, write func(io.Writer) error) (err error) {
	perm, err := Replaceable(target)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+TempMark+"*")
	if err != nil {
		return fmt.Errorf("%s: cannot create a file in %s: %w", name, dir, Unwrap(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("%s: %w", name, dropName(err, tmp))
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// The check is repeated because a long computation may lie between the two.
	if _, err := Replaceable(target); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return Unwrap(err)
	}
	return SyncDir(dir)
}

// SyncDir flushes a folder's list of names to the disk, so that a file created, renamed or
// removed in it stays so even if the machine stops right after.
func SyncDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// Replaceable returns the permission bits that a file written at path should get (those of
// the regular file there, else 0644), or an error when something other than a regular file is
// in the way.
func Replaceable(path string) (fs.FileMode, error) {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0o644, nil
	case err != nil:
		return 0, err
	case st.Mode().IsRegular():
		return st.Mode().Perm(), nil
	}
	return 0, fmt.Errorf("it is %s, not a regular file, and writing would replace it; choose another path", Kind(st.Mode()))
}

// Kind names a file type for an error message ("a directory", "a character device", …).
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a file of mode " + m.String()
}

// Unwrap returns the cause inside a *fs.PathError or *os.LinkError, for a message that names
// the path itself rather than the one the error names (a temporary file's).
func Unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// dropName drops the temporary file's name tmp from an error, which the caller prefixes with
// the name the user knows: "write /d/.p.csv.tmp-123: no space left on device" becomes "write:
// no space left on device". The error still unwraps to the original.
func dropName(err error, tmp string) error {
	if msg := err.Error(); strings.Contains(msg, tmp) {
		return &renamedErr{msg: strings.ReplaceAll(msg, " "+tmp, ""), err: err}
	}
	return err
}

// renamedErr is an error with a rewritten message.
type renamedErr struct {
	msg string
	err error
}

func (e *renamedErr) Error() string { return e.msg }
func (e *renamedErr) Unwrap() error { return e.err }
