package data

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/errtest"
)

func TestClassSubset(t *testing.T) {
	// Eight 1×1 images whose pixel is their index, labels a b c a b c a b.
	d := &Dataset{Name: "toy", N: 8, H: 1, W: 1, C: 1, Images: []uint8{0, 1, 2, 3, 4, 5, 6, 7},
		Labels: []int32{0, 1, 2, 0, 1, 2, 0, 1}, Classes: []string{"a", "b", "c"}}
	for _, tc := range []struct {
		name     string
		names    []string
		perClass int
		images   []uint8 // nil: compare sizes only
		labels   []int32
		classes  []string
		err      string
	}{
		{name: "all", images: d.Images, labels: d.Labels, classes: d.Classes},
		{name: "renumbered in the order named", names: []string{"c", "a"}, images: []uint8{0, 2, 3, 5, 6},
			labels: []int32{1, 0, 1, 0, 1}, classes: []string{"c", "a"}},
		{name: "capped per class", names: []string{"a", "b"}, perClass: 2, labels: []int32{0, 0, 1, 1}, classes: []string{"a", "b"}},
		{name: "unknown class", names: []string{"a", "z"}, err: `no class "z"`},
		{name: "too few per class", names: []string{"c"}, perClass: 3, err: "3 images of each of 1 classes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.ClassSubset(tc.names, tc.perClass, 1)
			if errtest.Want(t, err, tc.err) {
				return
			}
			if tc.images != nil && !slices.Equal(got.Images, tc.images) {
				t.Errorf("images %v, want %v", got.Images, tc.images)
			}
			if !slices.Equal(got.Classes, tc.classes) || got.N != len(tc.labels) {
				t.Errorf("classes %q and %d images, want %q and %d", got.Classes, got.N, tc.classes, len(tc.labels))
			}
			for i, l := range got.Labels { // every label still names the image's original class
				if want := slices.Index(d.Classes, tc.classes[l]); d.Labels[got.Images[i]] != int32(want) {
					t.Errorf("image %d labelled %q, its class is %q", got.Images[i], tc.classes[l], d.Classes[d.Labels[got.Images[i]]])
				}
			}
			if tc.perClass > 0 {
				counts := map[int32]int{}
				for _, l := range got.Labels {
					counts[l]++
				}
				for c := range tc.classes {
					if counts[int32(c)] != tc.perClass {
						t.Errorf("class %q has %d images, want %d", tc.classes[c], counts[int32(c)], tc.perClass)
					}
				}
			}
		})
	}
}

// TestWriteIDX checks that ReadIDX reads back what WriteIDX wrote, and that it refuses colour.
func TestWriteIDX(t *testing.T) {
	dir := t.TempDir()
	d := Blocks(30, 1)
	if err := WriteIDX(dir, "train", d); err != nil {
		t.Fatal(err)
	}
	back, err := ReadIDX("blocks", filepath.Join(dir, "train-images-idx3-ubyte"), filepath.Join(dir, "train-labels-idx1-ubyte"), d.Classes)
	if err != nil {
		t.Fatal(err)
	}
	if back.N != d.N || back.H != 28 || back.W != 28 || back.C != 1 || !slices.Equal(back.Images, d.Images) || !slices.Equal(back.Labels, d.Labels) {
		t.Errorf("read back %d images of %d×%d×%d, want the %d written", back.N, back.H, back.W, back.C, d.N)
	}
	rgb := &Dataset{Name: "rgb", N: 1, H: 1, W: 1, C: 3, Images: make([]uint8, 3), Labels: []int32{0}}
	if err := WriteIDX(dir, "rgb", rgb); err == nil || !strings.Contains(err.Error(), "grayscale") {
		t.Errorf("colour images: %v, want an error", err)
	}
}
