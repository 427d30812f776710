// Command nbinstall writes the Jupyter kernel spec of the GoNB kernel
// ("gonb") into the user's Jupyter data directory, so that
// `jupyter kernelspec list` shows it and notebooks run with it.
//
//	go run ./kernel/cmd/nbinstall -gonb bin/gonb -path bin:/usr/local/go/bin
//
// It does what `gonb --install` does, plus one thing GoNB lacks: the spec's
// env puts -path in front of $PATH, because GoNB runs `go`, `goimports` and
// `gopls` from $PATH and this project builds the last two into bin/ rather
// than installing them system-wide. The file is rewritten only when its
// content changes, so running it again is cheap and says so.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	gonb := flag.String("gonb", "bin/gonb", "GoNB binary the kernel spec runs")
	path := flag.String("path", "bin", "colon-separated directories put in front of $PATH for the kernel: where go, goimports and gopls are")
	name := flag.String("name", "gonb", "kernel name, as notebooks and nbconvert refer to it")
	dataDir := flag.String("data-dir", "", "Jupyter data directory (default $JUPYTER_DATA_DIR, else ~/.local/share/jupyter)")
	flag.Parse()
	if err := run(*gonb, *path, *name, *dataDir, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "nbinstall:", err)
		os.Exit(1)
	}
}

// run writes the kernel spec, and tells stderr when it replaces one that ran another GoNB
// binary (another clone's: the spec is per user, so the last clone set up wins).
func run(gonb, pathList, name, dataDir string, stderr io.Writer) error {
	if dataDir == "" {
		var err error
		if dataDir, err = defaultDataDir(); err != nil {
			return err
		}
	}
	sp, err := newSpec(gonb, filepath.SplitList(pathList))
	if err != nil {
		return err
	}
	file := filepath.Join(dataDir, "kernels", name, "kernel.json")
	var old spec
	if raw, err := os.ReadFile(file); err == nil && json.Unmarshal(raw, &old) == nil && len(old.Argv) > 0 && old.Argv[0] != sp.Argv[0] {
		fmt.Fprintf(stderr, "nbinstall: the kernel spec %q, shared by every clone of this user, ran %s; it now runs %s, so notebooks opened from any clone use this one's kernel (run make setup in the other clone to point it back)\n",
			name, old.Argv[0], sp.Argv[0])
	}
	changed, err := writeIfChanged(file, sp)
	if err != nil {
		return err
	}
	state := "up to date"
	if changed {
		state = "written"
	}
	fmt.Printf("kernel spec %q %s: %s (runs %s, PATH=%s)\n", name, state, file, sp.Argv[0], sp.Env["PATH"])
	return nil
}

// defaultDataDir is where Jupyter looks for user kernel specs on Linux.
func defaultDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory to install the kernel spec in (set -data-dir or JUPYTER_DATA_DIR): %w", err)
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// spec is a Jupyter kernel spec (kernel.json), as `gonb --install` writes it.
type spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
}

// newSpec checks that the tools GoNB needs are where the spec points, and
// builds the spec with absolute paths.
func newSpec(gonb string, dirs []string) (*spec, error) {
	gonbAbs, err := filepath.Abs(gonb)
	if err != nil {
		return nil, err
	}
	if err := executable(gonbAbs); err != nil {
		return nil, fmt.Errorf("GoNB binary: %w (build it with `make setup`)", err)
	}
	var abs []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		a, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		abs = append(abs, a)
	}
	for _, tool := range []string{"go", "goimports", "gopls"} {
		if !inDirs(tool, abs) {
			return nil, fmt.Errorf("%s is in none of -path %q: GoNB needs go, goimports and gopls (build them with `make setup`)", tool, strings.Join(abs, ":"))
		}
	}
	return &spec{
		Argv:          []string{gonbAbs, "--kernel", "{connection_file}"},
		DisplayName:   "Go (gonb)",
		Language:      "go",
		InterruptMode: "message",
		// jupyter_client expands ${PATH} from the environment it starts the kernel in.
		Env: map[string]string{"PATH": strings.Join(append(abs, "${PATH}"), string(os.PathListSeparator))},
	}, nil
}

func inDirs(tool string, dirs []string) bool {
	for _, d := range dirs {
		if executable(filepath.Join(d, tool)) == nil {
			return true
		}
	}
	return false
}

func executable(file string) error {
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", file)
	}
	return nil
}

// writeIfChanged writes sp to file unless file already holds exactly that.
func writeIfChanged(file string, sp *spec) (bool, error) {
	data, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return false, err
	}
	data = append(data, '\n')
	if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return false, err
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return false, err
	}
	return true, nil
}
