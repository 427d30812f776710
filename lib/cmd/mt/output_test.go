package main

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/metric-transfer/mtlp/lib/backendtest"
	"github.com/metric-transfer/mtlp/lib/featio"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// commandRunners run mt propagate, features and evaluate on inputs that do not exist, writing
// to out: an error about the output proves that it was checked before any input was read.
var commandRunners = []struct {
	name, flag string
	run        func(t *testing.T, dir, out string, follow bool) error
}{
	{"propagate", "out", func(t *testing.T, dir, out string, follow bool) error {
		o := propagateOptions{Features: filepath.Join(dir, "none.npy"), Labels: filepath.Join(dir, "none.csv"), Method: "nn", Out: out,
			K: 5, Eta: 4, VoteK: 2, Sigma: 40, Chunks: 1, outputOptions: outputOptions{FollowSymlinks: follow}}
		return runPropagate(o, io.Discard)
	}},
	{"features", "out", func(t *testing.T, dir, out string, follow bool) error {
		o := featuresOptions{Checkpoint: filepath.Join(dir, "none"), Data: "synthetic", Split: "train", Out: out, outputOptions: outputOptions{FollowSymlinks: follow}}
		return runFeatures(o, backendtest.New(t, "go"), syntheticLoad(t), io.Discard)
	}},
	{"evaluate", "json", func(t *testing.T, dir, out string, follow bool) error {
		o := evaluateOptions{Checkpoint: filepath.Join(dir, "none"), Data: "synthetic", K: 5, Temperature: 0.07, JSON: out, outputOptions: outputOptions{FollowSymlinks: follow}}
		_, err := runEvaluate(o, backendtest.New(t, "go"), syntheticLoad(t), "mt evaluate", io.Discard, io.Discard)
		return err
	}},
}

// TestOutputChecksBeforeWork checks every refused kind of output on every command that writes
// a file: the error names the flag, the path and what to do, and what lay there is untouched.
// "DIR" stands for the test's folder.
func TestOutputChecksBeforeWork(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, dir string)
		path   string
		follow bool
		want   []string
		kind   fs.FileMode // what must still lie at DIR/out afterwards
	}{
		{"directory", func(t *testing.T, dir string) { mustDo(t, os.Mkdir(dir+"/out", 0o755)) }, "DIR/out", false,
			[]string{"--FLAG DIR/out: it is a directory"}, fs.ModeDir},
		{"fifo", func(t *testing.T, dir string) { mustDo(t, syscall.Mkfifo(dir+"/out", 0o644)) }, "DIR/out", false,
			[]string{"--FLAG DIR/out: it is a named pipe (FIFO)", "give - to write to standard output"}, fs.ModeNamedPipe},
		{"fifo through a followed link", func(t *testing.T, dir string) {
			mustDo(t, syscall.Mkfifo(dir+"/fifo", 0o644))
			mustDo(t, os.Symlink("fifo", dir+"/out"))
		}, "DIR/out", true, []string{"--FLAG DIR/out (a link to DIR/fifo): it is a named pipe"}, fs.ModeSymlink},
		{"symlink", func(t *testing.T, dir string) { mustDo(t, os.Symlink("elsewhere", dir+"/out")) }, "DIR/out", false,
			[]string{"--FLAG DIR/out: it is a symbolic link to DIR/elsewhere", "pass --follow-symlinks"}, fs.ModeSymlink},
		{"missing folder", nil, "DIR/sub/out", false, []string{"--FLAG DIR/sub/out: its folder DIR/sub does not exist", "mkdir -p DIR/sub"}, 0},
		{"unwritable folder", nil, "/proc/out", false, []string{"--FLAG /proc/out: cannot create files in its folder /proc"}, 0},
	}
	for _, cmd := range commandRunners {
		for _, tc := range cases {
			t.Run(cmd.name+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				if tc.setup != nil {
					tc.setup(t, dir)
				}
				err := cmd.run(t, dir, strings.ReplaceAll(tc.path, "DIR", dir), tc.follow)
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tc.want {
					w = strings.NewReplacer("DIR", dir, "FLAG", cmd.flag).Replace(w)
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if tc.setup == nil {
					return
				}
				if st, err := os.Lstat(dir + "/out"); err != nil || st.Mode().Type() != tc.kind {
					t.Errorf("%s/out is now %v (%v), want %v", dir, st.Mode().Type(), err, tc.kind)
				}
			})
		}
	}
}

// pipeTo returns the write end of a pipe as a command's standard output and a function that
// closes it and returns everything written; the pipe is drained meanwhile, so large outputs do
// not block.
func pipeTo(t *testing.T) (*os.File, func() []byte) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	return w, func() []byte {
		w.Close()
		return <-got
	}
}

// TestOutputsWritten runs features and evaluate on a small checkpoint with their outputs on
// standard output (a pipe) and through a followed symbolic link.
func TestOutputsWritten(t *testing.T) {
	dir := t.TempDir()
	backend := backendtest.New(t, "go")
	po := pretrainOptions{Method: metric.MethodInstance, Net: nets.NetConv4, Data: "synthetic", Split: "train",
		Out: filepath.Join(dir, "ckpt"), Steps: 2, Batch: 8, Channels: 4, LearningRate: 3e-3, Seed: 1}
	cfg, err := po.config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.EmbeddingDim = 8
	if err := runPretrain(po, cfg, backend, syntheticLoad(t), io.Discard); err != nil {
		t.Fatal(err)
	}

	stdout, collect := pipeTo(t)
	fo := featuresOptions{Checkpoint: po.Out, Data: "synthetic", Split: "test", Out: "-", outputOptions: outputOptions{stdout: stdout}}
	var log bytes.Buffer
	if err := runFeatures(fo, backend, syntheticLoad(t), &log); err != nil {
		t.Fatal(err)
	}
	x, err := featio.ReadNPY(bytes.NewReader(collect()))
	if err != nil || x.N != 48 || x.D != 8 {
		t.Errorf("features on standard output: %d×%d, %v; want 48×8", x.N, x.D, err)
	}
	if !strings.Contains(log.String(), "wrote standard output") {
		t.Errorf("log %q does not say where the features went", log.String())
	}

	stdout, collect = pipeTo(t)
	eo := evaluateOptions{Checkpoint: po.Out, Data: "synthetic", K: 5, Temperature: 0.07, JSON: "-", outputOptions: outputOptions{stdout: stdout}}
	var out bytes.Buffer
	log.Reset()
	ev, err := runEvaluate(eo, backend, syntheticLoad(t), "mt evaluate", &out, &log)
	if err != nil {
		t.Fatal(err)
	}
	var saved Evaluation
	if err := json.Unmarshal(collect(), &saved); err != nil || saved.Accuracy != ev.Accuracy {
		t.Errorf("JSON on standard output: %+v, %v; want accuracy %v", saved, err, ev.Accuracy)
	}
	if out.Len() != 0 || !strings.Contains(log.String(), "accuracy") {
		t.Errorf("with --json -, the summary went to standard output (%q) instead of standard error (%q)", out.String(), log.String())
	}

	// Through a followed link: the target is written, the link stays.
	target := filepath.Join(dir, "x.npy")
	link := filepath.Join(dir, "link.npy")
	mustDo(t, os.Symlink("x.npy", link))
	fo = featuresOptions{Checkpoint: po.Out, Data: "synthetic", Split: "test", Out: link, outputOptions: outputOptions{FollowSymlinks: true}}
	if err := runFeatures(fo, backend, syntheticLoad(t), io.Discard); err != nil {
		t.Fatal(err)
	}
	if x, err := featio.ReadNPYFile(target); err != nil || x.N != 48 {
		t.Errorf("link target: %d rows, %v", x.N, err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode().Type() != fs.ModeSymlink {
		t.Errorf("the link was replaced: %v, %v", st.Mode(), err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
