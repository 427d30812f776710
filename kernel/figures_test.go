package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

func TestFiguresDir(t *testing.T) {
	// The repository itself: go test runs in kernel/, and notebooks run in notebooks/.
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the layout in a temporary folder, and a folder under another module.
	tmp := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyRoot := filepath.Join(tmp, "copy")
	write(filepath.Join(copyRoot, "go.mod"), "// a copy\nmodule "+modulePath+"\n\ngo 1.26\n")
	write(filepath.Join(copyRoot, "notebooks", "deep", "x.ipynb"), "{}")
	other := filepath.Join(tmp, "other")
	write(filepath.Join(other, "go.mod"), "module example.com/other\n")
	write(filepath.Join(other, "notebooks", "x.ipynb"), "{}")

	tests := []struct {
		name    string
		gonbDir string // "" leaves GONB_DIR unset
		want    string
		wantErr string // a part of the error, "" for none
	}{
		{"notebooks folder", filepath.Join(repo, "notebooks"), filepath.Join(repo, "figures"), ""},
		{"after %cd to the root", repo, filepath.Join(repo, "figures"), ""},
		{"relative", filepath.Join("..", "notebooks"), filepath.Join(repo, "figures"), ""},
		{"unset: the working directory", "", filepath.Join(repo, "figures"), ""},
		{"a copy, two folders down", filepath.Join(copyRoot, "notebooks", "deep"), filepath.Join(copyRoot, "figures"), ""},
		{"another module", filepath.Join(other, "notebooks"), "", "no folder at or above " + filepath.Join(other, "notebooks") + " ($GONB_DIR)"},
		{"no module", filepath.Join(tmp, "copy2"), "", "holds the go.mod of " + modulePath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(protocol.GONB_DIR_ENV, tc.gonbDir)
			got, err := FiguresDir()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FiguresDir() = %q, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FiguresDir() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestRepoPath(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..")) // kernel/ is one level below the repository
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "x.json")
	for _, tc := range []struct{ in, want string }{
		{filepath.Join(root, "figures", "table2-bench.json"), "figures/table2-bench.json"},
		{outside, outside},
	} {
		if got := RepoPath(tc.in); got != tc.want {
			t.Errorf("RepoPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
