package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/repro"
)

// reproCommand runs one of the paper's tables headless, with the calls of its notebook, prints
// it beside the paper's numbers and publishes it.
func reproCommand(args []string) error {
	fs := flag.NewFlagSet("repro", flag.ContinueOnError)
	table := fs.Int("table", 0, "the paper's table to reproduce: 1 (required)")
	scale := fs.String("scale", repro.ScaleFromEnv(repro.Smoke), "smoke or bench (default $"+repro.EnvScale+", else smoke)")
	dataDir := fs.String("data-dir", data.DataDir(), "data directory (default $"+data.EnvDataDir+", else ~/.cache/mtlp/data)")
	cacheDir := fs.String("cache-dir", "", "stage cache (default $MT_CACHE_DIR, else ~/.cache/mtlp/artifacts)")
	publish := fs.String("publish", "figures", "write the result JSON with provenance and its figures into this directory")
	if done, err := parseFlags(fs, args, "mt repro --table N [--scale smoke|bench] [flags]"); done || err != nil {
		return err
	}
	if *table != 1 {
		return fmt.Errorf("--table %d: only table 1 is implemented so far", *table)
	}
	cfg, err := repro.Table1ConfigFor(*scale)
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.CacheDir = *dataDir, *cacheDir
	cfg.Command = "mt repro " + strings.Join(args, " ")
	backend, err := repro.NewBackend()
	if err != nil {
		return err
	}
	res, err := repro.RunTable1(backend, cfg, progressLine())
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr)
	header, rows := res.BesidePaper()
	if err := printTable(header, rows); err != nil {
		return err
	}
	fmt.Println(res.Note())
	fmt.Printf("stages computed: %d (the rest from the cache); wall %.1f s\n", res.Computed, res.Wall)
	if *publish != "" {
		path, err := res.Publish(*publish)
		if err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	return nil
}
