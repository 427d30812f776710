package propagate

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// ChunkRows splits the rows [0, n) for chunked spectral propagation: the unlabelled rows are
// shuffled (seeded) and dealt round-robin into chunks of equal size (±1), and every chunk
// starts with all the labelled rows, in the order given. Each unlabelled row is in exactly one
// chunk. Rows within a chunk after the labelled ones are ascending.
func ChunkRows(n int, labelled []int, chunks int, seed uint64) ([][]int, error) {
	isLabelled := make([]bool, n)
	for _, i := range labelled {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("propagate: labelled row %d is not in [0, %d)", i, n)
		}
		isLabelled[i] = true
	}
	var unlabelled []int
	for i := 0; i < n; i++ {
		if !isLabelled[i] {
			unlabelled = append(unlabelled, i)
		}
	}
	if chunks < 1 || chunks > len(unlabelled) {
		return nil, fmt.Errorf("propagate: %d chunks for %d unlabelled rows; want 1 ≤ chunks ≤ unlabelled rows", chunks, len(unlabelled))
	}
	rng := rand.New(rand.NewPCG(seed, 0xc4a2c5))
	rng.Shuffle(len(unlabelled), func(a, b int) { unlabelled[a], unlabelled[b] = unlabelled[b], unlabelled[a] })
	out := make([][]int, chunks)
	for c := range out {
		out[c] = slices.Clone(labelled)
	}
	for t, i := range unlabelled {
		out[t%chunks] = append(out[t%chunks], i)
	}
	for c := range out {
		slices.Sort(out[c][len(labelled):])
	}
	return out, nil
}

// runChunked is the spectral method on each chunk of ChunkRows: its own kNN graph, eigenpairs
// and Eq. 6 propagation from all the labels. Unlabelled rows take their chunk's logits;
// labelled rows keep their labels (Run sets them). Eigenvalues are the first chunk's;
// Components is the largest count over the chunks; TiedRows counts each row once.
func runChunked(xn Matrix, labelled []int, labels []int32, numClasses int, cfg Config, progress func(string, int, int), res *Result) error {
	chunks, err := ChunkRows(xn.N, labelled, cfg.Chunks, cfg.ChunkSeed)
	if err != nil {
		return err
	}
	if smallest := len(chunks[len(chunks)-1]); cfg.GraphK >= smallest {
		return fmt.Errorf("propagate: a chunk has %d rows, not more than GraphK = %d; use fewer chunks or a smaller GraphK", smallest, cfg.GraphK)
	}
	subLabelled := make([]int, len(labelled))
	for t := range subLabelled {
		subLabelled[t] = t
	}
	res.Logits = NewMatrix(xn.N, numClasses)
	tied := make([]bool, xn.N)
	for c, rows := range chunks {
		sub := NewMatrix(len(rows), xn.D)
		for r, i := range rows {
			copy(sub.Row(r), xn.Row(i))
		}
		var chunkProgress func(string, int, int)
		if progress != nil {
			chunkProgress = func(stage string, done, total int) {
				progress(fmt.Sprintf("chunk %d/%d %s", c+1, len(chunks), stage), done, total)
			}
		}
		part := &Result{}
		if err := runSpectral(sub, subLabelled, labels, numClasses, cfg, chunkProgress, part); err != nil {
			return fmt.Errorf("chunk %d of %d (%d rows): %w", c+1, len(chunks), len(rows), err)
		}
		for r, i := range rows {
			if r >= len(labelled) || c == 0 {
				copy(res.Logits.Row(i), part.Logits.Row(r))
			}
		}
		if c == 0 {
			res.Eigenvalues = part.Eigenvalues
		}
		res.Components = max(res.Components, part.Components)
		for r, i := range rows {
			if part.tied[r] && !tied[i] {
				tied[i] = true
				res.TiedRows++
			}
		}
	}
	return nil
}
