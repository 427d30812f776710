package checkpoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOriginRefused: a run whose settings, stage or code version differ from the directory's
// is refused with each difference named, and the directory is left untouched; the commit and
// date do not count.
func TestOriginRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stage string
		edit  func(s *settings)
		want  []string
	}{
		{"same", "test", func(*settings) {}, nil},
		{"method", "test", func(s *settings) { s.Method = "nca" }, []string{`settings.Method: "instance" → "nca"`}},
		{"two settings", "test", func(s *settings) { s.Steps, s.Data.Name = 11, "mnist/train" }, []string{
			`settings.Data.Name: "synthetic" → "mnist/train"`, `settings.Steps: 10 → 11`}},
		{"rate", "test", func(s *settings) { s.Rate = 0.0030000001 }, []string{`settings.Rate: 0.003 → 0.0030000001`}},
		{"stage", "other", func(*settings) {}, []string{`stage: "test" → "other"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := savedOnce(t, dir)
			d.Close()
			editFile(t, dir, OriginFile, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"date": "`), []byte(`"date": "1999-`), 1)
			})
			before := dirState(t, dir)
			s := testSettings()
			tc.edit(&s)
			d2, err := Open(dir, tc.stage, s)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				d2.Close()
				return
			}
			var oe *OriginError
			if !errors.As(err, &oe) || len(oe.Differences) != len(tc.want) {
				t.Fatalf("error %v, want an OriginError with %d differences", err, len(tc.want))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if after := dirState(t, dir); after != before {
				t.Errorf("the refused run changed the directory:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// dirState is the names and contents of the files in dir.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	var s strings.Builder
	for _, n := range dirNames(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		s.WriteString(n + ":" + string(b) + "\n")
	}
	return s.String()
}

func TestCodeVersionRefused(t *testing.T) {
	dir := t.TempDir()
	d := savedOnce(t, dir)
	d.Close()
	editFile(t, dir, OriginFile, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"code_version": "`+CodeVersion), []byte(`"code_version": "0`), 1)
	})
	if _, err := Open(dir, "test", testSettings()); err == nil || !strings.Contains(err.Error(), "code_version: \"0") {
		t.Fatalf("error %v, want one naming the code version", err)
	}
}

// TestOriginWithFirstSave: a run that fails before its first checkpoint leaves no origin, so
// that the next run, with corrected settings, is not refused.
func TestOriginWithFirstSave(t *testing.T) {
	dir := t.TempDir()
	open(t, dir).Close()
	s := testSettings()
	s.Steps = 99
	d, err := Open(dir, "test", s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Save(testContext(1), 1, Training); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := Open(dir, "test", testSettings()); err == nil || !strings.Contains(err.Error(), "settings.Steps: 99 → 10") {
		t.Errorf("error %v after the first save, want one naming Steps", err)
	}
}

// TestNoOrigin refuses a directory with checkpoints but no origin record.
func TestNoOrigin(t *testing.T) {
	dir := t.TempDir()
	d := savedOnce(t, dir)
	d.Close()
	os.Remove(filepath.Join(dir, OriginFile))
	if _, err := Open(dir, "test", testSettings()); err == nil || !strings.Contains(err.Error(), "no "+OriginFile) {
		t.Fatalf("error %v, want one saying the origin is missing", err)
	}
}
