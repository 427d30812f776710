package fit

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAugment(t *testing.T) {
	const h, w, c = 4, 5, 2
	src := make([]uint8, h*w*c)
	for i := range src {
		src[i] = uint8(i * 6)
	}
	plain := func(y, x, ch int) float32 { return float32(src[(y*w+x)*c+ch]) / 255 }
	constant := make([]uint8, h*w*c)
	for i := range constant {
		constant[i] = 200
	}
	for _, tc := range []struct {
		name  string
		aug   Augment
		src   []uint8
		check func(dst []float32) bool
	}{
		{"identity", Augment{}, src, func(dst []float32) bool {
			for y := range h {
				for x := range w {
					for ch := range c {
						if dst[(y*w+x)*c+ch] != plain(y, x, ch) {
							return false
						}
					}
				}
			}
			return true
		}},
		{"flip", Augment{Flip: true}, src, func(dst []float32) bool {
			same, mirrored := true, true
			for y := range h {
				for x := range w {
					for ch := range c {
						v := dst[(y*w+x)*c+ch]
						same = same && v == plain(y, x, ch)
						mirrored = mirrored && v == plain(y, w-1-x, ch)
					}
				}
			}
			return same || mirrored
		}},
		{"crop of a constant image stays constant inside", Augment{CropScale: 0.3}, constant, func(dst []float32) bool {
			for _, v := range dst {
				if math.Abs(float64(v)-200.0/255) > 1e-5 {
					return false
				}
			}
			return true
		}},
		{"jitter stays in [0, 1]", Augment{Jitter: 0.9, CropScale: 0.2, Pad: 1}, src, func(dst []float32) bool {
			for _, v := range dst {
				if v < 0 || v > 1 {
					return false
				}
			}
			return true
		}},
	} {
		rng := rand.New(rand.NewPCG(1, 2))
		for trial := range 20 {
			dst := make([]float32, h*w*c)
			tc.aug.apply(rng, tc.src, dst, h, w, c)
			if !tc.check(dst) {
				t.Fatalf("%s, trial %d: %v", tc.name, trial, dst)
			}
		}
	}
}

// TestAugmentGrayscale checks the luma of a colour image when the view always turns gray, that
// it never does at probability 0, and that a gray-scale request leaves other channel counts be.
func TestAugmentGrayscale(t *testing.T) {
	const h, w = 3, 2
	src := []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 200, 100, 50, 0, 0, 0}
	for _, tc := range []struct {
		name string
		p    float64
		gray bool
	}{{"always", 1, true}, {"never", 0, false}} {
		rng := rand.New(rand.NewPCG(3, 4))
		dst := make([]float32, h*w*3)
		Augment{Grayscale: tc.p}.apply(rng, src, dst, h, w, 3)
		for px := 0; px < h*w; px++ {
			r, g, b := float64(src[3*px])/255, float64(src[3*px+1])/255, float64(src[3*px+2])/255
			for ch := 0; ch < 3; ch++ {
				want := float64(src[3*px+ch]) / 255
				if tc.gray {
					want = 0.299*r + 0.587*g + 0.114*b
				}
				if math.Abs(float64(dst[3*px+ch])-want) > 1e-6 {
					t.Fatalf("%s: pixel %d channel %d = %g, want %g", tc.name, px, ch, dst[3*px+ch], want)
				}
			}
		}
	}
	two := []uint8{1, 2, 3, 4}
	dst := make([]float32, 4)
	Augment{Grayscale: 1}.apply(rand.New(rand.NewPCG(1, 1)), two, dst, 1, 2, 2)
	for i, v := range two {
		if dst[i] != float32(v)/255 {
			t.Fatalf("a 2-channel image changed: %v", dst)
		}
	}
}
