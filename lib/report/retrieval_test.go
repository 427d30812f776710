package report

import (
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"
)

// TestRetrievalGrid checks the layout against Figure 5's: the query first, framed as a query,
// each ranking's retrievals framed right or wrong, one empty cell between rankings, rankings
// aligned on their longest row, and headings over the query and each ranking's first column.
func TestRetrievalGrid(t *testing.T) {
	img := func(v uint8) image.Image { return solid2x2(color.RGBA{v, v, v, 255}) }
	rows := []Retrieval{
		{Caption: "cat", Query: img(1), Rankings: [][]Retrieved{
			{{img(2), true}, {img(3), false}},
			{{img(4), false}, {img(5), true}},
		}},
		{Caption: "dog", Query: img(6), Rankings: [][]Retrieved{
			{{img(7), true}, {img(8), true}, {img(9), false}},
			{{img(10), true}},
		}},
	}
	g, err := RetrievalGrid([]string{"query", "first", "second"}, rows)
	if err != nil {
		t.Fatal(err)
	}
	// Columns: query, 3 of the first ranking, a gap, then 2 of the second.
	if want := []string{"query", "first", "", "", "", "second", ""}; !slices.Equal(g.Header, want) {
		t.Errorf("header %q, want %q", g.Header, want)
	}
	if !slices.Equal(g.Captions, []string{"cat", "dog"}) {
		t.Errorf("captions %q", g.Captions)
	}
	q, r, w := queryFrame, rightFrame, wrongFrame
	want := [][]struct {
		image uint8
		frame color.Color
	}{
		{{1, q}, {2, r}, {3, w}, {0, nil}, {0, nil}, {4, w}, {5, r}},
		{{6, q}, {7, r}, {8, r}, {9, w}, {0, nil}, {10, r}},
	}
	for i, row := range want {
		if len(g.Rows[i]) != len(row) {
			t.Fatalf("row %d has %d tiles, want %d", i, len(g.Rows[i]), len(row))
		}
		for c, cell := range row {
			tile := g.Rows[i][c]
			if cell.image == 0 {
				if tile.Image != nil || tile.Frame != nil {
					t.Errorf("tile (%d, %d) is %+v, want an empty cell", i, c, tile)
				}
				continue
			}
			if tile.Image == nil || tile.Image.(*image.RGBA).Pix[0] != cell.image || tile.Frame != cell.frame {
				t.Errorf("tile (%d, %d) is %+v, want image %d framed %v", i, c, tile, cell.image, cell.frame)
			}
		}
	}
	if _, err := g.PNG(); err != nil {
		t.Error(err)
	}
	noImage := slices.Clone(rows)
	noImage[1].Rankings = [][]Retrieved{{{nil, true}}}
	for _, tc := range []struct {
		name     string
		headings []string
		rows     []Retrieval
		want     string
	}{
		{"no rows", nil, nil, "no rows"},
		{"no query", nil, []Retrieval{{Caption: "cat"}}, "no query image"},
		{"no retrieved image", nil, noImage, `"dog"), ranking 0: retrieval 0`},
		{"too many headings", []string{"a", "b", "c", "d"}, rows, "4 headings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := RetrievalGrid(tc.headings, tc.rows); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
