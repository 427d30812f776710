package report

import (
	"image/color"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestHeatmapImage checks the orientation (row i is pixel row i), the black-to-white ends of
// the map, the clipping of the diagonal to the off-diagonal range, and the refusals.
func TestHeatmapImage(t *testing.T) {
	// Off-diagonal entries 0 … 5 and a diagonal of 100, which must clip to the brightest.
	s := mat.NewDense(3, 3, []float64{
		100, 5, 1,
		0, 100, 2,
		3, 4, 100,
	})
	img, err := heatmapImage(s)
	if err != nil {
		t.Fatal(err)
	}
	luma := func(x, y int) float64 {
		r, g, b, _ := img.At(x, y).RGBA()
		return float64(r+g+b) / (3 * 0xffff)
	}
	if l := luma(0, 1); l > 0.01 {
		t.Errorf("entry (1, 0), the lowest, has brightness %.3f at pixel (0, 1); want black", l)
	}
	if l := luma(1, 0); l < 0.99 {
		t.Errorf("entry (0, 1), the highest, has brightness %.3f at pixel (1, 0); want white", l)
	}
	if img.At(2, 2) != img.At(1, 0) {
		t.Errorf("the diagonal %v is not clipped to the highest off-diagonal colour %v", img.At(2, 2), img.At(1, 0))
	}
	for y := range 3 {
		for x := range 3 {
			if x != y && x+y != 1 && !(luma(x, y) > luma(0, 1) && luma(x, y) < luma(1, 0)) {
				t.Errorf("pixel (%d, %d) brightness %.3f is not between the ends", x, y, luma(x, y))
			}
		}
	}
	if c, ok := img.At(0, 0).(color.RGBA); !ok || c.A != 255 {
		t.Errorf("pixel (0, 0) is %v; want opaque RGBA", img.At(0, 0))
	}
	if _, err := heatmapImage(mat.NewDense(3, 3, nil)); err != nil {
		t.Errorf("a constant matrix: %v", err)
	}
	for _, bad := range []*mat.Dense{mat.NewDense(1, 1, nil), mat.NewDense(2, 3, nil)} {
		if _, err := Heatmap("bad", bad); err == nil {
			r, c := bad.Dims()
			t.Errorf("heatmap of a %d×%d matrix: no error", r, c)
		}
	}
}
