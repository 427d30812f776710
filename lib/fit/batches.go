package fit

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/metric-transfer/mtlp/lib/data"
)

// Batches is an endless stream of shuffled, augmented minibatches of a subset of a dataset,
// implementing GoMLX's train.Dataset. Every batch has exactly BatchSize examples (a new
// permutation starts when fewer remain), so the training graph is compiled once.
//
// Each batch yields the images [B, H, W, C] as inputs[0], followed by whatever Extra returns
// for the positions (indices into Subset) of the batch's examples.
//
// The stream can be fast-forwarded (Skip), which is how a resumed run sees exactly the batches
// an uninterrupted one would: the permutations come from one seeded generator, cheap to replay,
// and each batch's augmentation from a generator seeded by the batch's number. Extra must do
// the same with any randomness it uses (seed it from Count).
type Batches struct {
	ds      *data.Dataset
	subset  []int
	batch   int
	augment Augment
	seed    uint64
	rng     *rand.Rand // the permutations
	perm    []int
	next    int
	count   int // batches yielded or skipped
	// Extra builds the additional inputs and the labels of a batch from the positions of its
	// examples in the subset.
	Extra func(positions []int) (inputs, labels []*tensors.Tensor)
}

// NewBatches returns a stream over ds restricted to subset (indices into ds), seeded.
func NewBatches(ds *data.Dataset, subset []int, batchSize int, augment Augment, seed uint64) *Batches {
	b := &Batches{ds: ds, subset: subset, batch: batchSize, augment: augment, seed: seed}
	b.Reset()
	return b
}

// Name implements train.Dataset.
func (b *Batches) Name() string { return b.ds.Name }

// Reset implements train.Dataset: it restarts the stream from its seed.
func (b *Batches) Reset() {
	b.rng = rand.New(rand.NewPCG(b.seed, 0x9e3779b97f4a7c15))
	b.perm = nil
	b.next = 0
	b.count = 0
}

// Count returns the number of batches yielded or skipped so far: inside Extra, the number of
// the batch being built, from 0.
func (b *Batches) Count() int { return b.count }

// Skip advances the stream by n batches without building them.
func (b *Batches) Skip(n int) {
	for range n {
		b.take()
		b.count++
	}
}

// BatchRand returns a generator for batch number count of a stream with this seed, for
// randomness that must not depend on what came before (see Batches). stream separates the
// uses within one batch.
func BatchRand(seed uint64, count int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^stream*0x9e3779b97f4a7c15, uint64(count)))
}

// Yield implements train.Dataset.
func (b *Batches) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	positions := b.take()
	h, w, c := b.ds.H, b.ds.W, b.ds.C
	size := h * w * c
	pixels := make([]float32, len(positions)*size)
	rng := BatchRand(b.seed, b.count, 0xa11)
	for i, p := range positions {
		b.augment.apply(rng, b.ds.Image(b.subset[p]), pixels[i*size:(i+1)*size], h, w, c)
	}
	inputs = []*tensors.Tensor{tensors.FromFlatDataAndDimensions(pixels, len(positions), h, w, c)}
	if b.Extra != nil {
		moreInputs, moreLabels := b.Extra(positions)
		inputs = append(inputs, moreInputs...)
		labels = moreLabels
	}
	b.count++
	return nil, inputs, labels, nil
}

// take returns the positions of the next batch: the next BatchSize entries of the current
// permutation, drawing a new one when fewer remain. A subset smaller than a batch is cycled
// through, so its examples repeat within the batch.
func (b *Batches) take() []int {
	if len(b.perm)-b.next < b.batch && len(b.subset) >= b.batch {
		b.perm = nil
	}
	out := make([]int, 0, b.batch)
	for len(out) < b.batch {
		if b.next >= len(b.perm) {
			b.perm = b.rng.Perm(len(b.subset))
			b.next = 0
		}
		out = append(out, b.perm[b.next])
		b.next++
	}
	return out
}
