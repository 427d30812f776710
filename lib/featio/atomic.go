package featio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteFileAtomic writes path through write: into a temporary file in the same directory,
// synced and renamed over path only once write succeeded. On any error the temporary file is
// removed and path is left as it was, so a reader never sees a half-written file. An existing
// file keeps its permission bits; a new one gets 0644.
//
// It only ever replaces a regular file: a path that is a directory, a device, a named pipe, a
// socket or a symbolic link is an error, since renaming over it would destroy it (a device
// node) or replace it by a file (a link). Errors name path, never the temporary file.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	return writeAtomic(path, path, write)
}

// writeAtomic is WriteFileAtomic of target, with errors that start with name, the path as the
// user gave it.
func writeAtomic(target, name string, write func(io.Writer) error) (err error) {
	perm, err := replaceable(target)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("%s: cannot create a file in %s: %w", name, dir, unwrapPath(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("%s: %w", name, renamePathErr(err, tmp))
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
	if _, err := replaceable(target); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return unwrapPath(err)
	}
	return nil
}

// replaceable returns the permission bits that a file written at path should get, or an error
// when something other than a regular file is in the way.
func replaceable(path string) (fs.FileMode, error) {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0o644, nil
	case err != nil:
		return 0, err
	case st.Mode().IsRegular():
		return st.Mode().Perm(), nil
	}
	return 0, fmt.Errorf("it is %s, not a regular file, and writing would replace it; choose another path", kindOf(st.Mode()))
}

// kindOf names a file type for an error message ("a directory", "a device", …).
func kindOf(m fs.FileMode) string {
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

// renamePathErr drops the temporary file's name tmp from an error, which the caller prefixes
// with the name the user knows: "write /d/.p.csv.tmp123: no space left on device" becomes
// "write: no space left on device". The error still unwraps to the original.
func renamePathErr(err error, tmp string) error {
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

// unwrapPath returns the cause inside a *fs.PathError or *os.LinkError, whose own message
// names a temporary file.
func unwrapPath(err error) error {
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
