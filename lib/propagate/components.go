package propagate

// Components labels the connected components of the graph with adjacency w (entries with a
// positive weight are edges, the diagonal is ignored). It returns one label per node, numbered
// 0, 1, … in order of each component's smallest node, and the number of components. Each
// component adds one zero eigenvalue to the normalised Laplacian.
func Components(w *Sparse) (labels []int32, count int) {
	labels = make([]int32, w.N)
	for i := range labels {
		labels[i] = -1
	}
	var stack []int32
	for s := 0; s < w.N; s++ {
		if labels[s] >= 0 {
			continue
		}
		c := int32(count)
		count++
		labels[s] = c
		stack = append(stack[:0], int32(s))
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for p := w.RowPtr[i]; p < w.RowPtr[i+1]; p++ {
				j := w.Col[p]
				if labels[j] < 0 && w.Val[p] > 0 {
					labels[j] = c
					stack = append(stack, j)
				}
			}
		}
	}
	return labels, count
}

// subgraph returns component c of w: the rows and columns nodes (ascending, all with
// comp == c), renumbered 0…len-1; pos maps a global node to its local number.
func subgraph(w *Sparse, nodes []int, pos, comp []int32, c int32) *Sparse {
	out := &Sparse{N: len(nodes), RowPtr: make([]int, len(nodes)+1)}
	for li, i := range nodes {
		for p := w.RowPtr[i]; p < w.RowPtr[i+1]; p++ {
			if comp[w.Col[p]] != c {
				continue // a zero-weight entry pointing out of the component
			}
			out.Col = append(out.Col, pos[w.Col[p]])
			out.Val = append(out.Val, w.Val[p])
		}
		out.RowPtr[li+1] = len(out.Col)
	}
	return out
}
