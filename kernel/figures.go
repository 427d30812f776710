package kernel

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/janpfeifer/gonb/gonbui/protocol"
	"golang.org/x/mod/modfile"
)

// modulePath is the module whose go.mod marks the repository's root for FiguresDir.
const modulePath = "github.com/metric-transfer/mtlp"

// FiguresDir returns the repository's figures/ folder, where a notebook publishes its results
// (the Publish methods of lib/repro) and reads published ones back: figures/ in the nearest
// folder, at or above $GONB_DIR, that holds the go.mod of module github.com/metric-transfer/mtlp.
//
// GoNB sets GONB_DIR to the folder its kernel runs in, notebooks/ until a cell changes it with
// %cd; the cell's program itself is built in a temporary folder, so the folder of the notebook
// is known only through GONB_DIR. Searching upwards for the go.mod rather than taking
// $GONB_DIR/.. keeps the answer right after a %cd within the repository. Outside GoNB (go test,
// a command), where GONB_DIR is unset, the search starts at the working directory. The error
// names where the search started when no folder above it is the repository's root.
func FiguresDir() (string, error) {
	start, from := os.Getenv(protocol.GONB_DIR_ENV), "$"+protocol.GONB_DIR_ENV
	if start == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("kernel: figures folder: %s is not set and the working directory is unknown: %w", protocol.GONB_DIR_ENV, err)
		}
		start, from = wd, "the working directory, as "+protocol.GONB_DIR_ENV+" is not set"
	}
	start, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("kernel: figures folder: %s: %w", from, err)
	}
	for dir := start; ; dir = filepath.Dir(dir) {
		if isModuleRoot(dir) {
			return filepath.Join(dir, "figures"), nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("kernel: figures folder: no folder at or above %s (%s) holds the go.mod of %s: "+
				"open the notebook from the repository's notebooks/ folder, or %%cd into the repository", start, from, modulePath)
		}
	}
}

// isModuleRoot reports whether dir holds this repository's go.mod.
func isModuleRoot(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && modfile.ModulePath(b) == modulePath
}

// RepoPath returns path relative to the repository that holds it ("figures/table2-bench.json"),
// so that what a notebook shows names no folder of the machine that ran it; a path outside the
// repository is returned as it is.
func RepoPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if isModuleRoot(dir) {
			if rel, err := filepath.Rel(dir, abs); err == nil {
				return filepath.ToSlash(rel)
			}
			return path
		}
		if filepath.Dir(dir) == dir {
			return path
		}
	}
}
