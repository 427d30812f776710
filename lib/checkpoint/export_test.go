package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// exportSize is the data size of exportContext's checkpoint: testContext's 60 bytes and a
// table of 100 float32.
const exportSize = 460

// exportContext is testContext with a variable large enough to be cut into several parts.
func exportContext(x float32) *context.Context {
	ctx := testContext(x)
	table := make([]float32, 100)
	for i := range table {
		table[i] = x + float32(i)
	}
	ctx.In("net").VariableWithValue("table", table)
	return ctx
}

// exportSource returns a checkpoint directory of a run holding two checkpoints, of
// exportContext(1) and exportContext(2), and a history.json, with the directory still held
// by the run.
func exportSource(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	d := open(t, src)
	for i := 1; i <= 2; i++ {
		if _, err := d.Save(exportContext(float32(i)), i, Training); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "history.json"), []byte(`{"steps": 2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkpointFiles lists the checkpoint files (ckpt-*) in dir, none when dir does not exist.
func checkpointFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "ckpt-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestExportImport exports the newest of two checkpoints in parts, checks them against the
// data file, imports them, exports and imports that again, and resumes from the import.
func TestExportImport(t *testing.T) {
	src := exportSource(t)
	data := readFile(t, filepath.Join(src, "ckpt-000002.bin"))
	rawManifest := readFile(t, filepath.Join(src, "ckpt-000002.json"))
	srcManifest, err := ParseManifest(rawManifest)
	if err != nil {
		t.Fatal(err)
	}
	if srcManifest.Size != exportSize {
		t.Fatalf("the source's data has %d bytes; the cases below assume %d", srcManifest.Size, exportSize)
	}
	for _, tc := range []struct {
		name      string
		partBytes int64
		limit     int64 // the largest part allowed
		parts     int
	}{
		{"several parts, the last short", 100, 100, 5},
		{"parts that divide the size", 115, 115, 4},
		{"one part of exactly the size", exportSize, exportSize, 1},
		{"one part smaller than a part", 1000, 1000, 1},
		{"the default part size", 0, DefaultPartBytes, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "export")
			m, err := Export(src, dst, tc.partBytes, "history.json", "pretrain.json")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, srcManifest) {
				t.Errorf("Export returned %+v, want the source's manifest %+v", m, srcManifest)
			}
			if got := readFile(t, filepath.Join(dst, "ckpt-000001.json")); !bytes.Equal(got, rawManifest) {
				t.Errorf("exported manifest:\n%s\nwant the source's:\n%s", got, rawManifest)
			}
			// history.json was there and is copied; pretrain.json was not and is skipped.
			want := []string{"ckpt-000001.json", "history.json", OriginFile}
			for i := range tc.parts {
				want = append(want, fmt.Sprintf("ckpt-000001.bin.%03d", i))
			}
			slices.Sort(want)
			if names := dirNames(t, dst); !slices.Equal(names, want) {
				t.Fatalf("export holds %v, want %v", names, want)
			}
			var joined []byte
			for i := range tc.parts {
				part := readFile(t, filepath.Join(dst, fmt.Sprintf("ckpt-000001.bin.%03d", i)))
				if int64(len(part)) > tc.limit || len(part) == 0 {
					t.Errorf("part %d has %d bytes, want 1 to %d", i, len(part), tc.limit)
				}
				joined = append(joined, part...)
			}
			if !bytes.Equal(joined, data) {
				t.Errorf("the parts joined (%d bytes) differ from the newest data file (%d bytes)", len(joined), len(data))
			}
			for _, name := range []string{"history.json", OriginFile} {
				if got, want := readFile(t, filepath.Join(dst, name)), readFile(t, filepath.Join(src, name)); !bytes.Equal(got, want) {
					t.Errorf("exported %s differs from the source's", name)
				}
			}

			imported := filepath.Join(t.TempDir(), "imported")
			m, err = Import(dst, imported)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, srcManifest) {
				t.Errorf("Import returned %+v, want %+v", m, srcManifest)
			}
			if names, want := dirNames(t, imported), []string{"ckpt-000001.bin", "ckpt-000001.json", "history.json", OriginFile}; !slices.Equal(names, want) {
				t.Errorf("import holds %v, want %v", names, want)
			}

			// Export(Import(x)) with another part size gives the same checkpoint back.
			again, back := filepath.Join(t.TempDir(), "again"), filepath.Join(t.TempDir(), "back")
			if _, err := Export(imported, again, 64, "history.json"); err != nil {
				t.Fatal(err)
			}
			if _, err := Import(again, back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(readFile(t, filepath.Join(back, "ckpt-000001.bin")), data) ||
				!bytes.Equal(readFile(t, filepath.Join(back, "ckpt-000001.json")), rawManifest) {
				t.Error("exporting the import and importing that again changed the checkpoint")
			}
			resume(t, imported)
		})
	}
}

// resume opens dir as the run of exportSource would, loads it into a new context, which must
// then hold exportContext(2), and saves the next checkpoint there.
func resume(t *testing.T, dir string) {
	t.Helper()
	d, err := Open(dir, "test", testSettings())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.New()
	c, err := d.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c == nil || c.Step != 2 || c.Phase != Training {
		t.Fatalf("loaded %+v, want step 2 of training", c)
	}
	got, err := Values(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Values(exportContext(2))
	if err != nil {
		t.Fatal(err)
	}
	if diff := Differences(want, got); len(diff) > 0 || len(want) == 0 {
		t.Errorf("the imported checkpoint loads other values: %v", diff)
	}
	equalSnapshots(t, snapshot(t, ctx), snapshot(t, exportContext(2)))
	if _, err := d.Save(ctx, 3, Training); err != nil {
		t.Errorf("saving after the import: %v", err)
	}
}

// TestImportDamaged imports exports with a part missing, extra, cut short or changed: each is
// refused with an error naming the part, and leaves no checkpoint behind.
func TestImportDamaged(t *testing.T) {
	src := exportSource(t)
	remove := func(name string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	write := func(name string, b []byte) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	edit := func(name string, f func([]byte) []byte) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { editFile(t, dir, name, f) }
	}
	// With 100-byte parts the export is .000 to .004, the last of 60 bytes.
	for _, tc := range []struct {
		name      string
		partBytes int64
		damage    func(t *testing.T, dir string)
		want      string // in the error
	}{
		{"a middle part missing", 100, remove("ckpt-000001.bin.002"), "ckpt-000001.bin.002 is missing"},
		{"the last part missing", 100, remove("ckpt-000001.bin.004"), "ckpt-000001.bin.004 is missing"},
		{"the first part missing", 100, remove("ckpt-000001.bin.000"), "ckpt-000001.bin.000 is missing"},
		{"an extra part after a gap", 100, write("ckpt-000001.bin.009", make([]byte, 100)), "ckpt-000001.bin.009: beyond the last part"},
		{"an extra part right after the last", 100, write("ckpt-000001.bin.005", make([]byte, 7)), "ckpt-000001.bin.005: beyond the last part"},
		{"a part misnamed", 100, write("ckpt-000001.bin.0001", nil), "ckpt-000001.bin.0001 is not named as Export names parts"},
		{"the first part truncated", 100, edit("ckpt-000001.bin.000", func(b []byte) []byte { return b[:60] }), "ckpt-000001.bin.000 has 60 bytes, want 100"},
		{"a middle part truncated", 100, edit("ckpt-000001.bin.003", func(b []byte) []byte { return b[:99] }), "ckpt-000001.bin.003 has 99 bytes, want 100"},
		{"the last part truncated", 100, edit("ckpt-000001.bin.004", func(b []byte) []byte { return b[:30] }), "ckpt-000001.bin.004 has 30 bytes, want 60"},
		{"the only part truncated", 0, edit("ckpt-000001.bin.000", func(b []byte) []byte { return b[:200] }), "ckpt-000001.bin.000 is truncated"},
		{"a byte changed", 100, edit("ckpt-000001.bin.003", func(b []byte) []byte { b[10] ^= 1; return b }),
			"ckpt-000001.bin.000 to ckpt-000001.bin.004 joined have SHA-256"},
		{"the only part changed", 0, edit("ckpt-000001.bin.000", func(b []byte) []byte { b[0] ^= 1; return b }),
			"ckpt-000001.bin.000 to ckpt-000001.bin.000 joined have SHA-256"},
		{"no origin", 100, remove(OriginFile), "no " + OriginFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exported := filepath.Join(t.TempDir(), "export")
			if _, err := Export(src, exported, tc.partBytes, "history.json"); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, exported)
			dst := filepath.Join(t.TempDir(), "imported")
			_, err := Import(exported, dst)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			if names := checkpointFiles(t, dst); len(names) > 0 {
				t.Errorf("a refused import left %v", names)
			}
		})
	}
}

// TestExportRefused exports into folders that hold an export or a checkpoint, and from one
// with no checkpoint that verifies; imports into one that holds a checkpoint. None changes
// anything.
func TestExportRefused(t *testing.T) {
	src := exportSource(t)
	corrupt := t.TempDir()
	d := open(t, corrupt)
	if _, err := d.Save(exportContext(1), 1, Training); err != nil {
		t.Fatal(err)
	}
	editFile(t, corrupt, "ckpt-000001.bin", func(b []byte) []byte { b[5] ^= 1; return b })
	exported := filepath.Join(t.TempDir(), "export")
	if _, err := Export(src, exported, 100); err != nil {
		t.Fatal(err)
	}

	withFile := func(name string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, tc := range []struct {
		name string
		run  func(dst string) error
		dst  string
		want string
	}{
		{"export into a folder with a part", func(dst string) error { _, err := Export(src, dst, 100); return err },
			withFile("ckpt-000001.bin.003"), "export into an empty folder"},
		{"export into a folder with a part of another number", func(dst string) error { _, err := Export(src, dst, 100); return err },
			withFile("ckpt-000004.bin.000"), "export into an empty folder"},
		{"export into a folder with a checkpoint", func(dst string) error { _, err := Export(src, dst, 100); return err },
			src, "export into an empty folder"},
		{"export into an export", func(dst string) error { _, err := Export(src, dst, 100); return err },
			exported, "export into an empty folder"},
		{"export of no checkpoint that verifies", func(dst string) error { _, err := Export(corrupt, dst, 100); return err },
			t.TempDir(), "no checkpoint there verifies"},
		{"export of a folder without an origin", func(dst string) error { _, err := Export(t.TempDir(), dst, 100); return err },
			t.TempDir(), OriginFile},
		{"import into a folder with a checkpoint", func(dst string) error { _, err := Import(exported, dst); return err },
			src, "import into an empty folder"},
		{"import of a checkpoint directory", func(dst string) error { _, err := Import(src, dst); return err },
			t.TempDir(), "holds 2 manifests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := dirState(t, tc.dst)
			err := tc.run(tc.dst)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			if after := dirState(t, tc.dst); after != before {
				t.Errorf("a refusal changed %s:\n%s\nwas:\n%s", tc.dst, after, before)
			}
		})
	}
}
