package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestWrite checks that a failed write leaves the old file and no temporary file, that a
// successful one replaces the file keeping its permission bits, and that a new file gets 0644.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	failure := errors.New("disk full")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return failure
	})
	if !errors.Is(err, failure) || !strings.HasPrefix(err.Error(), path+": ") {
		t.Fatalf("error %v; want %v, after the path", err, failure)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("a failed write changed the file to %q", b)
	}
	if err := Write(path, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file holds %q, want %q", b, "new")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("the replaced file has mode %v, want the old 0600", st.Mode().Perm())
	}
	fresh := filepath.Join(dir, "fresh.json")
	if err := Write(fresh, writeString("{}")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o644 {
		t.Errorf("a new file has mode %v, want 0644", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d entries, want out.csv and fresh.json (temporary files left behind?)", len(entries))
	}
}

// TestWriteRefuses checks that Write replaces nothing but a regular file, naming what is in
// the way, and leaves it as it was.
func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	link, fifo, sub := filepath.Join(dir, "link"), filepath.Join(dir, "fifo"), filepath.Join(dir, "sub")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, kind := range map[string]string{link: "a symbolic link", fifo: "a named pipe (FIFO)", sub: "a directory"} {
		err := Write(path, writeString("new"))
		if err == nil || !strings.Contains(err.Error(), path+": it is "+kind) {
			t.Errorf("writing %s: error %v, want one saying it is %s", path, err, kind)
		}
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", st, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "kept" {
		t.Errorf("the link's target holds %q, want it untouched", b)
	}
	if err := Write(filepath.Join(dir, "none", "f"), writeString("x")); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "none", "f")+": cannot create a file in") {
		t.Errorf("a missing folder: error %v, want one naming the path", err)
	}
}

// TestIsTemp checks that Write's temporary names, and only those, are recognised.
func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".out.csv.tmp-123":       true,
		".ckpt-000001.bin.tmp-9": true,
		"out.csv":                false,
		"ckpt-000001.bin":        false,
		"features.tmp-1":         false, // not hidden: a store's build folder, not Write's
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %t, want %t", name, got, want)
		}
	}
	dir := t.TempDir()
	var seen string
	_ = Write(filepath.Join(dir, "x"), func(io.Writer) error {
		entries, _ := os.ReadDir(dir)
		if len(entries) == 1 {
			seen = entries[0].Name()
		}
		return errors.New("stop")
	})
	if !IsTemp(seen) {
		t.Errorf("the temporary file %q is not recognised by IsTemp", seen)
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := WriteFile(path, []byte("bytes")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "bytes" {
		t.Errorf("file holds %q", b)
	}
}
