package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		tools   []string // executables created in bin/
		wantErr string
	}{
		{"all tools", []string{"gonb", "go", "goimports", "gopls"}, ""},
		{"no gopls", []string{"gonb", "go", "goimports"}, "gopls is in none of -path"},
		{"no gonb", []string{"go", "goimports", "gopls"}, "GoNB binary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, tool := range tc.tools {
				if err := os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			data := filepath.Join(dir, "jupyter")
			err := run(filepath.Join(bin, "gonb"), bin, "gonb", data, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("run error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(data, "kernels", "gonb", "kernel.json")
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sp spec
			if err := json.Unmarshal(raw, &sp); err != nil {
				t.Fatal(err)
			}
			if sp.Argv[0] != filepath.Join(bin, "gonb") || sp.Argv[2] != "{connection_file}" {
				t.Errorf("argv = %q", sp.Argv)
			}
			if want := bin + ":${PATH}"; sp.Env["PATH"] != want {
				t.Errorf("env PATH = %q, want %q", sp.Env["PATH"], want)
			}
			// A second run finds the file up to date and leaves it alone.
			st, _ := os.Stat(file)
			if changed, err := writeIfChanged(file, &sp); err != nil || changed {
				t.Errorf("second write: changed=%v err=%v, want unchanged", changed, err)
			}
			st2, _ := os.Stat(file)
			if !st.ModTime().Equal(st2.ModTime()) {
				t.Error("second write touched the file")
			}
		})
	}
}

// TestRunOtherClone checks that setting up a second clone says that it takes the user's
// kernel spec over from the first, and that setting up the same clone again says nothing.
func TestRunOtherClone(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "jupyter")
	clone := func(name string) string {
		bin := filepath.Join(dir, name, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tool := range []string{"gonb", "go", "goimports", "gopls"} {
			if err := os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return bin
	}
	a, b := clone("a"), clone("b")
	for _, step := range []struct {
		bin, want string
	}{
		{a, ""}, {a, ""}, {b, "ran " + filepath.Join(a, "gonb") + "; it now runs " + filepath.Join(b, "gonb")},
	} {
		var stderr strings.Builder
		if err := run(filepath.Join(step.bin, "gonb"), step.bin, "gonb", data, &stderr); err != nil {
			t.Fatal(err)
		}
		if got := stderr.String(); (step.want == "") != (got == "") || !strings.Contains(got, step.want) {
			t.Errorf("setting up %s: stderr %q, want %q", step.bin, got, step.want)
		}
	}
}
