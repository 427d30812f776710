// Command nbrun executes Jupyter notebooks headless with the GoNB kernel and
// checks what they produced; `make test` runs it on notebooks/*.ipynb.
//
//	go run ./kernel/cmd/nbrun [-timeout 15m] [-out DIR] notebooks/*.ipynb
//
// Each notebook is executed by `jupyter nbconvert --execute` into -out, and
// fails when a cell has an error output (GoNB reports compile errors this
// way), a panic or a non-zero exit on stderr (a cell program or a `!`
// command), or lacks an output that a line of its source asks for:
//
//	// expect: table   an HTML <table> (kernel.ShowTable)
//	// expect: image   a PNG or SVG (kernel.ShowPlot)
//
// The environment passes through to the kernel and so to the cells: `make
// test` sets MT_SCALE=smoke there. nbrun exits 1 if any notebook failed,
// naming the notebook, the cell index (from 0) and the error text.
//
// With -html DIR it also writes each passing notebook as DIR/<name>.html (nbconvert, figures
// inline) and an index.html, and checks every page in headless Chromium: the page must render
// with every figure the notebook produced. `make report` uses it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	r := runner{}
	jupyter := os.Getenv("JUPYTER")
	if jupyter == "" {
		// Debian's, whatever python3 is first on PATH (pyenv's has no nbconvert).
		jupyter = "/usr/bin/jupyter"
	}
	flag.DurationVar(&r.timeout, "timeout", 15*time.Minute, "longest a single cell may run")
	flag.StringVar(&r.outDir, "out", "build/notebooks", "directory for the executed notebooks")
	flag.StringVar(&r.jupyter, "jupyter", jupyter, "jupyter command (default $JUPYTER, else /usr/bin/jupyter)")
	flag.StringVar(&r.kernel, "kernel", "gonb", "Jupyter kernel spec to run the notebooks with")
	var rep reporter
	flag.StringVar(&rep.dir, "html", "", "also write the executed notebooks as HTML into this directory, each page checked in headless Chromium")
	flag.StringVar(&rep.chromium, "chromium", "/usr/bin/chromium", "Chromium for checking the HTML pages (Debian's chromium)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: nbrun [flags] NOTEBOOK.ipynb...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep.jupyter = r.jupyter
	failed := 0
	var pages []string
	for _, path := range flag.Args() {
		nb, out, ok := runOne(ctx, r, path)
		if !ok {
			failed++
		} else if rep.dir != "" {
			page, err := rep.page(ctx, out, nb)
			if err != nil {
				fmt.Printf("FAIL %s: HTML report: %v\n", path, err)
				failed++
			} else {
				fmt.Printf("HTML %s\n", page)
				pages = append(pages, page)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if rep.dir != "" && len(pages) > 0 {
		if err := rep.index(pages); err != nil {
			fmt.Printf("nbrun: writing the report index: %v\n", err)
			failed++
		}
	}
	if failed > 0 {
		fmt.Printf("nbrun: %d of %d notebooks failed\n", failed, flag.NArg())
		os.Exit(1)
	}
}

// runOne executes and checks one notebook, prints its verdict and wall
// time, and returns the executed notebook, its path and whether it passed.
func runOne(ctx context.Context, r runner, path string) (*notebook, string, bool) {
	fmt.Printf("RUN  %s\n", path)
	start := time.Now()
	nb, fails, out, err := executeAndCheck(ctx, r, path)
	wall := time.Since(start).Round(100 * time.Millisecond)
	switch {
	case err != nil:
		fmt.Printf("FAIL %s (%v): %v\n", path, wall, err)
		return nil, out, false
	case len(fails) > 0:
		fmt.Printf("FAIL %s (%v), executed copy in %s:\n", path, wall, out)
		for _, f := range fails {
			fmt.Printf("  %s: %s\n", path, indent(f.String()))
		}
		return nb, out, false
	}
	fmt.Printf("PASS %s (%v)\n", path, wall)
	return nb, out, true
}

func executeAndCheck(ctx context.Context, r runner, path string) (*notebook, []failure, string, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, "", err
	}
	out, err := r.execute(ctx, path)
	if err != nil {
		return nil, nil, "", err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, nil, out, err
	}
	nb, err := parseNotebook(data)
	if err != nil {
		return nil, nil, out, fmt.Errorf("%s: %w", out, err)
	}
	return nb, check(nb), out, nil
}

// indent keeps continuation lines of a multi-line reason under its first.
func indent(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, r)
		if r == '\n' {
			out = append(out, []rune("      ")...)
		}
	}
	return string(out)
}
