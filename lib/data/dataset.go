package data

import (
	"fmt"
	"slices"
)

// Dataset is a labeled image set held in memory: N images of H×W×C uint8 pixels stored
// contiguously in NHWC order, and one label in [0, len(Classes)) per image.
type Dataset struct {
	// Name says where the images came from, e.g. "fashion-mnist/train".
	Name    string
	N       int
	H, W, C int
	Images  []uint8
	Labels  []int32
	// Classes are the class names, indexed by label.
	Classes []string
}

// NumClasses is the number of classes.
func (d *Dataset) NumClasses() int { return len(d.Classes) }

// ImageSize is the number of bytes of one image, H·W·C.
func (d *Dataset) ImageSize() int { return d.H * d.W * d.C }

// Image returns the pixels of image i (a view, not a copy).
func (d *Dataset) Image(i int) []uint8 {
	s := d.ImageSize()
	return d.Images[i*s : (i+1)*s]
}

// Validate checks that the fields agree with each other: sizes, label range.
func (d *Dataset) Validate() error {
	if d.N < 0 || d.H <= 0 || d.W <= 0 || d.C <= 0 {
		return fmt.Errorf("dataset %q: bad shape N=%d H=%d W=%d C=%d", d.Name, d.N, d.H, d.W, d.C)
	}
	if len(d.Images) != d.N*d.ImageSize() {
		return fmt.Errorf("dataset %q: %d pixel bytes for %d images of %d×%d×%d", d.Name, len(d.Images), d.N, d.H, d.W, d.C)
	}
	if len(d.Labels) != d.N {
		return fmt.Errorf("dataset %q: %d labels for %d images", d.Name, len(d.Labels), d.N)
	}
	for i, l := range d.Labels {
		if l < 0 || int(l) >= len(d.Classes) {
			return fmt.Errorf("dataset %q: label %d of image %d is outside [0, %d)", d.Name, l, i, len(d.Classes))
		}
	}
	return nil
}

// Subset returns a new dataset holding copies of the images at the given indices, in order.
func (d *Dataset) Subset(idx []int) (*Dataset, error) {
	s := d.ImageSize()
	out := &Dataset{Name: d.Name, N: len(idx), H: d.H, W: d.W, C: d.C,
		Images: make([]uint8, len(idx)*s), Labels: make([]int32, len(idx)), Classes: slices.Clone(d.Classes)}
	for j, i := range idx {
		if i < 0 || i >= d.N {
			return nil, fmt.Errorf("dataset %q: subset index %d out of range [0, %d)", d.Name, i, d.N)
		}
		copy(out.Images[j*s:(j+1)*s], d.Image(i))
		out.Labels[j] = d.Labels[i]
	}
	return out, nil
}

// Float32 returns the images at the given indices as one NHWC float32 slice scaled to [0, 1],
// the input format of the networks.
func (d *Dataset) Float32(idx []int) []float32 {
	s := d.ImageSize()
	out := make([]float32, len(idx)*s)
	for j, i := range idx {
		for k, v := range d.Image(i) {
			out[j*s+k] = float32(v) / 255
		}
	}
	return out
}
