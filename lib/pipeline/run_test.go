package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

// testEnv is a test's environment: the default backend, a fresh stage cache and the command
// "test".
func testEnv(t *testing.T) Env {
	t.Helper()
	b, err := NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return Env{Backend: b, CacheDir: t.TempDir(), Command: "test"}
}

// kResult is a stage's result for the tests.
type kResult struct {
	Timed
	K int `json:"k"`
}

// TestStageRecomputesAnEarlierLayout: an entry that passes the store's check but lacks the file
// its stage reads (written in an earlier layout of the stage) is moved aside and computed anew;
// a second call reads it from the cache.
func TestStageRecomputesAnEarlierLayout(t *testing.T) {
	r, err := testEnv(t).Open("test", "smoke")
	if err != nil {
		t.Fatal(err)
	}
	const key = "quality-0123456789abcdef0123"
	if _, _, err := r.store.Build(key, func(dir string) error {
		return os.WriteFile(filepath.Join(dir, "old.json"), []byte("{}"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	compute := func(string) (*kResult, error) { return &kResult{K: 7}, nil }
	for i, want := range []bool{false, true} {
		v, _, err := Stage(r, key, "result.json", compute)
		if err != nil || v.K != 7 || v.Cached != want {
			t.Fatalf("call %d: %+v, %v; want K 7 and cached %v", i, v, err, want)
		}
	}
	if r.computed != 1 {
		t.Errorf("%d stages computed, want 1", r.computed)
	}
	if aside, _ := filepath.Glob(filepath.Join(r.store.Dir, "corrupt", key+"-*")); len(aside) != 1 {
		t.Errorf("%d entries moved aside, want 1", len(aside))
	}
}

// TestNotebookEnvCommand: a notebook's result says how to run it again, in Jupyter or, when
// the headless runner executed it, through make report.
func TestNotebookEnvCommand(t *testing.T) {
	for _, tc := range []struct{ headless, want string }{
		{"", "make notebook → notebooks/table1.ipynb (MT_SCALE=bench)"},
		{"1", "make report REPORT_SCALE=bench NOTEBOOKS=notebooks/table1.ipynb"},
	} {
		t.Setenv(EnvHeadless, tc.headless)
		env, err := NotebookEnv("table1", Bench, nil)
		if err != nil {
			t.Fatal(err)
		}
		if env.Command != tc.want {
			t.Errorf("MT_HEADLESS=%q: command %q, want %q", tc.headless, env.Command, tc.want)
		}
	}
}
