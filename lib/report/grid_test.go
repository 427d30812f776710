package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// solid2x2 returns a 2×2 image whose pixel (x, y) is base with x and y added to R and G, so a
// misplaced or flipped pixel shows.
func solid2x2(base color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for y := range 2 {
		for x := range 2 {
			img.SetRGBA(x, y, color.RGBA{base.R + uint8(x), base.G + uint8(y), base.B, 255})
		}
	}
	return img
}

// TestGridPixels renders a 2×2 grid of 2×2 images at zoom 2, frame 1, gap 1, and checks every
// output pixel against the layout Render documents: cell (r, c) at (1 + 7c, 1 + 7r), frame
// ring, zoomed image pixels, background elsewhere.
func TestGridPixels(t *testing.T) {
	red, green := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}
	imgs := [2][2]*image.RGBA{
		{solid2x2(color.RGBA{10, 20, 30, 255}), solid2x2(color.RGBA{40, 50, 60, 255})},
		{solid2x2(color.RGBA{70, 80, 90, 255}), nil},
	}
	g := Grid{
		Rows: [][]Tile{
			{{Image: imgs[0][0], Frame: green}, {Image: imgs[0][1], Frame: red}},
			{{Image: imgs[1][0]}, {}},
		},
		Zoom: 2, FrameWidth: 1, Gap: 1,
	}
	out, err := g.Render()
	if err != nil {
		t.Fatal(err)
	}
	// Cell: 2·2 + 2·1 = 6 pixels; width 1 + 2·(6 + 1) = 15.
	if b := out.Bounds(); b.Dx() != 15 || b.Dy() != 15 {
		t.Fatalf("grid is %v, want 15×15", b)
	}
	white := color.RGBA{255, 255, 255, 255}
	want := func(x, y int) color.RGBA {
		for r := range 2 {
			for c := range 2 {
				x0, y0 := 1+7*c, 1+7*r
				dx, dy := x-x0, y-y0
				if dx < 0 || dx >= 6 || dy < 0 || dy >= 6 {
					continue
				}
				img := imgs[r][c]
				if img == nil {
					return white
				}
				if dx == 0 || dx == 5 || dy == 0 || dy == 5 {
					switch {
					case r == 0 && c == 0:
						return green
					case r == 0 && c == 1:
						return red
					default:
						return white
					}
				}
				return img.RGBAAt((dx-1)/2, (dy-1)/2)
			}
		}
		return white
	}
	for y := range 15 {
		for x := range 15 {
			if got, w := out.RGBAAt(x, y), want(x, y); got != w {
				t.Errorf("pixel (%d, %d) = %v, want %v", x, y, got, w)
			}
		}
	}
	data, err := g.PNG()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if r, gg, b, _ := dec.At(11, 3).RGBA(); r>>8 != 41 || gg>>8 != 50 || b>>8 != 60 {
		t.Errorf("PNG pixel (11, 3) = %d %d %d, want 41 50 60", r>>8, gg>>8, b>>8)
	}
}

// TestGridText checks that captions and headings take room on the left and on top, put dark
// pixels there, and shift the cells by exactly that room.
func TestGridText(t *testing.T) {
	img := solid2x2(color.RGBA{100, 100, 100, 255})
	plain := Grid{Rows: [][]Tile{{{Image: img}}, {{Image: img}}}, Zoom: 2, FrameWidth: 1, Gap: 1, TextZoom: 1}
	text := plain
	text.Captions = []string{"ab", ""}
	text.Header = []string{"x"}
	a, err := plain.Render()
	if err != nil {
		t.Fatal(err)
	}
	b, err := text.Render()
	if err != nil {
		t.Fatal(err)
	}
	capW, headH := 2*7+1, 13+1
	if b.Bounds().Dx() != a.Bounds().Dx()+capW || b.Bounds().Dy() != a.Bounds().Dy()+headH {
		t.Fatalf("captioned grid is %v, want %v grown by %d×%d", b.Bounds(), a.Bounds(), capW, headH)
	}
	// The first image pixel moves by the caption width and the header height.
	if got, want := b.RGBAAt(2+capW, 2+headH), a.RGBAAt(2, 2); got != want {
		t.Errorf("shifted image pixel %v, want %v", got, want)
	}
	dark := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if b.RGBAAt(x, y).R < 128 {
					n++
				}
			}
		}
		return n
	}
	if n := dark(image.Rect(0, headH, capW, b.Bounds().Dy())); n == 0 {
		t.Error("no caption pixels left of the rows")
	}
	if n := dark(image.Rect(capW, 0, b.Bounds().Dx(), headH)); n == 0 {
		t.Error("no heading pixels above the columns")
	}
}

// TestGridNonASCII checks that text the font cannot draw renders as '?', one per character,
// in captions and headings alike.
func TestGridNonASCII(t *testing.T) {
	img := solid2x2(color.RGBA{100, 100, 100, 255})
	render := func(caption, heading string) *image.RGBA {
		t.Helper()
		g := Grid{Rows: [][]Tile{{{Image: img}}}, Captions: []string{caption}, Header: []string{heading}, TextZoom: 1}
		out, err := g.Render()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	got, want := render("café\tx", "é"), render("caf??x", "?")
	if got.Bounds() != want.Bounds() || !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("non-ASCII text renders unlike '?' in its place (%v and %v)", got.Bounds(), want.Bounds())
	}
}

// TestGridHeaderCut checks that a long heading runs on over an unheaded column and is cut
// where the next heading starts.
func TestGridHeaderCut(t *testing.T) {
	img := solid2x2(color.RGBA{100, 100, 100, 255})
	// Cells are 6 pixels wide; "MMMM" is 28.
	g := Grid{Rows: [][]Tile{{{Image: img}, {Image: img}, {Image: img}}}, Zoom: 2, FrameWidth: 1, Gap: 1, TextZoom: 1}
	dark := func(out *image.RGBA, x0, x1 int) int {
		n := 0
		for y := 1; y < 14; y++ {
			for x := x0; x < x1; x++ {
				if out.RGBAAt(x, y).R < 128 {
					n++
				}
			}
		}
		return n
	}
	for _, tc := range []struct {
		header []string
		runOn  bool
	}{{[]string{"MMMM", "", ""}, true}, {[]string{"MMMM", "", "."}, false}} {
		g.Header = tc.header
		out, err := g.Render()
		if err != nil {
			t.Fatal(err)
		}
		// Column 2 starts at 1 + 2·7 = 15, after a gap at x = 14; the heading ends at 1 + 28.
		if n := dark(out, 8, 14); n == 0 {
			t.Errorf("header %q: nothing over column 1", tc.header)
		}
		if n := dark(out, 14, 15); n > 0 && !tc.runOn {
			t.Errorf("header %q: %d dark pixels in the gap before column 2", tc.header, n)
		}
		if tc.runOn {
			if n := dark(out, 16, 29); n == 0 {
				t.Errorf("header %q: the heading does not run on over column 2", tc.header)
			}
			continue
		}
		// Cut: over column 2 only its own heading, as if the first were not there.
		g.Header = []string{"", "", tc.header[2]}
		alone, err := g.Render()
		if err != nil {
			t.Fatal(err)
		}
		for y := range 14 {
			for x := 14; x < 29; x++ {
				if out.RGBAAt(x, y) != alone.RGBAAt(x, y) {
					t.Fatalf("header %q: pixel (%d, %d) over column 2 is %v, %v with its heading alone", tc.header, x, y, out.RGBAAt(x, y), alone.RGBAAt(x, y))
				}
			}
		}
	}
}

func TestGridErrors(t *testing.T) {
	img := solid2x2(color.RGBA{1, 2, 3, 255})
	row := []Tile{{Image: img}}
	for _, tc := range []struct {
		name string
		g    Grid
	}{
		{"no rows", Grid{}},
		{"no tiles", Grid{Rows: [][]Tile{{}}}},
		{"negative zoom", Grid{Rows: [][]Tile{row}, Zoom: -1}},
		{"captions mismatch", Grid{Rows: [][]Tile{row}, Captions: []string{"a", "b"}}},
		{"too many headings", Grid{Rows: [][]Tile{row}, Header: []string{"a", "b"}}},
		{"empty image", Grid{Rows: [][]Tile{{{Image: image.NewRGBA(image.Rect(0, 0, 0, 0))}}}}},
	} {
		if _, err := tc.g.Render(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestPixelImage(t *testing.T) {
	rgb, err := PixelImage([]uint8{1, 2, 3, 4, 5, 6}, 1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := color.RGBAModel.Convert(rgb.At(1, 0)).(color.RGBA); got != (color.RGBA{4, 5, 6, 255}) {
		t.Errorf("RGB pixel (1, 0) = %v, want {4 5 6 255}", got)
	}
	grey, err := PixelImage([]uint8{7, 8}, 2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := color.GrayModel.Convert(grey.At(0, 1)).(color.Gray); got.Y != 8 {
		t.Errorf("grey pixel (0, 1) = %v, want 8", got.Y)
	}
	if _, err := PixelImage([]uint8{1, 2}, 1, 1, 3); err == nil {
		t.Error("short pixels: no error")
	}
	if _, err := PixelImage([]uint8{1, 2, 3, 4}, 1, 1, 4); err == nil {
		t.Error("4 channels: no error")
	}
}

func BenchmarkGridRender(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	rows := make([][]Tile, 10)
	for r := range rows {
		rows[r] = make([]Tile, 18)
		for c := range rows[r] {
			rows[r][c] = Tile{Image: img, Frame: color.Black}
		}
	}
	g := Grid{Rows: rows, Captions: make([]string, 10)}
	for b.Loop() {
		if _, err := g.Render(); err != nil {
			b.Fatal(err)
		}
	}
}
