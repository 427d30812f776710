package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	// want holds one entry per expected failure: the cell index and
	// fragments its reason must contain.
	type want struct {
		cell  int
		parts []string
	}
	tests := []struct {
		fixture string
		want    []want
	}{
		{"pass.ipynb", nil},
		{"cell_error.ipynb", []want{
			{0, []string{"GoNB error report", "./main.go:12:7 undefined: undefinedThing & co"}},
			{0, []string{"error output ERROR", "exit status 1", "failed to run go build"}},
		}},
		{"missing_table.ipynb", []want{{0, []string{"expected an HTML <table> output is missing"}}}},
		{"missing_image.ipynb", []want{{0, []string{"expected an image", "`// expect: image`"}}}},
		{"panic.ipynb", []want{{1, []string{"panic on stderr:\npanic: boom", "Cell [1] Line 3"}}}},
		{"exit_status.ipynb", []want{
			{0, []string{"non-zero exit", "go.work already exists"}},
			{1, []string{`unknown expectation "tabel"`}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			nb, err := parseNotebook(data)
			if err != nil {
				t.Fatal(err)
			}
			got := check(nb)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d failures, want %d: %q", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				if got[i].Cell != w.cell {
					t.Errorf("failure %d is in cell %d, want cell %d: %s", i, got[i].Cell, w.cell, got[i])
				}
				for _, p := range w.parts {
					if !strings.Contains(got[i].Reason, p) {
						t.Errorf("failure %d lacks %q:\n%s", i, p, got[i].Reason)
					}
				}
				if strings.Contains(got[i].Reason, "<span") || strings.Contains(got[i].Reason, "\x1b[") {
					t.Errorf("failure %d keeps markup:\n%s", i, got[i].Reason)
				}
			}
		})
	}
}

func TestParseNotebookRejectsNonJSON(t *testing.T) {
	if _, err := parseNotebook([]byte("not json")); err == nil {
		t.Fatal("parseNotebook accepted text that is not JSON")
	}
}

func TestExpectations(t *testing.T) {
	tests := []struct {
		source  string
		want    string
		wantErr bool
	}{
		{"%%\nfmt.Println(1)", "", false},
		{"// expect: table\n%%", "table", false},
		{"  //expect: image, table  \n", "image table", false},
		{"// expect: table\nx := 1 // expect: image", "table", false}, // only whole-line markers count
		{"// expect: plot", "", true},
	}
	for _, tc := range tests {
		got, err := expectations(tc.source)
		if (err != nil) != tc.wantErr {
			t.Errorf("expectations(%q) error = %v, want error %v", tc.source, err, tc.wantErr)
			continue
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("expectations(%q) = %q, want %q", tc.source, s, tc.want)
		}
	}
}
