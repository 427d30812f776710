package checkpoint

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
)

// settings stand for a run's settings in the tests.
type settings struct {
	Method string
	Steps  int
	Rate   float64
	Data   struct{ Name string }
}

func testSettings() settings {
	s := settings{Method: "instance", Steps: 10, Rate: 0.003}
	s.Data.Name = "synthetic"
	return s
}

// testContext returns a context with variables of several dtypes, scopes and trainable flags,
// their values shifted by x.
func testContext(x float32) *context.Context {
	ctx := context.New()
	ctx.In("net").In("dense").VariableWithValue("weights", [][]float32{{x, 2}, {3, 4}, {5, 6}})
	ctx.In("net").VariableWithValue("scale", float64(x)/3)
	ctx.In("net").VariableWithValue("steps", int64(x)).SetTrainable(false)
	ctx.VariableWithValue("rng", []uint64{uint64(x), 9}).SetTrainable(false)
	ctx.In("bank").VariableWithValue("seen", []bool{true, x > 1}).SetTrainable(false)
	ctx.In("half").VariableWithValue("h", tensors.FromFlatDataAndDimensions([]bfloat16.BFloat16{bfloat16.FromFloat32(x)}, 1))
	return ctx
}

// snapshot is what a context holds: each variable's bytes, shape and trainable flag.
func snapshot(t *testing.T, ctx *context.Context) map[string]string {
	t.Helper()
	out := map[string]string{}
	for v := range ctx.IterVariables() {
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		var b []byte
		if err := val.ConstBytes(func(data []byte) { b = slices.Clone(data) }); err != nil {
			t.Fatal(err)
		}
		out[v.ScopeAndName()] = val.Shape().String() + " trainable=" + map[bool]string{true: "1", false: "0"}[v.Trainable] + " " + string(b)
	}
	return out
}

func equalSnapshots(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d variables, want %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
}

func open(t *testing.T, dir string) *Dir {
	t.Helper()
	d, err := Open(dir, "test", testSettings())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// savedOnce opens dir (open) and saves a training checkpoint of step 1 in it.
func savedOnce(t *testing.T, dir string) *Dir {
	t.Helper()
	d := open(t, dir)
	if _, err := d.Save(testContext(1), 1, Training); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSaveLoad saves a context and loads it into a fresh one (where every variable is
// created) and into one whose variables exist with other values and flags.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir)
	src := testContext(7)
	m, err := d.Save(src, 7, Final)
	if err != nil {
		t.Fatal(err)
	}
	if m.Step != 7 || m.Phase != Final || len(m.Variables) != 6 {
		t.Errorf("manifest: step %d, phase %s, %d variables; want 7, final, 6", m.Step, m.Phase, len(m.Variables))
	}
	want := snapshot(t, src)
	for name, dst := range map[string]*context.Context{"fresh": context.New(), "existing": flipTrainable(testContext(1))} {
		c, err := d.Load(dst)
		if err != nil {
			t.Fatal(err)
		}
		if c == nil || c.Step != 7 || c.Phase != Final {
			t.Fatalf("%s: loaded %+v, want step 7, final", name, c)
		}
		equalSnapshots(t, snapshot(t, dst), want)
	}
	names := dirNames(t, dir)
	if !slices.Equal(names, []string{"ckpt-000001.bin", "ckpt-000001.json", LockFile, OriginFile}) {
		t.Errorf("directory holds %v", names)
	}
}

// TestSaveOrder: equal states saved from contexts that created their variables in other orders
// (as a resumed run does, whose variables come from the checkpoint before the graph asks for
// them) give the same files, byte for byte.
func TestSaveOrder(t *testing.T) {
	reversed := context.New()
	reversed.In("half").VariableWithValue("h", tensors.FromFlatDataAndDimensions([]bfloat16.BFloat16{bfloat16.FromFloat32(7)}, 1))
	reversed.In("bank").VariableWithValue("seen", []bool{true, true}).SetTrainable(false)
	reversed.VariableWithValue("rng", []uint64{7, 9}).SetTrainable(false)
	reversed.In("net").VariableWithValue("steps", int64(7)).SetTrainable(false)
	reversed.In("net").VariableWithValue("scale", float64(7)/3)
	reversed.In("net").In("dense").VariableWithValue("weights", [][]float32{{7, 2}, {3, 4}, {5, 6}})
	equalSnapshots(t, snapshot(t, reversed), snapshot(t, testContext(7)))
	var files [2][]string
	for i, ctx := range []*context.Context{testContext(7), reversed} {
		dir := t.TempDir()
		if _, err := open(t, dir).Save(ctx, 7, Final); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"ckpt-000001.bin", "ckpt-000001.json"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			files[i] = append(files[i], string(b))
		}
	}
	if !slices.Equal(files[0], files[1]) {
		t.Errorf("the same variables created in another order were saved differently:\n%s\n%s", files[0][1], files[1][1])
	}
}

func flipTrainable(ctx *context.Context) *context.Context {
	for v := range ctx.IterVariables() {
		v.SetTrainable(!v.Trainable)
	}
	return ctx
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// TestLoadShapeMismatch refuses to load a variable into one of another shape, leaving the
// context as it was.
func TestLoadShapeMismatch(t *testing.T) {
	d := open(t, t.TempDir())
	if _, err := d.Save(testContext(2), 2, Training); err != nil {
		t.Fatal(err)
	}
	dst := context.New()
	dst.In("net").In("dense").VariableWithValue("weights", [][]float32{{1, 2}})
	before := snapshot(t, dst)
	if _, err := d.Load(dst); err == nil || !strings.Contains(err.Error(), "/net/dense/weights") {
		t.Fatalf("error %v, want one naming /net/dense/weights", err)
	}
	equalSnapshots(t, snapshot(t, dst), before)
}

func TestKeep(t *testing.T) {
	for _, tc := range []struct{ keep, saves, want int }{{0, 4, 2}, {1, 3, 1}, {3, 5, 3}, {2, 1, 1}} {
		dir := t.TempDir()
		d := open(t, dir)
		d.Keep = tc.keep
		for i := range tc.saves {
			if _, err := d.Save(testContext(float32(i)), i, Training); err != nil {
				t.Fatal(err)
			}
		}
		seqs, err := manifests(dir)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.bin"))
		if len(seqs) != tc.want || len(data) != tc.want || seqs[0] != tc.saves {
			t.Errorf("Keep %d after %d saves: manifests %v, %d data files; want the newest %d", tc.keep, tc.saves, seqs, len(data), tc.want)
		}
	}
}

// TestCorruptFallsBack damages the newest of two checkpoints in several ways: Load uses the
// older one, moves the damaged one aside with a warning naming both, and the next save takes a
// new number.
func TestCorruptFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"flipped byte", func(t *testing.T, dir string) {
			editFile(t, dir, "ckpt-000002.bin", func(b []byte) []byte { b[3] ^= 1; return b })
		}, "SHA-256"},
		{"truncated data", func(t *testing.T, dir string) {
			editFile(t, dir, "ckpt-000002.bin", func(b []byte) []byte { return b[:len(b)/2] })
		}, "bytes, the manifest says"},
		{"missing data", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "ckpt-000002.bin")) }, "no such file"},
		{"garbled manifest", func(t *testing.T, dir string) {
			editFile(t, dir, "ckpt-000002.json", func(b []byte) []byte { return b[:10] })
		}, "decoding"},
		{"empty manifest", func(t *testing.T, dir string) {
			editFile(t, dir, "ckpt-000002.json", func([]byte) []byte { return nil })
		}, "decoding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := open(t, dir)
			older := testContext(3)
			want := snapshot(t, older)
			for i, ctx := range []*context.Context{older, testContext(4)} {
				if _, err := d.Save(ctx, i+3, Training); err != nil {
					t.Fatal(err)
				}
			}
			tc.damage(t, dir)
			var warnings []string
			d.Warn = func(msg string) { warnings = append(warnings, msg) }
			dst := context.New()
			c, err := d.Load(dst)
			if err != nil {
				t.Fatal(err)
			}
			if c.Step != 3 {
				t.Fatalf("loaded step %d, want the older checkpoint's 3", c.Step)
			}
			equalSnapshots(t, snapshot(t, dst), want)
			if len(warnings) != 1 || !strings.Contains(warnings[0], "ckpt-000002.json") || !strings.Contains(warnings[0], "older checkpoint") ||
				!strings.Contains(warnings[0], "ckpt-000001.json") || !strings.Contains(warnings[0], tc.want) {
				t.Errorf("warnings %q, want one naming both checkpoints and %q", warnings, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "ckpt-000002.json"+CorruptSuffix)); err != nil {
				t.Errorf("the damaged manifest was not moved aside: %v", err)
			}
			if _, err := d.Save(testContext(5), 5, Training); err != nil {
				t.Fatal(err)
			}
			if seqs, _ := manifests(dir); !slices.Equal(seqs, []int{3, 1}) {
				t.Errorf("manifests %v after the next save, want [3 1]", seqs)
			}
		})
	}
}

func editFile(t *testing.T, dir, name string, edit func([]byte) []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNoneVerifies: with its only checkpoint damaged, Load fails saying how to go on; the
// damaged checkpoint is aside, so the next Load finds none and a run starts from step 0.
func TestNoneVerifies(t *testing.T) {
	dir := t.TempDir()
	d := savedOnce(t, dir)
	editFile(t, dir, "ckpt-000001.bin", func(b []byte) []byte { return b[1:] })
	r, err := Read(dir, func(string) {})
	if err == nil || r != nil || !strings.Contains(err.Error(), "rerun the training") {
		t.Errorf("Read: %v, %v; want an error saying to rerun the training", r, err)
	}
	if _, err := d.Load(context.New()); err == nil || !strings.Contains(err.Error(), "no checkpoint verifies") ||
		!strings.Contains(err.Error(), "rerun to train from step 0") {
		t.Fatalf("error %v, want one saying none verifies and how to go on", err)
	}
	if c, err := d.Load(context.New()); c != nil || err != nil {
		t.Fatalf("second Load: %v, %v; want nothing to load", c, err)
	}
}

// TestKilledSaveLeftovers: the files a killed save leaves (a temporary file, a data file
// without its manifest) are never read, and are removed by Open and the next save.
func TestKilledSaveLeftovers(t *testing.T) {
	dir := t.TempDir()
	d := savedOnce(t, dir)
	d.Close()
	for _, name := range []string{".ckpt-000002.bin" + atomicfile.TempMark + "123", "ckpt-000003.bin"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d = open(t, dir)
	if c, err := d.Load(context.New()); err != nil || c.Step != 1 {
		t.Fatalf("Load: %+v, %v; want step 1", c, err)
	}
	if _, err := d.Save(testContext(2), 2, Training); err != nil {
		t.Fatal(err)
	}
	want := []string{"ckpt-000001.bin", "ckpt-000001.json", "ckpt-000004.bin", "ckpt-000004.json", LockFile, OriginFile}
	if names := dirNames(t, dir); !slices.Equal(names, want) {
		t.Errorf("directory holds %v, want %v", names, want)
	}
}

// TestNonFiniteNotSaved: a float variable holding NaN or ±Inf is refused, naming it, and
// nothing is written.
func TestNonFiniteNotSaved(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(ctx *context.Context)
		want string
	}{
		{"float32 NaN", func(ctx *context.Context) {
			ctx.GetVariableByScopeAndName("/net/dense", "weights").MustSetValue(tensors.FromValue([]float32{1, float32(math.NaN())}))
		}, "/net/dense/weights holds NaN (element 1)"},
		{"float64 -Inf", func(ctx *context.Context) {
			ctx.GetVariableByScopeAndName("/net", "scale").MustSetValue(tensors.FromValue(math.Inf(-1)))
		}, "/net/scale holds -Inf"},
		{"bfloat16 +Inf", func(ctx *context.Context) {
			ctx.GetVariableByScopeAndName("/half", "h").MustSetValue(tensors.FromFlatDataAndDimensions([]bfloat16.BFloat16{bfloat16.FromFloat32(float32(math.Inf(1)))}, 1))
		}, "/half/h holds +Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := open(t, dir)
			ctx := testContext(1)
			tc.set(ctx)
			_, err := d.Save(ctx, 1, Training)
			var nf *NonFiniteError
			if !errors.As(err, &nf) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a NonFiniteError containing %q", err, tc.want)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{LockFile}) {
				t.Errorf("directory holds %v after the refused save", names)
			}
		})
	}
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir)
	if _, err := Open(dir, "test", testSettings()); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Open: %v, want an error saying the directory is in use", err)
	}
	d.Close()
	open(t, dir).Close()
}

// TestRestart moves a directory's checkpoints, origin and named files aside, after which a run
// with other settings opens it and finds nothing to load.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir)
	for i := range 2 {
		if _, err := d.Save(testContext(float32(i)), i, Training); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pretrain.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Restart(dir, "pretrain.json"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("Restart while open: %v, want an error", err)
	}
	d.Close()
	aside, err := Restart(dir, "pretrain.json")
	if err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{LockFile, filepath.Base(aside)}) {
		t.Errorf("after Restart the directory holds %v", names)
	}
	if moved := dirNames(t, aside); len(moved) != 6 {
		t.Errorf("moved aside %v, want 2 checkpoints, the origin and pretrain.json", moved)
	}
	s := testSettings()
	s.Method = "nca"
	d2, err := Open(dir, "test", s)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if c, err := d2.Load(context.New()); c != nil || err != nil {
		t.Errorf("Load after Restart: %v, %v; want nothing", c, err)
	}
	if aside, err := Restart(filepath.Join(dir, "missing")); aside != "" || err != nil {
		t.Errorf("Restart of a missing directory: %q, %v", aside, err)
	}
}
