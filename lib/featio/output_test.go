package featio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// writeString is a write callback that writes s.
func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// modeOf is the type bits of path (not following a link), or an error.
func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Type()
}

// TestCheckOutput checks every kind of output path: the check before the work, then the write,
// then what is left on disk. "DIR" in a path or a wanted message stands for the test's folder.
func TestCheckOutput(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, dir string) // makes what lies at DIR/out
		path   string
		follow bool
		want   []string // substrings of CheckOutput's error; nil means it must succeed
		// after checks the disk once the output was written (only when want is nil).
		after func(t *testing.T, dir string)
	}{
		{name: "absent", path: "DIR/out", after: func(t *testing.T, dir string) { wantContent(t, dir+"/out", "new") }},
		{
			name:  "regular keeps its mode",
			setup: func(t *testing.T, dir string) { must(t, os.WriteFile(dir+"/out", []byte("old"), 0o600)) },
			path:  "DIR/out",
			after: func(t *testing.T, dir string) {
				wantContent(t, dir+"/out", "new")
				if st, _ := os.Stat(dir + "/out"); st.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want the old file's 0600", st.Mode().Perm())
				}
			},
		},
		{name: "directory", setup: func(t *testing.T, dir string) { must(t, os.Mkdir(dir+"/out", 0o755)) }, path: "DIR/out",
			want: []string{"DIR/out: it is a directory"}},
		{name: "fifo", setup: func(t *testing.T, dir string) { must(t, syscall.Mkfifo(dir+"/out", 0o644)) }, path: "DIR/out",
			want: []string{"DIR/out: it is a named pipe (FIFO)", "give - to write to standard output"}},
		{name: "socket", setup: mkSocket, path: "DIR/out", want: []string{"DIR/out: it is a socket"}},
		{name: "device", setup: mkDevice, path: "DIR/out", want: []string{"DIR/out: it is a character device"}},
		{name: "symlink refused", setup: mkLink("target"), path: "DIR/out", want: []string{"DIR/out: it is a symbolic link to DIR/target", ErrSymlink.Error()}},
		{
			name: "symlink followed", setup: mkLink("target"), path: "DIR/out", follow: true,
			after: func(t *testing.T, dir string) {
				wantContent(t, dir+"/target", "new")
				if modeOf(t, dir+"/out") != fs.ModeSymlink {
					t.Error("the link was replaced")
				}
			},
		},
		{
			name: "chain of links to a fifo",
			setup: func(t *testing.T, dir string) {
				must(t, syscall.Mkfifo(dir+"/fifo", 0o644))
				must(t, os.Symlink("fifo", dir+"/mid"))
				must(t, os.Symlink(dir+"/mid", dir+"/out"))
			},
			path: "DIR/out", follow: true, want: []string{"DIR/out (a link to DIR/fifo): it is a named pipe"},
		},
		{
			name:  "link loop",
			setup: func(t *testing.T, dir string) { must(t, os.Symlink("out", dir+"/out")) },
			path:  "DIR/out", follow: true, want: []string{"DIR/out: more than 40 symbolic links"},
		},
		{name: "folder missing", path: "DIR/none/out", want: []string{"DIR/none/out: its folder DIR/none does not exist", "mkdir -p DIR/none"}},
		{name: "folder is a file", setup: mkFile("file"), path: "DIR/file/out", want: []string{"DIR/file/out: DIR/file is not a folder"}},
		{name: "folder not writable", path: "/proc/out.csv", want: []string{"/proc/out.csv: cannot create files in its folder /proc", "choose a folder you can write to"}},
		{name: "empty", path: "", want: []string{"empty output path"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			path := strings.ReplaceAll(tc.path, "DIR", dir)
			before := listDir(t, dir)
			out, err := CheckOutput(path, OutputOptions{FollowSymlinks: tc.follow, Stdout: os.Stdout})
			if tc.want != nil {
				if err == nil {
					t.Fatalf("%s accepted", path)
				}
				for _, w := range tc.want {
					if w = strings.ReplaceAll(w, "DIR", dir); !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if after := listDir(t, dir); after != before {
					t.Errorf("a refused output changed the folder:\n%s\nwas\n%s", after, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.ToStdout() || out.String() != path {
				t.Errorf("output %q (stdout %t), want the file %s", out, out.ToStdout(), path)
			}
			if err := out.Write(writeString("new")); err != nil {
				t.Fatal(err)
			}
			tc.after(t, dir)
		})
	}
}

// TestOutputStdout checks "-": written to the given file (a pipe here), refused when no
// standard output is offered, and refused for binary data on a terminal.
func TestOutputStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := CheckOutput("-", OutputOptions{Stdout: w, Binary: true})
	if err != nil {
		t.Fatal(err)
	}
	if !out.ToStdout() || out.String() != "standard output" {
		t.Errorf("output %q (stdout %t), want standard output", out, out.ToStdout())
	}
	if err := out.Write(writeString("a,b\n")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got, _ := io.ReadAll(r); string(got) != "a,b\n" {
		t.Errorf("the pipe got %q", got)
	}
	if _, err := CheckOutput("-", OutputOptions{}); err == nil || !strings.Contains(err.Error(), "give a file path") {
		t.Errorf("- without a standard output: error %v", err)
	}
	tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo terminal to test the terminal case: %v", err)
	}
	defer tty.Close()
	if _, err := CheckOutput("-", OutputOptions{Stdout: tty, Binary: true}); err == nil || !strings.Contains(err.Error(), "terminal") {
		t.Errorf("binary to a terminal: error %v", err)
	}
	if _, err := CheckOutput("-", OutputOptions{Stdout: tty}); err != nil {
		t.Errorf("text to a terminal: %v", err)
	}
}

// TestOutputWriteErrors checks that errors of the final write name the path given, never the
// temporary file, and that a path which turned into a FIFO after the check is left alone.
func TestOutputWriteErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.csv")
	out, err := CheckOutput(path, OutputOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = out.Write(func(w io.Writer) error {
		name := w.(*os.File).Name()
		return fmt.Errorf("encoding: %w", &fs.PathError{Op: "write", Path: name, Err: syscall.ENOSPC})
	})
	if err == nil || !strings.HasPrefix(err.Error(), path+": ") || strings.Contains(err.Error(), ".tmp") || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error %q: want it to start with %s, not name the temporary file, and wrap ENOSPC", err, path)
	}
	must(t, syscall.Mkfifo(path, 0o644))
	err = out.Write(writeString("x"))
	if err == nil || !strings.Contains(err.Error(), path+": it is a named pipe") {
		t.Errorf("write over a new FIFO: error %v", err)
	}
	if modeOf(t, path) != fs.ModeNamedPipe {
		t.Error("the FIFO was replaced")
	}
	if got := listDir(t, dir); got != "p.csv p---------\n" {
		t.Errorf("failed writes left files behind:\n%s", got)
	}
}

// TestPrepareDir checks the folder check of publishing commands.
func TestPrepareDir(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(dir+"/file", nil, 0o644))
	for _, tc := range []struct {
		dir, want string
	}{
		{dir + "/a/b", ""},
		{dir, ""},
		{dir + "/file", dir + "/file: cannot create the folder: not a directory"},
		{dir + "/file/sub", dir + "/file/sub: cannot create the folder: not a directory"},
		{"/proc/figures", "/proc/figures: cannot create the folder"},
	} {
		err := PrepareDir(tc.dir)
		if tc.want == "" {
			if st, serr := os.Stat(tc.dir); err != nil || serr != nil || !st.IsDir() {
				t.Errorf("%s: %v, %v", tc.dir, err, serr)
			}
			if got := listDir(t, tc.dir); strings.Contains(got, ".write-check") {
				t.Errorf("%s: the check left files behind:\n%s", tc.dir, got)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.dir, err, tc.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantContent(t *testing.T, path, want string) {
	t.Helper()
	if got, err := os.ReadFile(path); err != nil || string(got) != want {
		t.Errorf("%s holds %q (%v), want %q", path, got, err, want)
	}
}

// listDir lists the names in dir with their types, one a line.
func listDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Name())
		if e.Type() != 0 {
			b.WriteString(" " + e.Type().String())
		}
		b.WriteString("\n")
	}
	return b.String()
}

func mkFile(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) { must(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644)) }
}

func mkLink(to string) func(*testing.T, string) {
	return func(t *testing.T, dir string) { must(t, os.Symlink(to, filepath.Join(dir, "out"))) }
}

// mkSocket leaves a listening Unix socket at DIR/out.
func mkSocket(t *testing.T, dir string) {
	l, err := net.Listen("unix", filepath.Join(dir, "out"))
	if err != nil {
		t.Skipf("no Unix socket: %v", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	t.Cleanup(func() { l.Close() })
}

// mkDevice makes a character device node at DIR/out with /dev/null's numbers; it needs root
// (or CAP_MKNOD), and the test is skipped without.
func mkDevice(t *testing.T, dir string) {
	if err := syscall.Mknod(filepath.Join(dir, "out"), syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
		t.Skipf("cannot make a device node (needs root): %v", err)
	}
}
