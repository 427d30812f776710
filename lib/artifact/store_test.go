package artifact

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

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
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
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

func TestFloat32sRoundTripAndCorruption(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.bin")
	want := []float32{1, -2.5, 3e-8, 4, 5, 6}
	if err := WriteFloat32s(p, want, 2, 3); err != nil {
		t.Fatal(err)
	}
	got, r, c, err := ReadFloat32s(p)
	if err != nil || r != 2 || c != 3 {
		t.Fatalf("read %d×%d err=%v", r, c, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-1], 0o644)
	if _, _, _, err := ReadFloat32s(p); err == nil {
		t.Error("truncated file read without error")
	}
	if err := WriteFloat32s(p, want, 4, 4); err == nil {
		t.Error("shape mismatch written without error")
	}
}
