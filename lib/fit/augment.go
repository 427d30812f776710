package fit

import "math/rand/v2"

// Augment describes the random image augmentation applied to training batches: a random
// translation by up to Pad pixels (the "random crop with padding" of the paper's training, the
// uncovered border filled with zeros) and, if Flip, a horizontal flip with probability 1/2.
type Augment struct {
	Pad  int
	Flip bool
}

// apply writes image src (h×w×c uint8) into dst as float32 in [0, 1], augmented.
func (a Augment) apply(rng *rand.Rand, src []uint8, dst []float32, h, w, c int) {
	dy, dx := 0, 0
	if a.Pad > 0 {
		dy = rng.IntN(2*a.Pad+1) - a.Pad
		dx = rng.IntN(2*a.Pad+1) - a.Pad
	}
	flip := a.Flip && rng.IntN(2) == 1
	for y := 0; y < h; y++ {
		sy := y + dy
		for x := 0; x < w; x++ {
			sx := x + dx
			if flip {
				sx = w - 1 - x + dx
			}
			o := (y*w + x) * c
			if sy < 0 || sy >= h || sx < 0 || sx >= w {
				for ch := 0; ch < c; ch++ {
					dst[o+ch] = 0
				}
				continue
			}
			s := (sy*w + sx) * c
			for ch := 0; ch < c; ch++ {
				dst[o+ch] = float32(src[s+ch]) / 255
			}
		}
	}
}
