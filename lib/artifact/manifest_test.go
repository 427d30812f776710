package artifact

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// buildEntry builds key in s as a stage would: a features matrix, a JSON result and a metric's
// checkpoint in a subfolder. It returns how many times the build ran so far through runs.
func buildEntry(t *testing.T, s *Store, key string, runs *int) (dir string, cached bool) {
	t.Helper()
	dir, cached, err := s.Build(key, func(dir string) error {
		*runs++
		if err := WriteFloat32s(filepath.Join(dir, "features.bin"), testMatrix(100, 8), 100, 8); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, "metric", "checkpoint"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "metric", "checkpoint", "weights"), []byte("weights of the network"), 0o644); err != nil {
			return err
		}
		return WriteJSON(filepath.Join(dir, "result.json"), map[string]float64{"accuracy": 0.49})
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir, cached
}

// testMatrix returns rows×cols distinct values.
func testMatrix(rows, cols int) []float32 {
	m := make([]float32, rows*cols)
	for i := range m {
		m[i] = float32(i)*0.25 - 3
	}
	return m
}

// TestCorruptEntriesAreMovedAsideAndRebuilt damages a built entry in each way a disk, a copy or
// a person can, then reads it through Build and through Has: the damage is reported with the
// entry and the file, the entry is moved aside whole, and Build computes it anew.
func TestCorruptEntriesAreMovedAsideAndRebuilt(t *testing.T) {
	flip := func(rel string) func(dir string) error {
		return func(dir string) error {
			p := filepath.Join(dir, rel)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 0x40
			return os.WriteFile(p, b, 0o644)
		}
	}
	resize := func(rel string, by int) func(dir string) error {
		return func(dir string) error {
			info, err := os.Stat(filepath.Join(dir, rel))
			if err != nil {
				return err
			}
			return os.Truncate(filepath.Join(dir, rel), info.Size()+int64(by))
		}
	}
	remove := func(rel string) func(dir string) error {
		return func(dir string) error { return os.Remove(filepath.Join(dir, rel)) }
	}
	for _, tc := range []struct {
		name   string
		damage func(dir string) error
		want   string // in the warning
	}{
		{"garbled at the same size", flip("features.bin"), "features.bin: content changed at the same size"},
		{"garbled in a subfolder", flip("metric/checkpoint/weights"), "metric/checkpoint/weights: content changed"},
		{"truncated", resize("features.bin", -4), "features.bin: truncated, 3212 bytes of 3216"},
		{"grown", resize("result.json", 1), "result.json: 24 bytes, 1 more than written"},
		{"file missing", remove("metric/checkpoint/weights"), "metric/checkpoint/weights: missing"},
		{"manifest missing (older code)", remove(ManifestName), "no " + ManifestName},
		{"manifest garbled", flip(ManifestName), ManifestName + ": "},
		{"file added", func(dir string) error { return os.WriteFile(filepath.Join(dir, "metric", "notes"), nil, 0o644) },
			"metric/notes: not written by the build"},
	} {
		for _, via := range []string{"Build", "Has"} {
			t.Run(tc.name+" via "+via, func(t *testing.T) {
				s, w := openQuiet(t, t.TempDir())
				runs := 0
				dir, _ := buildEntry(t, s, "features-1", &runs)
				if !s.Has("features-1") {
					t.Fatal("a fresh entry fails its check")
				}
				if err := tc.damage(dir); err != nil {
					t.Fatal(err)
				}
				if via == "Has" && s.Has("features-1") {
					t.Fatal("Has accepts the damaged entry")
				}
				if _, cached := buildEntry(t, s, "features-1", &runs); cached || runs != 2 {
					t.Fatalf("damaged entry: cached %t after %d builds; want computed anew", cached, runs)
				}
				msg := w.all()
				if !strings.Contains(msg, "entry features-1 ") || !strings.Contains(msg, tc.want) {
					t.Errorf("warning %q does not name the entry and %q", msg, tc.want)
				}
				aside, _ := filepath.Glob(filepath.Join(s.Dir, "corrupt", "features-1-*"))
				if len(aside) != 1 {
					t.Fatalf("%d entries moved aside, want 1", len(aside))
				}
				if _, err := os.Stat(filepath.Join(aside[0], "features.bin")); err != nil {
					t.Errorf("the entry moved aside is not whole: %v", err)
				}
				got, _, _, err := ReadFloat32s(filepath.Join(dir, "features.bin"))
				if err != nil || !reflect.DeepEqual(got, testMatrix(100, 8)) {
					t.Errorf("the recomputed entry holds other features (%v)", err)
				}
				if _, cached := buildEntry(t, s, "features-1", &runs); !cached || runs != 2 {
					t.Errorf("the recomputed entry is not served from the cache")
				}
			})
		}
	}
}

func TestParseManifest(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	file := func(path string, size int64, sum string) string {
		b, _ := json.Marshal(manifestFile{Path: path, Size: size, SHA256: sum})
		return string(b)
	}
	doc := func(format string, files ...string) string {
		return `{"format":"` + format + `","files":[` + strings.Join(files, ",") + `]}`
	}
	for _, tc := range []struct {
		name, in, want string // want: "" for a valid manifest, else in the error
	}{
		{"valid", doc(manifestFormat, file("a.bin", 3, sum), file("m/c/w", 0, sum)), ""},
		{"no files", doc(manifestFormat), ""},
		{"not JSON", "features", "not a manifest"},
		{"two objects", doc(manifestFormat) + "{}", "after the JSON"},
		{"unknown field", `{"format":"` + manifestFormat + `","files":[],"x":1}`, "not a manifest"},
		{"other format", doc("mtlp-artifact-manifest/2"), "format"},
		{"absolute path", doc(manifestFormat, file("/etc/passwd", 1, sum)), "not a path inside"},
		{"parent", doc(manifestFormat, file("../x", 1, sum)), "not a path inside"},
		{"dot", doc(manifestFormat, file(".", 1, sum)), "not a path inside"},
		{"backslash", doc(manifestFormat, file(`a\b`, 1, sum)), "not a path inside"},
		{"itself", doc(manifestFormat, file(ManifestName, 1, sum)), "itself"},
		{"twice", doc(manifestFormat, file("a", 1, sum), file("a", 1, sum)), "twice"},
		{"negative size", doc(manifestFormat, file("a", -1, sum)), "size"},
		{"short sum", doc(manifestFormat, file("a", 1, "abc")), "64 lowercase"},
		{"uppercase sum", doc(manifestFormat, file("a", 1, strings.ToUpper(sum))), "64 lowercase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseManifest([]byte(tc.in))
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("parseManifest: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// FuzzParseManifest checks that no input makes the parser panic, and that what it accepts
// encodes to a manifest it parses to the same value.
func FuzzParseManifest(f *testing.F) {
	s, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	s.Warn = func(string) {}
	dir, _, err := s.Build("seed", func(dir string) error {
		if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "sub", "w"), []byte("w"), 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "a.json"), []byte("{}"), 0o644)
	})
	if err != nil {
		f.Fatal(err)
	}
	real, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add([]byte(`{"format":"` + manifestFormat + `","files":null}`))
	f.Add([]byte(`{"format":"` + manifestFormat + `","files":[{"path":"../a","size":1,"sha256":""}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := parseManifest(again)
		if err != nil {
			t.Fatalf("a parsed manifest encodes to one the parser refuses: %v\n%s", err, again)
		}
		if len(m.Files) != len(m2.Files) || (len(m.Files) > 0 && !reflect.DeepEqual(m.Files, m2.Files)) {
			t.Fatalf("parse, encode, parse changed the manifest:\n%+v\n%+v", m, m2)
		}
	})
}

// BenchmarkCheckEntry measures the check of a 50,000×128 float32 features entry, the size of
// the paper's CIFAR-10 pool at the feature dimension of its metric (the figure in checkEntry's
// comment).
func BenchmarkCheckEntry(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	const n, d = 50000, 128
	dir, _, err := s.Build("features", func(dir string) error {
		return WriteFloat32s(filepath.Join(dir, "features.bin"), make([]float32, n*d), n, d)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(16 + 4*n*d)
	for b.Loop() {
		if problems, err := checkEntry(dir); err != nil || len(problems) > 0 {
			b.Fatal(problems, err)
		}
	}
}
