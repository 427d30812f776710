package main

import (
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
)

// blobs draws n rows of dimension d around classes well separated centres (row i in class
// i % classes); rows are [][]float32 so that npyio's writer stores them as an N×D array.
func blobs(n, d, classes int, seed uint64) ([][]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	rows := make([][]float32, n)
	truth := make([]int, n)
	for i := range rows {
		c := i % classes
		truth[i] = c
		rows[i] = make([]float32, d)
		for j := range rows[i] {
			rows[i][j] = float32(0.15 * rng.NormFloat64())
		}
		rows[i][c%d] += 1
	}
	return rows, truth
}

// writeNPY saves v with npyio's writer, the format np.save produces.
func writeNPY(t *testing.T, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	if err := npy.Write(&buf, v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// labelsCSV labels the first per rows of each class.
func labelsCSV(truth []int, classes, per int) string {
	var b strings.Builder
	b.WriteString("index,label\n")
	count := make([]int, classes)
	for i, c := range truth {
		if count[c] < per {
			count[c]++
			b.WriteString(strconv.Itoa(i) + "," + strconv.Itoa(c) + "\n")
		}
	}
	return b.String()
}

// readPredictions parses the output CSV.
func readPredictions(t *testing.T, path string) (labels []int, confidence []float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "index,label,confidence" {
		t.Fatalf("header %v", recs[0])
	}
	for k, r := range recs[1:] {
		if r[0] != strconv.Itoa(k) {
			t.Fatalf("row %d has index %s", k, r[0])
		}
		y, err1 := strconv.Atoi(r[1])
		c, err2 := strconv.ParseFloat(r[2], 64)
		if err1 != nil || err2 != nil || !(c >= 0 && c <= 1) {
			t.Fatalf("row %d: %v", k, r)
		}
		labels = append(labels, y)
		confidence = append(confidence, c)
	}
	return labels, confidence
}

func TestPropagateCommand(t *testing.T) {
	const n, d, classes = 90, 6, 3
	rows, truth := blobs(n, d, classes, 1)
	// Duplicate feature points: rows 10..14 are copies of row 3 (same class).
	dup := make([][]float32, n)
	copy(dup, rows)
	for i := 10; i < 15; i++ {
		dup[i] = rows[3]
	}
	dupTruth := append([]int(nil), truth...)
	for i := 10; i < 15; i++ {
		dupTruth[i] = truth[3]
	}
	// Many duplicates: rows 10..39 are copies of row 3, more than the 9 neighbours of k = 10.
	many := make([][]float32, n)
	copy(many, rows)
	manyTruth := append([]int(nil), truth...)
	for i := 10; i < 40; i++ {
		many[i], manyTruth[i] = rows[3], truth[3]
	}
	// Disconnected: the blobs are so tight that a 4-NN graph never links two classes.
	tight := make([][]float32, n)
	for i := range tight {
		tight[i] = make([]float32, d)
		for j := range tight[i] {
			tight[i][j] = 0.001 * rows[i][j]
		}
		tight[i][truth[i]] = 1
	}
	cases := []struct {
		name     string
		rows     [][]float32
		truth    []int
		method   string
		k, eta   int
		wantNote string
	}{
		{"nn", rows, truth, "nn", 20, 200, ""},
		{"spectral", rows, truth, "spectral", 10, 30, ""},
		{"nn duplicates", dup, dupTruth, "nn", 20, 200, ""},
		{"spectral duplicates", dup, dupTruth, "spectral", 10, 30, ""},
		{"spectral many duplicates", many, manyTruth, "spectral", 10, 30, "of 90 rows have more equally similar rows than the 9 neighbours"},
		{"spectral disconnected", tight, truth, "spectral", 4, 20, "3 connected components"},
		{"spectral chunked", rows, truth, "spectral", 10, 30, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := propagateOptions{
				Features: filepath.Join(dir, "x.npy"), Labels: filepath.Join(dir, "l.csv"), Out: filepath.Join(dir, "p.csv"),
				Method: tc.method, K: tc.k, Eta: tc.eta, VoteK: 200, Sigma: 40, Chunks: 1,
			}
			if strings.HasSuffix(tc.name, "chunked") {
				o.Chunks = 2
			}
			writeNPY(t, o.Features, tc.rows)
			if err := os.WriteFile(o.Labels, []byte(labelsCSV(tc.truth, classes, 3)), 0o644); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			if err := runPropagate(o, &log); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "wrote "+o.Out) || !strings.Contains(log.String(), tc.wantNote) {
				t.Errorf("log does not mention %q:\n%s", tc.wantNote, log.String())
			}
			labels, conf := readPredictions(t, o.Out)
			if len(labels) != n {
				t.Fatalf("%d output rows, want %d", len(labels), n)
			}
			correct := 0
			for i, y := range labels {
				if y == tc.truth[i] {
					correct++
				}
			}
			if acc := float64(correct) / n; acc < 0.95 {
				t.Errorf("accuracy %.3f, want ≥ 0.95", acc)
			}
			if conf[0] != 1 { // row 0 is labelled
				t.Errorf("labelled row 0 has confidence %v, want 1", conf[0])
			}
		})
	}
}

func TestPropagateCommandErrors(t *testing.T) {
	rows, truth := blobs(30, 4, 3, 2)
	good := labelsCSV(truth, 3, 2)
	withRow := func(i int, v []float32) [][]float32 {
		out := append([][]float32(nil), rows...)
		out[i] = v
		return out
	}
	identical := make([][]float32, len(rows))
	for i := range identical {
		identical[i] = []float32{1, 2, 3, 4}
	}
	cases := []struct {
		name     string
		features any    // written with npyio; nil writes an empty file
		labels   string // labels CSV content
		edit     func(*propagateOptions)
		want     []string // substrings of the error; "FEATURES"/"LABELS" stand for the paths
	}{
		{"nan feature", withRow(7, []float32{1, float32(math.NaN()), 0, 0}), good, nil, []string{"FEATURES", "row 7 column 1 is NaN"}},
		{"inf feature", withRow(8, []float32{float32(math.Inf(1)), 0, 0, 0}), good, nil, []string{"FEATURES", "row 8 column 0 is +Inf"}},
		{"zero row", withRow(9, []float32{0, 0, 0, 0}), good, nil, []string{"FEATURES", "row 9 is all zeros"}},
		{"identical rows", identical, good, nil, []string{"propagating FEATURES", "all 30 feature rows point the same way", "collapsed"}},
		{"k ≥ N", rows, good, func(o *propagateOptions) { o.K = 30 }, []string{"--k 30", "30 rows", "FEATURES"}},
		{"empty features", nil, good, nil, []string{"FEATURES", "empty file"}},
		{"float64 features", [][]float64{{1, 2}, {3, 4}}, good, nil, []string{"FEATURES", "'<f8'", "float32"}},
		{"1-d features", []float32{1, 2, 3}, good, nil, []string{"FEATURES", "rank 1"}},
		{"3-d features", [][][]float32{{{1}, {2}}}, good, nil, []string{"FEATURES", "rank 3"}},
		{"index out of range", rows, good + "30,1\n", nil, []string{"LABELS", "line 8", "index 30 is out of range", "30 rows"}},
		{"duplicate index", rows, good + "0,1\n", nil, []string{"LABELS", "line 8", "index 0 is labelled twice"}},
		{"class without label", rows, "index,label\n0,0\n2,2\n", nil, []string{"LABELS", "class 1 has no labelled row"}},
		{"label beyond --classes", rows, good, func(o *propagateOptions) { o.Classes = 2 }, []string{"LABELS", "label 2 is out of range for 2 classes"}},
		{"class beyond labels", rows, good, func(o *propagateOptions) { o.Classes = 4 }, []string{"LABELS", "class 3 has no labelled row"}},
		{"empty labels", rows, "", nil, []string{"LABELS", "empty file"}},
		{"header only", rows, "index,label\n", nil, []string{"LABELS", "no label rows"}},
		{"bad header", rows, "row,class\n0,0\n", nil, []string{"LABELS", "line 1", `want "index,label"`}},
		{"non-integer index", rows, "index,label\n0,0\nfive,1\n", nil, []string{"LABELS", "line 3", `index "five"`}},
		{"non-integer label", rows, "index,label\n0,0\n1,cat\n", nil, []string{"LABELS", "line 3", `label "cat"`}},
		{"bad method", rows, good, func(o *propagateOptions) { o.Method = "lp" }, []string{`--method "lp"`}},
		{"missing flags", rows, good, func(o *propagateOptions) { o.Features, o.Out = "", "" }, []string{"--features is required", "--out is required"}},
		{"missing file", rows, good, func(o *propagateOptions) { o.Features += ".gone" }, []string{"no such file"}},
		{"zero chunks", rows, good, func(o *propagateOptions) { o.Chunks = 0 }, []string{"--chunks 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := propagateOptions{
				Features: filepath.Join(dir, "x.npy"), Labels: filepath.Join(dir, "l.csv"), Out: filepath.Join(dir, "p.csv"),
				Method: "spectral", K: 5, Eta: 10, VoteK: 200, Sigma: 40, Chunks: 1,
			}
			if tc.features == nil {
				os.WriteFile(o.Features, nil, 0o644)
			} else {
				writeNPY(t, o.Features, tc.features)
			}
			if err := os.WriteFile(o.Labels, []byte(tc.labels), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(&o)
			}
			err := runPropagate(o, io.Discard)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				w = strings.NewReplacer("FEATURES", o.Features, "LABELS", o.Labels).Replace(w)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "x.npy" && e.Name() != "l.csv" {
					t.Errorf("a failed run left %s behind", e.Name())
				}
			}
		})
	}
}

// TestPropagateToStdout writes the pseudo labels to standard output (a pipe) and to a followed
// symbolic link: the CSV is complete, and the progress stays on the log.
func TestPropagateToStdout(t *testing.T) {
	rows, truth := blobs(30, 4, 3, 4)
	dir := t.TempDir()
	o := propagateOptions{Features: filepath.Join(dir, "x.npy"), Labels: filepath.Join(dir, "l.csv"), Method: "nn",
		K: 5, Eta: 4, VoteK: 200, Sigma: 40, Chunks: 1}
	writeNPY(t, o.Features, rows)
	mustDo(t, os.WriteFile(o.Labels, []byte(labelsCSV(truth, 3, 2)), 0o644))
	for _, tc := range []struct {
		name, out string
		follow    bool
		read      string // the file to read back; "" for standard output
	}{
		{"standard output", "-", false, ""},
		{"followed link", filepath.Join(dir, "link.csv"), true, filepath.Join(dir, "p.csv")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.read != "" {
				mustDo(t, os.Symlink("p.csv", tc.out))
			}
			stdout, collect := pipeTo(t)
			o.Out, o.outputOptions = tc.out, outputOptions{FollowSymlinks: tc.follow, stdout: stdout}
			var log bytes.Buffer
			if err := runPropagate(o, &log); err != nil {
				t.Fatal(err)
			}
			got := collect()
			path := tc.read
			if path == "" {
				path = filepath.Join(t.TempDir(), "stdout.csv")
				mustDo(t, os.WriteFile(path, got, 0o644))
			} else if len(got) != 0 {
				t.Errorf("standard output got %q", got)
			}
			if labels, _ := readPredictions(t, path); len(labels) != 30 {
				t.Errorf("%d rows, want 30", len(labels))
			}
			if strings.Contains(string(got), "features:") || !strings.Contains(log.String(), "features:") {
				t.Errorf("progress went to standard output:\n%s", got)
			}
		})
	}
}
