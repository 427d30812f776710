package train

import (
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
)

// unlabeledStream separates the unlabeled order's generators from the other uses of
// fit.BatchRand with the same seed.
const unlabeledStream = 0x55e1

// sslBatches returns the batches of FitSSL: batchSize labeled examples of kept (whose dataset
// indices subset holds, as keepExamples returns them), shuffled and augmented on the host
// (inputs[0], labels and weights as labels), and batchSize unlabeled images, un-augmented
// (inputs[1]; the graph draws their views).
//
// The unlabeled images are taken in epochs, each a permutation of unlabeled drawn from a
// generator seeded by the epoch's number, so batch k's images depend on k alone and a resumed
// run (fit.Batches.Skip replays the labeled stream without calling Extra) sees what the
// uninterrupted one would have.
func sslBatches(ds *data.Dataset, kept []Example, subset, unlabeled []int, batchSize int, augment fit.Augment, seed uint64) *fit.Batches {
	b := fit.NewBatches(ds, subset, batchSize, augment, seed)
	order := &epochOrder{n: len(unlabeled), seed: seed, epoch: -1}
	b.Extra = func(positions []int) (inputs, labels []*tensors.Tensor) {
		idx := make([]int, batchSize)
		for i, p := range order.batch(b.Count(), batchSize) {
			idx[i] = unlabeled[p]
		}
		images := tensors.FromFlatDataAndDimensions(ds.Float32(idx), batchSize, ds.H, ds.W, ds.C)
		return []*tensors.Tensor{images}, exampleLabels(kept, positions)
	}
	return b
}

// epochOrder visits 0…n−1 in a fresh seeded permutation per epoch. Its batch method is a
// function of the batch's number only; it keeps the last permutation to avoid redrawing it.
// Not safe for concurrent use (fit.Batches calls Extra one batch at a time).
type epochOrder struct {
	n     int
	seed  uint64
	epoch int
	perm  []int
}

// batch returns the positions of batch number count of size items: items count·size to
// (count+1)·size − 1 of the concatenated epochs.
func (o *epochOrder) batch(count, size int) []int {
	out := make([]int, size)
	for i := range out {
		p := count*size + i
		if e := p / o.n; e != o.epoch {
			o.perm = fit.BatchRand(o.seed, e, unlabeledStream).Perm(o.n)
			o.epoch = e
		}
		out[i] = o.perm[p%o.n]
	}
	return out
}
