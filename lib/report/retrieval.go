package report

import (
	"fmt"
	"image"
	"image/color"
)

// Retrieval is one row of a retrieval figure (the paper's Figure 5): a query image and, for
// each ranking, the images it retrieved, best first.
type Retrieval struct {
	// Caption names the row, the query's class say.
	Caption string
	Query   image.Image
	// Rankings[j] are ranking j's retrievals, best first.
	Rankings [][]Retrieved
}

// Retrieved is a retrieved image and whether it is right (of the query's class).
type Retrieved struct {
	Image image.Image
	Right bool
}

// Frame colours of a retrieval grid: the query, a right retrieval, a wrong one.
var (
	queryFrame = color.RGBA{30, 90, 220, 255}
	rightFrame = color.RGBA{20, 160, 40, 255}
	wrongFrame = color.RGBA{220, 30, 30, 255}
)

// RetrievalGrid lays rows out as a Grid, one row per query, captioned: the query framed blue,
// then each ranking's retrievals framed green when right and red when wrong, an empty cell
// between rankings. A ranking takes as many columns as its longest row, so that rankings line
// up. headings, nil or up to one per ranking plus one, head the query column (headings[0])
// and each ranking's first column (headings[1+j]). The Grid's sizes are left at their
// defaults. It returns an error for no rows, a missing image or too many headings.
func RetrievalGrid(headings []string, rows []Retrieval) (Grid, error) {
	if len(rows) == 0 {
		return Grid{}, fmt.Errorf("report: retrieval grid has no rows")
	}
	var width []int // columns of each ranking
	for r, row := range rows {
		if row.Query == nil {
			return Grid{}, fmt.Errorf("report: retrieval row %d (%q) has no query image", r, row.Caption)
		}
		for j, rk := range row.Rankings {
			if j == len(width) {
				width = append(width, 0)
			}
			width[j] = max(width[j], len(rk))
			for i, t := range rk {
				if t.Image == nil {
					return Grid{}, fmt.Errorf("report: retrieval row %d (%q), ranking %d: retrieval %d has no image", r, row.Caption, j, i)
				}
			}
		}
	}
	if len(headings) > len(width)+1 {
		return Grid{}, fmt.Errorf("report: retrieval grid has %d headings for a query column and %d rankings", len(headings), len(width))
	}
	first := make([]int, len(width)) // the column of each ranking's best retrieval
	cols := 1
	for j, w := range width {
		if j > 0 {
			cols++ // the empty cell between rankings
		}
		first[j] = cols
		cols += w
	}
	g := Grid{}
	if len(headings) > 0 {
		g.Header = make([]string, cols)
		g.Header[0] = headings[0]
		for j, h := range headings[1:] {
			g.Header[first[j]] = h
		}
	}
	for _, row := range rows {
		tiles := make([]Tile, 1, cols)
		tiles[0] = Tile{Image: row.Query, Frame: queryFrame}
		for j, rk := range row.Rankings {
			tiles = append(tiles, make([]Tile, first[j]-len(tiles))...)
			for _, t := range rk {
				frame := wrongFrame
				if t.Right {
					frame = rightFrame
				}
				tiles = append(tiles, Tile{Image: t.Image, Frame: frame})
			}
		}
		g.Rows = append(g.Rows, tiles)
		g.Captions = append(g.Captions, row.Caption)
	}
	return g, nil
}
