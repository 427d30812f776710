package propagate

import (
	"slices"
	"strings"
	"testing"
)

func TestChunkRows(t *testing.T) {
	labelled := []int{7, 2, 30}
	for _, tc := range []struct {
		name      string
		n, chunks int
	}{
		{"one chunk", 40, 1},
		{"even", 43, 4},
		{"uneven", 40, 3},
		{"one row each", 8, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab := slices.DeleteFunc(slices.Clone(labelled), func(i int) bool { return i >= tc.n })
			chunks, err := ChunkRows(tc.n, lab, tc.chunks, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(chunks) != tc.chunks {
				t.Fatalf("%d chunks, want %d", len(chunks), tc.chunks)
			}
			seen := make([]int, tc.n)
			unl := tc.n - len(lab)
			for c, rows := range chunks {
				if !slices.Equal(rows[:len(lab)], lab) {
					t.Errorf("chunk %d starts with %v, want the labelled rows %v", c, rows[:len(lab)], lab)
				}
				if size := len(rows) - len(lab); size < unl/tc.chunks || size > unl/tc.chunks+1 {
					t.Errorf("chunk %d has %d unlabelled rows, want %d or %d", c, size, unl/tc.chunks, unl/tc.chunks+1)
				}
				for _, i := range rows[len(lab):] {
					seen[i]++
				}
			}
			for i, k := range seen {
				if want := map[bool]int{true: 0, false: 1}[slices.Contains(lab, i)]; k != want {
					t.Errorf("row %d is in %d chunks as an unlabelled row, want %d", i, k, want)
				}
			}
			again, _ := ChunkRows(tc.n, lab, tc.chunks, 3)
			if !slices.EqualFunc(chunks, again, slices.Equal[[]int]) {
				t.Error("the same seed gave different chunks")
			}
		})
	}
	for _, tc := range []struct {
		chunks int
		want   string
	}{{0, "chunks"}, {38, "chunks"}} {
		if _, err := ChunkRows(40, labelled, tc.chunks, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d chunks: error %v, want one mentioning %q", tc.chunks, err, tc.want)
		}
	}
}

// TestRunChunked checks chunked spectral propagation against its definition: for every chunk,
// Run on that chunk's rows alone (labelled rows first) gives the same logits for its
// unlabelled rows. One chunk is the plain method.
func TestRunChunked(t *testing.T) {
	const n, classes = 1200, 4
	x, truth := Clustered(n, 16, classes, 0.3, 9)
	idx, lab := firstPerClass(truth, classes, 5)
	cfg := DefaultConfig(Spectral)
	cfg.Eta = 30

	plain, err := Run(x, idx, lab, classes, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	one := cfg
	one.Chunks = 1
	single, err := Run(x, idx, lab, classes, one, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plain.Logits.Data, single.Logits.Data) {
		t.Error("Chunks = 1 differs from the unchunked method")
	}

	chunked := cfg
	chunked.Chunks, chunked.ChunkSeed = 3, 5
	res, err := Run(x, idx, lab, classes, chunked, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ChunkRows(n, idx, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	subLabelled := make([]int, len(idx))
	for t := range subLabelled {
		subLabelled[t] = t
	}
	for c, chunk := range rows {
		sub := NewMatrix(len(chunk), x.D)
		for r, i := range chunk {
			copy(sub.Row(r), x.Row(i))
		}
		ref, err := Run(sub, subLabelled, lab, classes, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for r, i := range chunk[len(idx):] {
			if !slices.Equal(res.Logits.Row(i), ref.Logits.Row(len(idx)+r)) || res.Labels[i] != ref.Labels[len(idx)+r] {
				t.Fatalf("chunk %d row %d: logits %v label %d, alone %v label %d", c, i, res.Logits.Row(i), res.Labels[i],
					ref.Logits.Row(len(idx)+r), ref.Labels[len(idx)+r])
			}
		}
	}
	for t2, i := range idx {
		if res.Labels[i] != lab[t2] || res.Confidence[i] != 1 {
			t.Errorf("labelled row %d: label %d confidence %v", i, res.Labels[i], res.Confidence[i])
		}
	}
	if acc := accuracyOf(res.Labels, truth, idx); acc < 0.9 {
		t.Errorf("chunked accuracy %.3f on unlabelled rows, want ≥ 0.9", acc)
	}

	tooMany := cfg
	// 200 chunks of 5 or 6 unlabelled rows plus the 20 labelled ones: 25 or 26 rows, fewer than
	// the 40 of the graph.
	tooMany.Chunks, tooMany.GraphK = 200, 40
	if _, err := Run(x, idx, lab, classes, tooMany, nil); err == nil || !strings.Contains(err.Error(), "GraphK") {
		t.Errorf("chunks smaller than the graph: error %v, want one naming GraphK", err)
	}
}
