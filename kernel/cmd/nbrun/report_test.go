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
// headless Chromium, without the setup cell or scripts from this machine; the same page
// checked against a notebook claiming a second figure must fail. It needs Debian's jupyter-nbconvert and chromium, which make setup installs.
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
	// The page travels: no setup cell with the path of the clone that ran it, no script
	// loaded from this machine.
	for _, local := range []string{"Added replace rule", "file://"} {
		if strings.Contains(string(html), local) {
			t.Errorf("%s holds %q", page, local)
		}
	}
	// A notebook with a second figure that the page lacks must not pass.
	twice := *nb
	twice.Cells = append(append([]nbCell(nil), nb.Cells...), nbCell{CellType: "code",
		Outputs: []nbOutput{{OutputType: "display_data", Data: map[string]multiline{"image/png": "iVBORw0KGgo="}}}})
	if err := r.check(ctx, page, &twice); err == nil || !strings.Contains(err.Error(), "renders 1 PNG") {
		t.Errorf("a page missing a figure passed the check: %v", err)
	}
	// The index lists this run's pages and those an earlier run left, each once, by name.
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
		strings.Contains(string(index), `href="index.html"`) ||
		strings.Index(string(index), `href="earlier.html"`) > strings.Index(string(index), `href="pass.html"`) {
		t.Errorf("index.html: %v\n%s", err, index)
	}
}

// TestSelfContained checks what a page keeps and loses of nbconvert's head: its styles and
// inline images stay; require.js and MathJax, loaded from this machine, go.
func TestSelfContained(t *testing.T) {
	page := `<head><title>t</title><script src="file:///usr/share/javascript/requirejs/require.min.js"></script>
<style>p{}</style>
<!-- Load mathjax -->
    <script src="file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"> </script>
    <!-- MathJax configuration -->
    <script type="text/x-mathjax-config">
    init_mathjax = function() {};
    </script>
    <!-- End of mathjax configuration --></head><body><img src="data:image/png;base64,AAAA"></body>`
	got := string(selfContained([]byte(page)))
	for _, gone := range []string{"file://", "mathjax", "MathJax"} {
		if strings.Contains(got, gone) {
			t.Errorf("the page still holds %q:\n%s", gone, got)
		}
	}
	for _, kept := range []string{"<style>p{}</style>", "data:image/png;base64,AAAA", "</head><body>"} {
		if !strings.Contains(got, kept) {
			t.Errorf("the page lost %q:\n%s", kept, got)
		}
	}
}
