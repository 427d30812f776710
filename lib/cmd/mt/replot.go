package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/metric-transfer/mtlp/lib/pipeline"
	"github.com/metric-transfer/mtlp/lib/quickstart"
	"github.com/metric-transfer/mtlp/lib/repro"
)

// publishedName matches the JSON of a published table or quickstart: table<N>-… or quickstart-….
var publishedName = regexp.MustCompile(`^(?:table([1-9][0-9]*)|quickstart)-.*\.json$`)

// replotCommand renders again the figures of the results published in a folder, from the
// numbers in their JSON, which it leaves as they are.
func replotCommand(args []string) error {
	fs := flag.NewFlagSet("replot", flag.ContinueOnError)
	dir := fs.String("dir", "figures", "the folder of published results (table<N>-*.json, quickstart-*.json); each one's figures are drawn again beside it")
	if err := parseFlags(fs, args, "mt replot [--dir figures]"); err != nil {
		return err
	}
	entries, err := os.ReadDir(*dir)
	if err != nil {
		return fmt.Errorf("--dir: %w", err)
	}
	n := 0
	for _, e := range entries {
		m := publishedName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		path := filepath.Join(*dir, e.Name())
		pngs, err := replot(path, m[1])
		if err != nil {
			return err
		}
		for _, png := range pngs {
			fmt.Println("wrote", png)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("--dir %s: no published table or quickstart result (table<N>-*.json, quickstart-*.json)", *dir)
	}
	return nil
}

// replot draws the figures of the result at path again: table's (its number, "" for the
// quickstart).
func replot(path, table string) ([]string, error) {
	if table == "" {
		r, err := pipeline.ReadResult[quickstart.Result](path)
		if err != nil {
			return nil, err
		}
		return pipeline.Replot(path, "quickstart-"+r.Config.Scale, r)
	}
	n, _ := strconv.Atoi(table)
	t, ok := repro.Tables[n]
	if !ok {
		return nil, fmt.Errorf("replot %s: the paper has no table %d", path, n)
	}
	r, err := t.Read(path)
	if err != nil {
		return nil, err
	}
	return pipeline.Replot(path, fmt.Sprintf("table%d-%s", n, r.Run().Provenance.Scale), r)
}
