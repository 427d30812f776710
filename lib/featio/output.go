package featio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"golang.org/x/term"
)

// Stdout is the path that stands for standard output in CheckOutput.
const Stdout = "-"

// ErrSymlink is wrapped by CheckOutput's error for a symbolic link it was not asked to follow,
// so that a command can name its own flag for following it.
var ErrSymlink = errors.New("writing through a symbolic link is refused unless asked for")

// maxLinks bounds the symbolic links CheckOutput follows in a chain, as the kernel does (40).
const maxLinks = 40

// OutputOptions say which outputs CheckOutput accepts.
type OutputOptions struct {
	// FollowSymlinks writes the file a symbolic link points to and leaves the link in place;
	// without it a link is refused (wrapping ErrSymlink), since replacing the link by a file
	// is rarely what was meant.
	FollowSymlinks bool
	// Stdout is where the path "-" writes (os.Stdout for a command); nil refuses "-".
	Stdout *os.File
	// Binary refuses "-" when Stdout is a terminal, which a binary format would garble; a pipe
	// or a redirection to a file is accepted.
	Binary bool
}

// Output is a file that will be written once a long computation is done, checked before it
// starts (CheckOutput) so that a bad path fails in a second instead of after the work.
type Output struct {
	// Path is the path as given, "-" for standard output.
	Path   string
	target string   // the file renamed into place: Path, or the end of its chain of links
	stdout *os.File // set when Path is "-"
}

// CheckOutput checks that path can be written atomically (see atomicfile.Write) and returns
// the Output to write it with. Errors start with path and say what to do:
//
//   - an existing directory, device, named pipe or socket is refused, since the final rename
//     would replace it by a regular file (or, for a device node, destroy it);
//   - a symbolic link is refused unless opt.FollowSymlinks (see ErrSymlink); then the end of
//     its chain of links is checked and written instead, and may not exist yet;
//   - the folder that will hold the file must exist and accept a new file, which is checked by
//     creating and removing one, so that permissions, read-only mounts and full quotas count;
//   - "-" means opt.Stdout (see OutputOptions).
func CheckOutput(path string, opt OutputOptions) (*Output, error) {
	if path == "" {
		return nil, fmt.Errorf("empty output path")
	}
	if path == Stdout {
		return checkStdout(opt)
	}
	target := path
	for hops := 0; ; hops++ {
		st, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			break // checkFolder says what is wrong with the folder
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, atomicfile.Unwrap(err))
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			if err := checkKind(st.Mode(), opt); err != nil {
				return nil, fmt.Errorf("%s: %w", describe(path, target), err)
			}
			break
		}
		dest, err := os.Readlink(target)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", describe(path, target), atomicfile.Unwrap(err))
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(target), dest)
		}
		switch {
		case !opt.FollowSymlinks:
			return nil, fmt.Errorf("%s: it is a symbolic link to %s; %w", path, dest, ErrSymlink)
		case hops == maxLinks:
			return nil, fmt.Errorf("%s: more than %d symbolic links in a row (a loop?)", path, maxLinks)
		}
		target = dest
	}
	if err := checkFolder(filepath.Dir(target)); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(path, target), err)
	}
	return &Output{Path: path, target: target}, nil
}

// checkStdout accepts "-" when opt allows standard output for this format.
func checkStdout(opt OutputOptions) (*Output, error) {
	if opt.Stdout == nil {
		return nil, fmt.Errorf("-: this output cannot go to standard output; give a file path")
	}
	if opt.Binary && term.IsTerminal(int(opt.Stdout.Fd())) {
		return nil, fmt.Errorf("-: standard output is a terminal, and this output is binary; redirect it to a file (> X.npy) or pipe it into a program")
	}
	return &Output{Path: Stdout, stdout: opt.Stdout}, nil
}

// checkKind refuses an existing file that the final rename would replace without it being
// a regular file.
func checkKind(m fs.FileMode, opt OutputOptions) error {
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return fmt.Errorf("it is a directory; give the path of a file inside it")
	}
	hint := "choose another path"
	if opt.Stdout != nil {
		hint += ", or give - to write to standard output and redirect that"
	}
	return fmt.Errorf("it is %s, not a regular file, and writing would replace it; %s", atomicfile.Kind(m), hint)
}

// checkFolder checks that dir exists and accepts a new file, by creating and removing one.
func checkFolder(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("its folder %s does not exist; create it (mkdir -p %s) or choose another path", dir, dir)
	case err != nil:
		return fmt.Errorf("its folder %s: %w", dir, atomicfile.Unwrap(err))
	case !st.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	}
	if err := probe(dir); err != nil {
		return fmt.Errorf("cannot create files in its folder %s (%w); choose a folder you can write to", dir, err)
	}
	return nil
}

// probe creates and removes a file in dir, so that permissions, read-only mounts and full
// quotas show before the work rather than after it.
func probe(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check*")
	if err != nil {
		return atomicfile.Unwrap(err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// describe names the output for an error: the path, and where its links lead if they do.
func describe(path, target string) string {
	if target == path {
		return path
	}
	return path + " (a link to " + target + ")"
}

// ToStdout reports whether the output goes to standard output; a command then moves what it
// would print there to standard error.
func (o *Output) ToStdout() bool { return o.stdout != nil }

// String is the output's name for messages: its path, or "standard output".
func (o *Output) String() string {
	if o.stdout != nil {
		return "standard output"
	}
	return o.Path
}

// Write writes the output through write: atomically into its file (atomicfile.Write, with
// errors naming Path), or buffered to standard output.
func (o *Output) Write(write func(io.Writer) error) error {
	if o.stdout == nil {
		return atomicfile.WriteNamed(o.target, describe(o.Path, o.target), write)
	}
	bw := bufio.NewWriter(o.stdout)
	if err := write(bw); err != nil {
		return fmt.Errorf("standard output: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("standard output: %w", err)
	}
	return nil
}

// PrepareDir makes sure that dir is a folder that accepts new files, creating it (and its
// parents) when missing: the check before a long run that publishes its results there.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: cannot create the folder: %w", dir, atomicfile.Unwrap(err))
	}
	if err := probe(dir); err != nil {
		return fmt.Errorf("%s: cannot create files in the folder (%w); choose a folder you can write to", dir, err)
	}
	return nil
}
