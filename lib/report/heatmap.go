package report

import (
	"fmt"
	"image"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
)

// Heatmap draws s as an image, row 0 at the top, in the black-body colour map: black for the
// lowest similarities, white for the highest (the paper's Figure 2). The map spans the 1st to
// 99th percentile of the off-diagonal entries so that the diagonal and a few outliers do not
// wash out the blocks.
func Heatmap(title string, s *mat.Dense) (*plot.Plot, error) {
	img, err := heatmapImage(s)
	if err != nil {
		return nil, err
	}
	n := float64(img.Bounds().Dx())
	p := plot.New()
	p.Title.Text = title
	p.Add(plotter.NewImage(img, 0, 0, n, n))
	p.HideAxes()
	return p, nil
}

// heatmapImage is Heatmap's image: pixel (j, i) is entry (i, j).
func heatmapImage(s *mat.Dense) (*image.RGBA, error) {
	n, m := s.Dims()
	if n != m || n < 2 {
		return nil, fmt.Errorf("report: heatmap of a %d×%d matrix; need a square one of at least 2×2", n, m)
	}
	off := make([]float64, 0, n*(n-1))
	for i := range n {
		for j := range n {
			if i != j {
				off = append(off, s.At(i, j))
			}
		}
	}
	slices.Sort(off)
	lo, hi := off[len(off)/100], off[len(off)-1-len(off)/100]
	if !(hi > lo) {
		hi = lo + 1
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(hi)
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i := range n {
		for j := range n {
			c, err := cm.At(math.Min(math.Max(s.At(i, j), lo), hi))
			if err != nil {
				return nil, fmt.Errorf("report: heatmap colour of entry (%d, %d) = %v: %w", i, j, s.At(i, j), err)
			}
			img.Set(j, i, c)
		}
	}
	return img, nil
}
