package checkpoint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestCopyNewest copies the newest checkpoint that verifies, with the origin and a named file,
// into a directory where Read finds the same variables.
func TestCopyNewest(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "kept")
	d := open(t, src)
	for i := 1; i <= 3; i++ {
		if _, err := d.Save(testContext(float32(i)), i, Training); err != nil {
			t.Fatal(err)
		}
	}
	editFile(t, src, "ckpt-000003.bin", func(b []byte) []byte { b[0] ^= 1; return b })
	if err := os.WriteFile(filepath.Join(src, "info.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := CopyNewest(src, dst, "info.json")
	if err != nil {
		t.Fatal(err)
	}
	if m.Step != 2 {
		t.Errorf("copied step %d, want 2 (the newest that verifies)", m.Step)
	}
	// Number 1 in the copy, whatever its number in src.
	want := []string{"ckpt-000001.bin", "ckpt-000001.json", "info.json", OriginFile}
	if names := dirNames(t, dst); !slices.Equal(names, want) {
		t.Errorf("copy holds %v, want %v", names, want)
	}
	c, err := Read(dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := c.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	equalSnapshots(t, snapshot(t, ctx), snapshot(t, testContext(2)))
	if _, err := CopyNewest(src, dst); err == nil || !strings.Contains(err.Error(), "holds checkpoints already") {
		t.Errorf("copying into a folder with a checkpoint: error %v, want a refusal", err)
	}
	if _, err := CopyNewest(src, filepath.Join(t.TempDir(), "other"), "missing.json"); err == nil || !strings.Contains(err.Error(), "missing.json is missing") {
		t.Errorf("error %v, want one naming the missing file", err)
	}
}
