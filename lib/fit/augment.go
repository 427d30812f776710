package fit

import (
	"math"
	"math/rand/v2"
)

// Augment describes the random image augmentation applied to training batches.
//
// For classifiers the paper uses a random translation by up to Pad pixels (the "random crop
// with padding", the uncovered border filled with zeros) and a horizontal flip. Instance
// discrimination (Wu et al. 2018) relies on stronger views: a random resized crop covering
// CropScale to 100 % of the image's area, and brightness and contrast jitter.
type Augment struct {
	Pad  int
	Flip bool
	// CropScale, if in (0, 1), enables the random resized crop: a box of CropScale…1 of the
	// area with aspect ratio 3/4…4/3, resized bilinearly to the full image.
	CropScale float64
	// Jitter, if positive, scales brightness and contrast by random factors in [1−Jitter, 1+Jitter].
	Jitter float64
	// Grayscale is the probability of turning an RGB view to gray, its luma L = 0.299·R +
	// 0.587·G + 0.114·B in all three channels (torchvision's RandomGrayscale; the authors use
	// 0.2 for instance discrimination). Images with other channel counts are left alone.
	// Omitted from JSON when 0, so the cache keys of configurations without it stay as they
	// were before it existed.
	Grayscale float64 `json:",omitempty"`
}

// view is one random draw of an Augment for an h×w image: the box (Y0, X0, BH, BW) of the
// source mapped onto the output, a horizontal flip, the brightness and contrast factors, and
// whether the view turns gray.
type view struct {
	Y0, X0, BH, BW       float64
	Flip                 bool
	Brightness, Contrast float64
	Gray                 bool
}

// draw draws a view of an h×w×c image from rng, in a fixed order (crop, padding, flip,
// jitter, grayscale), each only when enabled, so that the views of settings without a feature
// stay as they were before it existed.
func (a Augment) draw(rng *rand.Rand, h, w, c int) view {
	v := view{BH: float64(h), BW: float64(w), Brightness: 1, Contrast: 1}
	if a.CropScale > 0 && a.CropScale < 1 {
		area := (a.CropScale + rng.Float64()*(1-a.CropScale)) * float64(h*w)
		ratio := math.Exp(math.Log(3.0/4) + rng.Float64()*math.Log(16.0/9))
		v.BW = math.Min(float64(w), math.Sqrt(area*ratio))
		v.BH = math.Min(float64(h), math.Sqrt(area/ratio))
		v.Y0 = rng.Float64() * (float64(h) - v.BH)
		v.X0 = rng.Float64() * (float64(w) - v.BW)
	}
	if a.Pad > 0 {
		v.Y0 += float64(rng.IntN(2*a.Pad+1) - a.Pad)
		v.X0 += float64(rng.IntN(2*a.Pad+1) - a.Pad)
	}
	v.Flip = a.Flip && rng.IntN(2) == 1
	if a.Jitter > 0 {
		v.Brightness = 1 + a.Jitter*(2*rng.Float64()-1)
		v.Contrast = 1 + a.Jitter*(2*rng.Float64()-1)
	}
	v.Gray = a.Grayscale > 0 && rng.Float64() < a.Grayscale && c == 3
	return v
}

// apply writes image src (h×w×c uint8) into dst as float32 in [0, 1], augmented.
func (a Augment) apply(rng *rand.Rand, src []uint8, dst []float32, h, w, c int) {
	a.draw(rng, h, w, c).render(src, dst, h, w, c, a.Jitter > 0)
}

// render writes the view of src (h×w×c uint8) into dst as float32 in [0, 1]: a box other than
// the whole image is resampled bilinearly (positions outside the image take the nearest edge
// pixel), a whole-image box shifted by whole pixels (padding) reads zeros outside the image;
// then the flip, the jitter (when jitter: contrast around the view's mean, then brightness,
// clamped to [0, 1]) and the grayscale.
func (v view) render(src []uint8, dst []float32, h, w, c int, jitter bool) {
	sy, sx := v.BH/float64(h), v.BW/float64(w)
	resize := sy != 1 || sx != 1
	var sum float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ox := x
			if v.Flip {
				ox = w - 1 - x
			}
			o := (y*w + ox) * c
			if resize {
				// Pixel centres map to (y+0.5)·sy − 0.5 in the box.
				bilinear(src, dst[o:o+c], v.Y0+(float64(y)+0.5)*sy-0.5, v.X0+(float64(x)+0.5)*sx-0.5, h, w, c)
			} else {
				ty, tx := y+int(v.Y0), x+int(v.X0)
				for ch := 0; ch < c; ch++ {
					dst[o+ch] = 0
					if ty >= 0 && ty < h && tx >= 0 && tx < w {
						dst[o+ch] = float32(src[(ty*w+tx)*c+ch]) / 255
					}
				}
			}
			for ch := 0; ch < c; ch++ {
				sum += float64(dst[o+ch])
			}
		}
	}
	if jitter {
		mean := sum / float64(h*w*c)
		for i, u := range dst[:h*w*c] {
			u := (mean + (float64(u)-mean)*v.Contrast) * v.Brightness
			dst[i] = float32(math.Min(1, math.Max(0, u)))
		}
	}
	if v.Gray {
		for o := 0; o < h*w*3; o += 3 {
			l := 0.299*dst[o] + 0.587*dst[o+1] + 0.114*dst[o+2]
			dst[o], dst[o+1], dst[o+2] = l, l, l
		}
	}
}

// bilinear samples src (h×w×c uint8) at the real position (fy, fx) into out, scaled to [0, 1];
// positions outside the image take the nearest edge pixel.
func bilinear(src []uint8, out []float32, fy, fx float64, h, w, c int) {
	fy = math.Min(math.Max(fy, 0), float64(h-1))
	fx = math.Min(math.Max(fx, 0), float64(w-1))
	y0, x0 := int(math.Floor(fy)), int(math.Floor(fx))
	dy, dx := fy-float64(y0), fx-float64(x0)
	at := func(y, x, ch int) float64 {
		return float64(src[(min(y, h-1)*w+min(x, w-1))*c+ch])
	}
	for ch := 0; ch < c; ch++ {
		v := (1-dy)*((1-dx)*at(y0, x0, ch)+dx*at(y0, x0+1, ch)) + dy*((1-dx)*at(y0+1, x0, ch)+dx*at(y0+1, x0+1, ch))
		out[ch] = float32(v / 255)
	}
}
