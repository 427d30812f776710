package artifact

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestFloat32sRoundTripAndCorruption(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.bin")
	want := []float32{1, -2.5, 3e-8, 4, 5, 6}
	if err := WriteFloat32s(p, want, 2, 3); err != nil {
		t.Fatal(err)
	}
	got, r, c, err := ReadFloat32s(p)
	if err != nil || r != 2 || c != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("read %v, %d×%d, %v; want %v, 2×3", got, r, c, err, want)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated data", b[:len(b)-1], "do not hold a 2×3"},
		{"truncated header", b[:9], "truncated header"},
		{"huge dimensions", append(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, math.MaxInt32+1), 1), b[16:]...), "do not hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, _, err := ReadFloat32s(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("ReadFloat32s: %v; want an error naming %s and containing %q", err, p, tc.want)
			}
		})
	}
	for _, shape := range [][2]int{{4, 4}, {-2, -3}} {
		if err := WriteFloat32s(p, want, shape[0], shape[1]); err == nil {
			t.Errorf("6 values written as %d×%d without error", shape[0], shape[1])
		}
	}
}

// TestWritesAreAtomic checks that a failed write leaves the old file and no temporary one, and
// that its error names the file asked for, not the temporary file.
func TestWritesAreAtomic(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "result.json")
	if err := WriteJSON(target, map[string]int{"old": 1}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		path  string
		write func(path string) error
	}{
		{"JSON into a missing folder", filepath.Join(dir, "missing", "result.json"), func(p string) error { return WriteJSON(p, 1) }},
		{"matrix into a missing folder", filepath.Join(dir, "missing", "f.bin"), func(p string) error { return WriteFloat32s(p, nil, 0, 0) }},
		{"JSON over a folder", filepath.Join(dir, "folder"), func(p string) error { return WriteJSON(p, 1) }},
		{"unencodable JSON", target, func(p string) error { return WriteJSON(p, math.NaN()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.MkdirAll(filepath.Join(dir, "folder", "inside"), 0o755); err != nil {
				t.Fatal(err)
			}
			err := tc.write(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.path) || strings.Contains(err.Error(), tmpInfix) {
				t.Errorf("error %v; want one naming %s and no temporary file", err, tc.path)
			}
			var old map[string]int
			if err := ReadJSON(target, &old); err != nil || old["old"] != 1 {
				t.Errorf("the existing file changed: %v, %v", old, err)
			}
			if m, _ := filepath.Glob(filepath.Join(dir, "*"+tmpInfix+"*")); len(m) > 0 {
				t.Errorf("temporary files left: %v", m)
			}
		})
	}
	if err := WriteJSON(target, map[string]int{"new": 2}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(target)
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("rewritten file: %v, %v; want mode 0644", info, err)
	}
}

// TestReadersNeverSeeAPartialFile rewrites a matrix while another goroutine reads it: every
// read must find one whole matrix or the other (os.WriteFile, which truncates first, fails this).
func TestReadersNeverSeeAPartialFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.bin")
	const n, d = 256, 256
	versions := [2][]float32{make([]float32, n*d), testMatrix(n, d)}
	if err := WriteFloat32s(p, versions[0], n, d); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 30 {
			if err := WriteFloat32s(p, versions[(i+1)%2], n, d); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for reads := 0; ; reads++ {
		select {
		case <-done:
			if reads < 10 {
				t.Logf("only %d reads overlapped the writes", reads)
			}
			return
		default:
		}
		got, _, _, err := ReadFloat32s(p)
		if err != nil {
			t.Fatalf("read %d: %v", reads, err)
		}
		if got[len(got)-1] != versions[0][len(got)-1] && got[len(got)-1] != versions[1][len(got)-1] {
			t.Fatalf("read %d: a matrix neither written", reads)
		}
	}
}

// FuzzParseFloat32s checks that no input makes the reader panic or allocate beyond what the
// input holds, and that what it accepts writes back to the same bytes.
func FuzzParseFloat32s(f *testing.F) {
	valid := func(rows, cols int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(rows))
		b = binary.LittleEndian.AppendUint64(b, uint64(cols))
		for i := range rows * cols {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(i)))
		}
		return b
	}
	f.Add(valid(2, 3))
	f.Add(valid(0, 5))
	f.Add(valid(1, 1)[:19])
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 24))
	f.Fuzz(func(t *testing.T, b []byte) {
		data, rows, cols, err := parseFloat32s("fuzz.bin", b)
		if err != nil {
			return
		}
		if rows*cols != len(data) || 16+4*len(data) != len(b) {
			t.Fatalf("accepted %d bytes as %d×%d with %d values", len(b), rows, cols, len(data))
		}
		p := filepath.Join(t.TempDir(), "m.bin")
		if err := WriteFloat32s(p, data, rows, cols); err != nil {
			t.Fatal(err)
		}
		again, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("written back as other bytes (%v)", err)
		}
	})
}
