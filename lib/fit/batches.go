package fit

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

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
//
// With Workers > 1 the batches are built ahead of the consumer on background goroutines, so
// the host-side augmentation overlaps with the device step; the batches are the same whatever
// the number of workers. Close releases those goroutines.
type Batches struct {
	ds       *data.Dataset
	subset   []int
	batch    int
	augment  Augment
	seed     uint64
	rng      *rand.Rand // the permutations
	perm     []int
	next     int
	count    atomic.Int64 // batches taken from the stream: ahead of consumed while a pipeline runs
	consumed int          // batches yielded or skipped
	pipe     *pipeline
	// Extra builds the additional inputs and the labels of a batch from the positions of its
	// examples in the subset. With a pipeline it runs on the pipeline's dispatcher goroutine,
	// one batch at a time and in order, ahead of the consumer.
	Extra func(positions []int) (inputs, labels []*tensors.Tensor)
	// Workers is the number of goroutines augmenting batches ahead of the consumer; 0 or 1
	// builds each batch synchronously in Yield. NewBatches sets it to min(GOMAXPROCS, 8): the
	// augmentation of a 256-image batch takes about 11 ms of one core, so a few cores keep up
	// with a device step. It is read when the pipeline starts (the first Yield after
	// NewBatches, Reset or Close).
	Workers int
}

// NewBatches returns a stream over ds restricted to subset (indices into ds), seeded.
func NewBatches(ds *data.Dataset, subset []int, batchSize int, augment Augment, seed uint64) *Batches {
	b := &Batches{ds: ds, subset: subset, batch: batchSize, augment: augment, seed: seed,
		Workers: min(runtime.GOMAXPROCS(0), 8)}
	b.Reset()
	return b
}

// Name implements train.Dataset.
func (b *Batches) Name() string { return b.ds.Name }

// Reset implements train.Dataset: it stops the pipeline, if any, and restarts the stream from
// its seed.
func (b *Batches) Reset() {
	b.stop()
	b.rewind(0)
}

// Close stops the pipeline, if any, and releases its goroutines. The stream stays where the
// consumer is: a later Yield returns the batch after the last one yielded or skipped (and
// starts a new pipeline). Closing twice, or a stream without a pipeline, does nothing.
func (b *Batches) Close() {
	if b.pipe != nil {
		b.stop()
		b.rewind(b.consumed)
	}
}

// Count returns the number of batches taken from the stream so far: inside Extra, the number
// of the batch being built, from 0. Without a pipeline (Workers ≤ 1, or before the first Yield)
// it is also the number of batches yielded or skipped; with one it runs ahead of the consumer.
func (b *Batches) Count() int { return int(b.count.Load()) }

// Skip advances the stream by n batches. Before the pipeline starts, it replays the
// permutations without building the batches; after, it drops up to the pipeline's depth of
// batches already being built, and beyond that closes the pipeline and replays.
func (b *Batches) Skip(n int) {
	if n <= 0 {
		return
	}
	if b.pipe != nil && n > cap(b.pipe.results) {
		b.Close()
	}
	if b.pipe != nil {
		for range n {
			b.receive()
		}
		return
	}
	for range n {
		b.take()
		b.count.Add(1)
	}
	b.consumed += n
}

// BatchRand returns a generator for batch number count of a stream with this seed, for
// randomness that must not depend on what came before (see Batches). stream separates the
// uses within one batch.
func BatchRand(seed uint64, count int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^stream*0x9e3779b97f4a7c15, uint64(count)))
}

// Yield implements train.Dataset. It never fails; a panic in Extra or in the augmentation
// propagates to the caller, whichever goroutine it happened on.
func (b *Batches) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	if b.pipe != nil || b.Workers > 1 {
		if b.pipe == nil {
			b.start()
		}
		r := b.receive()
		return nil, r.inputs, r.labels, nil
	}
	positions := b.take()
	count := b.Count()
	inputs = []*tensors.Tensor{b.images(positions, count)}
	if b.Extra != nil {
		moreInputs, moreLabels := b.Extra(positions)
		inputs = append(inputs, moreInputs...)
		labels = moreLabels
	}
	b.count.Add(1)
	b.consumed++
	return nil, inputs, labels, nil
}

// images builds the augmented images of batch number count. It reads only the dataset and its
// arguments, so batches can be built concurrently.
func (b *Batches) images(positions []int, count int) *tensors.Tensor {
	h, w, c := b.ds.H, b.ds.W, b.ds.C
	size := h * w * c
	pixels := make([]float32, len(positions)*size)
	rng := BatchRand(b.seed, count, 0xa11)
	for i, p := range positions {
		b.augment.apply(rng, b.ds.Image(b.subset[p]), pixels[i*size:(i+1)*size], h, w, c)
	}
	return tensors.FromFlatDataAndDimensions(pixels, len(positions), h, w, c)
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

// rewind puts the stream, stopped, just after batch n-1: from the seed, replaying the
// permutations of n batches without building them.
func (b *Batches) rewind(n int) {
	b.rng = rand.New(rand.NewPCG(b.seed, 0x9e3779b97f4a7c15))
	b.perm = nil
	b.next = 0
	b.count.Store(0)
	b.consumed = 0
	b.Skip(n)
}

// pipeline builds batches ahead of the consumer: a dispatcher goroutine takes each batch's
// positions and runs Extra, one batch after the other as the stream state and Count require,
// and a pool of workers augments the images, several batches at a time.
type pipeline struct {
	results chan chan built // one channel per batch, in batch order
	stop    chan struct{}
	wg      sync.WaitGroup
}

// job is a batch taken by the dispatcher, for a worker to finish.
type job struct {
	positions      []int
	count          int
	inputs, labels []*tensors.Tensor // from Extra
	out            chan built
}

// built is a finished batch, or the value of a panic raised while building it.
type built struct {
	inputs, labels []*tensors.Tensor
	panicked       bool
	value          any
}

// start starts a pipeline from the current stream state with b.Workers workers. At most about
// 2×Workers batches wait for the consumer, bounding the memory held.
func (b *Batches) start() {
	workers := max(b.Workers, 1)
	p := &pipeline{results: make(chan chan built, 2*workers), stop: make(chan struct{})}
	jobs := make(chan job)
	p.wg.Add(1 + workers)
	go func() {
		defer p.wg.Done()
		defer close(jobs)
		b.dispatch(p, jobs)
	}()
	for range workers {
		go func() {
			defer p.wg.Done()
			for j := range jobs {
				select {
				case <-p.stop: // nobody will read it
				default:
					j.out <- b.build(j)
				}
			}
		}()
	}
	b.pipe = p
}

// dispatch takes batches from the stream until the pipeline stops or Extra panics, queueing
// each one's result channel before handing it to a worker, so results come out in order.
func (b *Batches) dispatch(p *pipeline, jobs chan<- job) {
	for {
		j := job{positions: b.take(), count: b.Count(), out: make(chan built, 1)}
		failed, ok := b.extra(&j)
		if !ok {
			j.out <- failed
			select {
			case p.results <- j.out:
			case <-p.stop:
			}
			return
		}
		b.count.Add(1)
		select {
		case p.results <- j.out:
		case <-p.stop:
			return
		}
		select {
		case jobs <- j:
		case <-p.stop:
			return
		}
	}
}

// extra runs Extra for j, returning ok false and the panic if it panics.
func (b *Batches) extra(j *job) (failed built, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			failed, ok = built{panicked: true, value: v}, false
		}
	}()
	if b.Extra != nil {
		j.inputs, j.labels = b.Extra(j.positions)
	}
	return built{}, true
}

// build augments the images of j, catching a panic for the consumer to raise.
func (b *Batches) build(j job) (r built) {
	defer func() {
		if v := recover(); v != nil {
			r = built{panicked: true, value: v}
		}
	}()
	inputs := append([]*tensors.Tensor{b.images(j.positions, j.count)}, j.inputs...)
	return built{inputs: inputs, labels: j.labels}
}

// receive returns the pipeline's next batch. A panic raised while building it is raised again
// here, after closing the pipeline, so the stream stays just before that batch.
func (b *Batches) receive() built {
	r := <-<-b.pipe.results
	if r.panicked {
		b.Close()
		panic(r.value)
	}
	b.consumed++
	return r
}

// stop stops the pipeline, if any, and waits for its goroutines to end. The stream state is
// then wherever the dispatcher left it.
func (b *Batches) stop() {
	if b.pipe == nil {
		return
	}
	close(b.pipe.stop)
	b.pipe.wg.Wait()
	b.pipe = nil
}
