package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportPage converts testdata/pass.ipynb (one PNG output) to HTML and checks the page in
// headless Chromium; the same page checked against a notebook claiming a second figure must
// fail. It needs Debian's jupyter-nbconvert and chromium, which make setup installs.
func TestReportPage(t *testing.T) {
	r := reporter{jupyter: "/usr/bin/jupyter", chromium: "/usr/bin/chromium", dir: t.TempDir()}
	for _, bin := range []string{r.jupyter, r.chromium} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (make setup installs it): %v", bin, err)
		}
	}
	path := filepath.Join("testdata", "pass.ipynb")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := parseNotebook(data)
	if err != nil {
		t.Fatal(err)
	}
	if png, svg := figures(nb); png != 1 || svg != 0 {
		t.Fatalf("testdata/pass.ipynb has %d PNG and %d SVG outputs, want 1 and 0", png, svg)
	}
	ctx := context.Background()
	page, err := r.page(ctx, path, nb)
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "data:image/png;base64,") {
		t.Errorf("%s does not hold the figure inline", page)
	}
	// A notebook with a second figure that the page lacks must not pass.
	twice := *nb
	twice.Cells = append(append([]nbCell(nil), nb.Cells...), nbCell{CellType: "code",
		Outputs: []nbOutput{{OutputType: "display_data", Data: map[string]multiline{"image/png": "iVBORw0KGgo="}}}})
	if err := r.check(ctx, page, &twice); err == nil || !strings.Contains(err.Error(), "renders 1 PNG") {
		t.Errorf("a page missing a figure passed the check: %v", err)
	}
	// The index lists this run's pages and those an earlier run left, each once.
	if err := os.WriteFile(filepath.Join(r.dir, "earlier.html"), []byte("<html></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := r.index([]string{page}); err != nil {
			t.Fatal(err)
		}
	}
	index, err := os.ReadFile(filepath.Join(r.dir, "index.html"))
	if err != nil || strings.Count(string(index), `href="pass.html"`) != 1 || strings.Count(string(index), `href="earlier.html"`) != 1 ||
		strings.Contains(string(index), `href="index.html"`) {
		t.Errorf("index.html: %v\n%s", err, index)
	}
}
