package report

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// A Grid lays small images out in rows, as retrieval figures do (the paper's Figure 5): each
// image optionally framed in a colour (right or wrong, say), each row optionally captioned on
// its left, each column optionally headed. Images are upscaled by an integer factor with
// nearest-neighbour sampling, so a 32×32 CIFAR image stays sharp and its pixels stay exact.

// Tile is one cell of a Grid.
type Tile struct {
	// Image is drawn at the cell's top left; nil leaves the cell empty (a spacer).
	Image image.Image
	// Frame, when not nil, is the colour of a FrameWidth ring around the image.
	Frame color.Color
}

// Grid is rows of tiles. Every cell has the size of the largest framed image; rows may have
// different lengths.
type Grid struct {
	Rows [][]Tile
	// Captions, nil or one per row, are drawn left of the rows in a column as wide as the
	// longest; "" leaves a row uncaptioned. Text, here and in Header, is drawn in a 7×13 pixel
	// ASCII font, where any other character shows as '?'.
	Captions []string
	// Header, nil or at most one per column, is drawn above the columns; a long heading runs
	// on over the columns to its right up to the next heading, where it is cut, so "" after it
	// leaves room for it.
	Header []string
	// Zoom is the integer upscaling of every image [3].
	Zoom int
	// FrameWidth is the width of a frame in output pixels [Zoom].
	FrameWidth int
	// Gap is the space between cells and around the grid in output pixels [4].
	Gap int
	// TextZoom is the integer upscaling of the caption and header font [2].
	TextZoom int
	// Background fills everything that is not an image, a frame or text [white].
	Background color.Color
}

// textFace is the font of captions and headings: ASCII, 7×13 pixels, no hinting to go wrong.
var textFace = basicfont.Face7x13

// withDefaults fills in the zero fields and checks the rest.
func (g Grid) withDefaults() (Grid, error) {
	if g.Zoom < 0 || g.FrameWidth < 0 || g.Gap < 0 || g.TextZoom < 0 {
		return g, fmt.Errorf("report: grid Zoom %d, FrameWidth %d, Gap %d and TextZoom %d must not be negative (0 means the default)",
			g.Zoom, g.FrameWidth, g.Gap, g.TextZoom)
	}
	g.Zoom = cmp.Or(g.Zoom, 3)
	g.FrameWidth = cmp.Or(g.FrameWidth, g.Zoom)
	g.Gap = cmp.Or(g.Gap, 4)
	g.TextZoom = cmp.Or(g.TextZoom, 2)
	if g.Background == nil {
		g.Background = color.White
	}
	if len(g.Rows) == 0 {
		return g, fmt.Errorf("report: grid has no rows")
	}
	if g.Captions != nil && len(g.Captions) != len(g.Rows) {
		return g, fmt.Errorf("report: grid has %d captions for %d rows; give one per row or none", len(g.Captions), len(g.Rows))
	}
	return g, nil
}

// layout is where things go in the output image.
type layout struct {
	cols, cellW, cellH int
	captionW, headerH  int
	width, height      int
}

// cell returns the top-left corner of cell (r, c).
func (l layout) cell(g Grid, r, c int) image.Point {
	return image.Pt(g.Gap+l.captionW+c*(l.cellW+g.Gap), g.Gap+l.headerH+r*(l.cellH+g.Gap))
}

func (g Grid) layout() (layout, error) {
	var l layout
	maxW, maxH := 0, 0
	for r, row := range g.Rows {
		l.cols = max(l.cols, len(row))
		for c, t := range row {
			if t.Image == nil {
				continue
			}
			b := t.Image.Bounds()
			if b.Empty() {
				return l, fmt.Errorf("report: grid tile (%d, %d) is an empty image; use a nil Image for an empty cell", r, c)
			}
			maxW, maxH = max(maxW, b.Dx()), max(maxH, b.Dy())
		}
	}
	if l.cols == 0 {
		return l, fmt.Errorf("report: grid has %d rows but no tiles", len(g.Rows))
	}
	if len(g.Header) > l.cols {
		return l, fmt.Errorf("report: grid has %d headings for %d columns", len(g.Header), l.cols)
	}
	l.cellW, l.cellH = maxW*g.Zoom+2*g.FrameWidth, maxH*g.Zoom+2*g.FrameWidth
	for _, s := range g.Captions {
		l.captionW = max(l.captionW, textWidth(s)*g.TextZoom)
	}
	if l.captionW > 0 {
		l.captionW += g.Gap
	}
	for _, s := range g.Header {
		if s != "" {
			l.headerH = textFace.Height*g.TextZoom + g.Gap
			break
		}
	}
	l.width = g.Gap + l.captionW + l.cols*(l.cellW+g.Gap)
	l.height = g.Gap + l.headerH + len(g.Rows)*(l.cellH+g.Gap)
	const maxPixels = 1 << 28 // a gigabyte of RGBA: a mistake, not a figure
	if l.width*l.height > maxPixels {
		return l, fmt.Errorf("report: grid of %d×%d pixels is too large; lower Zoom or split it", l.width, l.height)
	}
	return l, nil
}

// Render draws the grid. Tile (r, c) occupies the cell whose top-left corner is
// (Gap + caption column + c·(cell width + Gap), Gap + header row + r·(cell height + Gap)); its
// frame, if any, is the ring of FrameWidth pixels around the image, which starts FrameWidth
// pixels into the cell. Errors name the bad field: negative sizes, no rows, an empty image,
// captions or headings that do not match the rows and columns.
func (g Grid) Render() (*image.RGBA, error) {
	g, err := g.withDefaults()
	if err != nil {
		return nil, err
	}
	l, err := g.layout()
	if err != nil {
		return nil, err
	}
	out := image.NewRGBA(image.Rect(0, 0, l.width, l.height))
	fill(out, out.Bounds(), g.Background)
	for r, row := range g.Rows {
		for c, t := range row {
			if t.Image == nil {
				continue
			}
			p := l.cell(g, r, c)
			b := t.Image.Bounds()
			fw := g.FrameWidth
			inner := image.Rect(0, 0, b.Dx()*g.Zoom, b.Dy()*g.Zoom).Add(p.Add(image.Pt(fw, fw)))
			if t.Frame != nil {
				fill(out, inner.Inset(-fw), t.Frame)
				fill(out, inner, g.Background)
			}
			zoomInto(out, inner.Min, t.Image, g.Zoom)
		}
	}
	for r, s := range g.Captions {
		// Centred vertically on its row.
		y := l.cell(g, r, 0).Y + (l.cellH-textFace.Height*g.TextZoom)/2
		drawText(out, image.Pt(g.Gap, y), s, g.TextZoom, l.captionW)
	}
	for c, s := range g.Header {
		end := l.width
		for next := c + 1; next < len(g.Header); next++ {
			if strings.TrimSpace(g.Header[next]) != "" {
				end = l.cell(g, 0, next).X - g.Gap
				break
			}
		}
		x := l.cell(g, 0, c).X
		drawText(out, image.Pt(x, g.Gap), s, g.TextZoom, end-x)
	}
	return out, nil
}

// PNG renders the grid and encodes it as a PNG.
func (g Grid) PNG() ([]byte, error) {
	img, err := g.Render()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("report: encoding grid PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// PixelImage wraps h×w×c interleaved 8-bit pixels (c = 1 grey or 3 RGB, the layout of
// data.Dataset.Image) as an image for a Grid. It copies the pixels.
func PixelImage(pix []uint8, h, w, c int) (image.Image, error) {
	if h <= 0 || w <= 0 || (c != 1 && c != 3) {
		return nil, fmt.Errorf("report: image of %d×%d×%d; want positive sizes and 1 or 3 channels", h, w, c)
	}
	if len(pix) != h*w*c {
		return nil, fmt.Errorf("report: %d pixel bytes for a %d×%d×%d image", len(pix), h, w, c)
	}
	if c == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		copy(g.Pix, pix)
		return g, nil
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range h * w {
		copy(img.Pix[4*i:4*i+3], pix[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	return img, nil
}

// fill paints r (clipped to dst) in colour c.
func fill(dst *image.RGBA, r image.Rectangle, c color.Color) {
	rgba := color.RGBAModel.Convert(c).(color.RGBA)
	r = r.Intersect(dst.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dst.SetRGBA(x, y, rgba)
		}
	}
}

// zoomInto copies src to dst at p, each source pixel becoming a zoom×zoom block.
func zoomInto(dst *image.RGBA, p image.Point, src image.Image, zoom int) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			block := image.Rect(0, 0, zoom, zoom).Add(p.Add(image.Pt((x-b.Min.X)*zoom, (y-b.Min.Y)*zoom)))
			fill(dst, block, src.At(x, y))
		}
	}
}

// textWidth is the width of s in the text face, in unzoomed pixels.
func textWidth(s string) int {
	return font.MeasureString(textFace, printable(s)).Ceil()
}

// printable replaces what the text face does not draw, anything but printable ASCII, by '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return '?'
		}
		return r
	}, s)
}

// drawText writes s in black with its top-left corner at p, the font upscaled by zoom; text
// running past width output pixels, or past the image, is cut off.
func drawText(dst *image.RGBA, p image.Point, s string, zoom, width int) {
	s = strings.TrimSpace(printable(s))
	w := textWidth(s)
	if w == 0 {
		return
	}
	// The font draws at 1×; a mask at that size is then zoomed like the images.
	mask := image.NewAlpha(image.Rect(0, 0, w, textFace.Height))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: textFace, Dot: fixed.P(0, textFace.Ascent)}
	d.DrawString(s)
	w = min(w, width/zoom)
	for y := range textFace.Height {
		for x := range w {
			if mask.AlphaAt(x, y).A < 128 {
				continue
			}
			fill(dst, image.Rect(0, 0, zoom, zoom).Add(p.Add(image.Pt(x*zoom, y*zoom))), color.Black)
		}
	}
}
