package artifact

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// warnings collects what a store says through its hook.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

// openQuiet opens a store in dir whose warnings go to the returned collector.
func openQuiet(t *testing.T, dir string) (*Store, *warnings) {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &warnings{}
	s.Warn = w.add
	return s, w
}

func TestKeyChangesWithEveryPart(t *testing.T) {
	base, _ := Key("stage", map[string]int{"k": 1}, "in1")
	cases := []struct {
		name   string
		stage  string
		config any
		inputs []string
	}{
		{"stage", "other", map[string]int{"k": 1}, []string{"in1"}},
		{"config", "stage", map[string]int{"k": 2}, []string{"in1"}},
		{"input", "stage", map[string]int{"k": 1}, []string{"in2"}},
		{"more inputs", "stage", map[string]int{"k": 1}, []string{"in1", ""}},
	}
	for _, c := range cases {
		k, err := Key(c.stage, c.config, c.inputs...)
		if err != nil {
			t.Fatal(err)
		}
		if k == base {
			t.Errorf("%s: key did not change", c.name)
		}
	}
	again, _ := Key("stage", map[string]int{"k": 1}, "in1")
	if again != base {
		t.Errorf("same inputs gave keys %s and %s", base, again)
	}
}

func TestBuildIsAtomicAndCached(t *testing.T) {
	s, _ := openQuiet(t, t.TempDir())
	boom := errors.New("killed")
	if _, _, err := s.Build("k", func(dir string) error {
		os.WriteFile(filepath.Join(dir, "half"), []byte("x"), 0o644)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failed build returned %v", err)
	}
	if s.Has("k") {
		t.Fatal("a failed build left an entry")
	}
	runs := 0
	for i := 0; i < 2; i++ {
		dir, cached, err := s.Build("k", func(dir string) error {
			runs++
			return os.WriteFile(filepath.Join(dir, "out"), []byte("ok"), 0o644)
		})
		if err != nil || cached != (i == 1) {
			t.Fatalf("build %d: cached=%v err=%v", i, cached, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "out")); string(b) != "ok" {
			t.Fatalf("entry content %q", b)
		}
	}
	if runs != 1 {
		t.Errorf("build ran %d times, want 1", runs)
	}
}

// leftovers lists the temporary folders in a store's folder.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+tmpInfix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBadKeys(t *testing.T) {
	s, _ := openQuiet(t, t.TempDir())
	for _, key := range []string{"", "a/b", "../x", ".hidden", "-x", "locks", "scratch", "corrupt", "k.tmp-1", "k y"} {
		t.Run(key, func(t *testing.T) {
			ran := false
			if _, _, err := s.Build(key, func(string) error { ran = true; return nil }); err == nil || ran {
				t.Errorf("Build(%q) ran %t, err %v; want an error and no build", key, ran, err)
			}
			if _, err := s.Scratch(key); err == nil {
				t.Errorf("Scratch(%q) gave no error", key)
			}
			if s.Has(key) {
				t.Errorf("Has(%q) is true", key)
			}
		})
	}
}

// TestBuildRefusesWhatAManifestCannotVouchFor checks the builds that cannot become entries: one
// that writes the manifest's name, one that leaves a symbolic link.
func TestBuildRefusesWhatAManifestCannotVouchFor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(dir string) error
		want  string
	}{
		{"manifest name", func(dir string) error { return os.WriteFile(filepath.Join(dir, ManifestName), nil, 0o644) }, ManifestName},
		{"symbolic link", func(dir string) error { return os.Symlink("/etc/hostname", filepath.Join(dir, "link")) }, "link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openQuiet(t, t.TempDir())
			_, _, err := s.Build("k", tc.build)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build: %v; want an error naming %s", err, tc.want)
			}
			if s.Has("k") || len(leftovers(t, s.Dir)) > 0 {
				t.Errorf("a refused build left an entry or a temporary folder")
			}
		})
	}
}

// TestScratchOnlyInsideBuild checks that the scratch space is given only to the key's builder,
// survives a failed build (so that the next one resumes) and goes once the entry is built.
func TestScratchOnlyInsideBuild(t *testing.T) {
	s, _ := openQuiet(t, t.TempDir())
	if _, err := s.Scratch("k"); err == nil {
		t.Fatal("Scratch outside Build gave no error")
	}
	boom := errors.New("killed")
	var kept string
	_, _, err := s.Build("k", func(dir string) error {
		scratch, err := s.Scratch("k")
		if err != nil {
			return err
		}
		if _, err := s.Scratch("other"); err == nil {
			t.Error("Scratch of another key inside Build gave no error")
		}
		kept = filepath.Join(scratch, "step")
		if err := os.WriteFile(kept, []byte("1"), 0o644); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed build returned %v", err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Fatalf("a failed build lost its scratch space: %v", err)
	}
	if _, _, err := s.Build("k", func(dir string) error {
		scratch, err := s.Scratch("k")
		if err != nil {
			return err
		}
		if b, err := os.ReadFile(filepath.Join(scratch, "step")); err != nil || string(b) != "1" {
			return fmt.Errorf("resumed build sees %q, %v in its scratch space", b, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(kept)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("scratch space still there after the build: %v", err)
	}
	if _, err := s.Scratch("k"); err == nil {
		t.Error("Scratch after Build gave no error")
	}
}

// TestGoroutinesBuildOnce builds one key from several goroutines, through one store and
// through stores opened apart on the same folder: one build, every caller gets the entry.
func TestGoroutinesBuildOnce(t *testing.T) {
	dir := t.TempDir()
	shared, w := openQuiet(t, dir)
	var builds atomic.Int32
	const callers = 6
	var wg sync.WaitGroup
	results := make([]bool, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := shared
			if i%2 == 1 {
				s, _ = openQuiet(t, dir)
				s.Warn = w.add
			}
			out, cached, err := s.Build("k", func(dir string) error {
				builds.Add(1)
				time.Sleep(100 * time.Millisecond)
				return os.WriteFile(filepath.Join(dir, "out"), []byte("ok"), 0o644)
			})
			if err == nil {
				if b, rerr := os.ReadFile(filepath.Join(out, "out")); rerr != nil || string(b) != "ok" {
					err = fmt.Errorf("entry holds %q, %v", b, rerr)
				}
			}
			results[i], errs[i] = cached, err
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range callers {
		if errs[i] != nil {
			t.Errorf("caller %d: %v", i, errs[i])
		}
		if !results[i] {
			fresh++
		}
	}
	if builds.Load() != 1 || fresh != 1 {
		t.Errorf("%d builds, %d callers not served from the cache; want 1 and 1", builds.Load(), fresh)
	}
	if !strings.Contains(w.all(), "waiting for another goroutine of this process building k") {
		t.Errorf("no caller said it waited; warnings:\n%s", w.all())
	}
}

// TestBuildSweepsItsKey leaves temporary folders of a key, as builds killed after this store
// was opened do: building the key removes them, and leaves those of other keys to their Build
// or the next Open.
func TestBuildSweepsItsKey(t *testing.T) {
	s, _ := openQuiet(t, t.TempDir())
	for _, name := range []string{"k.tmp-4242-1", "k.tmp-17", "other.tmp-4242-2"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Build("k", func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, s.Dir); len(l) != 1 || filepath.Base(l[0]) != "other.tmp-4242-2" {
		t.Errorf("after building k, temporary folders %v; want only other's", l)
	}
}

// TestDiscard: a discarded entry is moved aside with a warning, and the next Build computes it
// anew.
func TestDiscard(t *testing.T) {
	dir := t.TempDir()
	s, w := openQuiet(t, dir)
	runs := 0
	build := func(dir string) error {
		runs++
		return os.WriteFile(filepath.Join(dir, "out"), []byte("ok"), 0o644)
	}
	if _, _, err := s.Build("k", build); err != nil {
		t.Fatal(err)
	}
	if err := s.Discard("k", "no result.json"); err != nil {
		t.Fatal(err)
	}
	if s.Has("k") || !strings.Contains(w.all(), "no result.json") {
		t.Fatalf("after Discard: entry there %v, warnings %q", s.Has("k"), w.all())
	}
	aside, _ := filepath.Glob(filepath.Join(dir, "corrupt", "k-*"))
	if _, cached, err := s.Build("k", build); err != nil || cached || runs != 2 || len(aside) != 1 {
		t.Errorf("rebuild: cached %v, %v, %d builds, %d entries aside; want a second build and one entry aside", cached, err, runs, len(aside))
	}
	if err := s.Discard("../k", "x"); err == nil {
		t.Error("Discard of a bad key: no error")
	}
}

// TestExportImport: Export carries the entries that pass their check and are small enough,
// Import puts them into another store as entries Build then reads from the cache, keeps the
// entries a store has already, and refuses a damaged copy by name.
func TestExportImport(t *testing.T) {
	src, _ := openQuiet(t, t.TempDir())
	write := func(key string, size int) {
		if _, _, err := src.Build(key, func(dir string) error {
			if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "sub", "data"), []byte(strings.Repeat(key[:1], size)), 0o644)
		}); err != nil {
			t.Fatal(err)
		}
	}
	write("small-1", 100)
	write("big-1", 5000)
	// A half-built entry of a killed process is not carried.
	if err := os.MkdirAll(filepath.Join(src.Dir, "other-1"+tmpInfix+"1-2"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "state")
	keys, err := src.Export(out, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keys) != "[small-1]" {
		t.Fatalf("exported %v, want [small-1] (big-1 is over the limit)", keys)
	}
	dst, _ := openQuiet(t, t.TempDir())
	if keys, err := dst.Import(out); err != nil || fmt.Sprint(keys) != "[small-1]" {
		t.Fatalf("imported %v (%v), want [small-1]", keys, err)
	}
	dir, cached, err := dst.Build("small-1", func(string) error { return errors.New("computed again") })
	if err != nil || !cached {
		t.Fatalf("Build after the import: cached %v, %v", cached, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sub", "data")); err != nil || string(b) != strings.Repeat("s", 100) {
		t.Fatalf("imported data %q (%v)", b, err)
	}
	if keys, err := dst.Import(out); err != nil || len(keys) != 0 {
		t.Fatalf("a second import brought %v (%v), want nothing: the store has the entry", keys, err)
	}
	if err := os.WriteFile(filepath.Join(out, "small-1", "sub", "data"), []byte(strings.Repeat("x", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh, _ := openQuiet(t, t.TempDir())
	if _, err := fresh.Import(out); err == nil || !strings.Contains(err.Error(), "small-1") || !strings.Contains(err.Error(), "sub/data") {
		t.Fatalf("importing a damaged copy: %v, want an error naming small-1 and sub/data", err)
	}
}
