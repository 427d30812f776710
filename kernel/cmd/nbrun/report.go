package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// reporter writes executed notebooks as HTML pages with their figures inline and checks that
// each page renders, in headless Chromium, with every figure the notebook produced.
type reporter struct {
	jupyter  string
	chromium string
	dir      string
}

// page converts the executed notebook at path (parsed as nb) to dir/<name>.html with
// nbconvert and checks it (see check). It returns the page's path.
func (r reporter) page(ctx context.Context, path string, nb *notebook) (string, error) {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return "", err
	}
	name := strings.TrimSuffix(filepath.Base(path), ".ipynb")
	out := filepath.Join(r.dir, name+".html")
	if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	// The setup cell (tagged SetupTag) says where the clone that ran it is: not for a page.
	cmd := exec.CommandContext(ctx, r.jupyter, "nbconvert", "--to", "html", "--TagRemovePreprocessor.enabled=True",
		"--TagRemovePreprocessor.remove_cell_tags="+SetupTag, "--output-dir", r.dir, "--output", name, path)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s nbconvert --to html failed: %w\n%s", r.jupyter, err, tail(log.String(), 30))
	}
	page, err := os.ReadFile(out)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(out, selfContained(page), 0o644); err != nil {
		return "", err
	}
	return out, r.check(ctx, out, nb)
}

// SetupTag tags a notebook's setup cell, which the pages leave out.
const SetupTag = "setup"

// localScripts are what nbconvert's template loads from this machine: require.js, and MathJax
// with its configuration. The pages need neither (no widgets; no math, which the notebooks
// write in Unicode), and the file:// links break everywhere else.
var localScripts = []*regexp.Regexp{
	regexp.MustCompile(`(?s)<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->`),
	regexp.MustCompile(`<script[^>]*\ssrc="file://[^"]*"[^>]*>\s*</script>`),
}

// selfContained returns the page without localScripts.
func selfContained(page []byte) []byte {
	for _, re := range localScripts {
		page = re.ReplaceAll(page, nil)
	}
	return page
}

// check renders the page in headless Chromium: the DOM it builds from the file must hold an
// image area for every PNG (inline) and SVG output of the notebook.
func (r reporter) check(ctx context.Context, out string, nb *notebook) error {
	dom, err := r.render(ctx, out)
	if err != nil {
		return err
	}
	wantPNG, wantSVG := figures(nb)
	// nbconvert puts each image output in its own rendered-image area, the PNG inline.
	gotPNG, gotSVG := strings.Count(dom, `class="jp-RenderedImage`), strings.Count(dom, `class="jp-RenderedSVG`)
	if inline := strings.Count(dom, "data:image/png;base64,"); inline < gotPNG {
		gotPNG = inline
	}
	if gotPNG < wantPNG || gotSVG < wantSVG {
		return fmt.Errorf("%s renders %d PNG and %d SVG figures in Chromium; the notebook has %d and %d", out, gotPNG, gotSVG, wantPNG, wantSVG)
	}
	if !strings.Contains(dom, "</body>") {
		return fmt.Errorf("%s: Chromium rendered no complete page", out)
	}
	return nil
}

// render returns the DOM headless Chromium builds from the HTML file, scripts run.
func (r reporter) render(ctx context.Context, file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
	cmd := exec.CommandContext(ctx, r.chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--virtual-time-budget=5000", "--dump-dom", "file://"+abs)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s --headless --dump-dom %s: %w\n%s", r.chromium, abs, err, tail(stderr.String(), 20))
	}
	return stdout.String(), nil
}

// figures counts the PNG and SVG images among the notebook's outputs.
func figures(nb *notebook) (png, svg int) {
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if _, ok := o.Data["image/png"]; ok {
				png++
			} else if _, ok := o.Data["image/svg+xml"]; ok {
				svg++
			}
		}
	}
	return png, svg
}

// index writes dir/index.html linking the pages and every other page already in dir (from an
// earlier run of other notebooks), by name: the same order whichever notebooks a run executed.
func (r reporter) index(pages []string) error {
	others, err := filepath.Glob(filepath.Join(r.dir, "*.html"))
	if err != nil {
		return err
	}
	for _, p := range others {
		if name := filepath.Base(p); name != "index.html" && !slices.ContainsFunc(pages, func(q string) bool { return filepath.Base(q) == name }) {
			pages = append(pages, p)
		}
	}
	slices.SortFunc(pages, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Notebooks</title></head><body>\n<h1>Notebooks</h1>\n<ul>\n")
	for _, p := range pages {
		name := filepath.Base(p)
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(name), html.EscapeString(strings.TrimSuffix(name, ".html")))
	}
	fmt.Fprintf(&b, "</ul>\n<p>Generated %s.</p>\n</body></html>\n", time.Now().UTC().Format(time.RFC3339))
	return os.WriteFile(filepath.Join(r.dir, "index.html"), []byte(b.String()), 0o644)
}
