package fit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/metric-transfer/mtlp/lib/data"
)

// op is one call on a stream: "yield" n times, "skip" n, "reset" or "close".
type op struct {
	name string
	n    int
}

// batchesTestStream returns a stream over a seeded 37-image dataset, restricted to 30 images in
// batches of 7 (so permutations wrap within a batch), with the instance-discrimination views
// and an Extra like lib/metric's: the positions, Count and negatives drawn from
// BatchRand(seed, Count(), 7).
func batchesTestStream(workers int) *Batches {
	rng := rand.New(rand.NewPCG(5, 6))
	ds := &data.Dataset{Name: "test", N: 37, H: 8, W: 8, C: 3, Images: make([]uint8, 37*8*8*3),
		Labels: make([]int32, 37), Classes: []string{"a"}}
	for i := range ds.Images {
		ds.Images[i] = uint8(rng.IntN(256))
	}
	subset := rng.Perm(37)[:30]
	const seed = 9
	b := NewBatches(ds, subset, 7, Augment{CropScale: 0.3, Flip: true, Jitter: 0.4, Grayscale: 0.2}, seed)
	b.Workers = workers
	b.Extra = func(positions []int) (inputs, labels []*tensors.Tensor) {
		idx := make([]int32, len(positions))
		for i, p := range positions {
			idx[i] = int32(p)
		}
		negRng := BatchRand(seed, b.Count(), 7)
		neg := make([]int32, 3*len(positions))
		for i := range neg {
			neg[i] = int32(negRng.IntN(30))
		}
		count := tensors.FromFlatDataAndDimensions([]int32{int32(b.Count())}, 1)
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(idx, len(idx)), count,
				tensors.FromFlatDataAndDimensions(neg, len(positions), 3)},
			[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(idx, len(idx), 1)}
	}
	return b
}

// flatBatch is a yielded batch as plain data: the pixels' bits, then the int32 tensors.
type flatBatch struct {
	pixels []uint32
	ints   [][]int32
}

func flatten(t *testing.T, inputs, labels []*tensors.Tensor) flatBatch {
	t.Helper()
	var f flatBatch
	for _, v := range tensors.MustCopyFlatData[float32](inputs[0]) {
		f.pixels = append(f.pixels, math.Float32bits(v))
	}
	for _, x := range append(inputs[1:len(inputs):len(inputs)], labels...) {
		f.ints = append(f.ints, tensors.MustCopyFlatData[int32](x))
	}
	return f
}

// play runs ops on a new stream and returns the batches yielded and Count after each reset or
// close and at the end, after a Close (a running pipeline's Count is ahead of the consumer).
func play(t *testing.T, workers int, ops []op) (batches []flatBatch, counts []int) {
	t.Helper()
	b := batchesTestStream(workers)
	for _, o := range ops {
		switch o.name {
		case "yield":
			for range o.n {
				_, inputs, labels, err := b.Yield()
				if err != nil {
					t.Fatal(err)
				}
				batches = append(batches, flatten(t, inputs, labels))
			}
		case "skip":
			b.Skip(o.n)
		case "reset":
			b.Reset()
		case "close":
			b.Close()
		}
		if o.name == "reset" || o.name == "close" {
			counts = append(counts, b.Count())
		}
	}
	b.Close()
	return batches, append(counts, b.Count())
}

// TestBatchesWorkersMatchSynchronous checks that the pipelined stream yields, bit for bit, the
// batches of the synchronous one (Workers 0, the reference) whatever the number of workers,
// through skips, resets and closes at various points.
func TestBatchesWorkersMatchSynchronous(t *testing.T) {
	scripts := []struct {
		name string
		ops  []op
	}{
		{"plain", []op{{"yield", 25}}},
		{"skip-first", []op{{"skip", 4}, {"yield", 21}}},
		{"skip-middle", []op{{"yield", 5}, {"skip", 1}, {"yield", 5}, {"skip", 3}, {"yield", 5}, {"skip", 40}, {"yield", 5}}},
		{"reset-middle", []op{{"yield", 6}, {"reset", 0}, {"yield", 8}, {"reset", 0}, {"skip", 3}, {"yield", 8}}},
		{"close-middle", []op{{"yield", 5}, {"close", 0}, {"yield", 7}, {"close", 0}, {"close", 0}, {"skip", 2}, {"yield", 6}, {"close", 0}}},
		{"close-unstarted", []op{{"close", 0}, {"yield", 4}, {"reset", 0}, {"close", 0}, {"yield", 4}}},
	}
	for _, s := range scripts {
		want, wantCounts := play(t, 0, s.ops)
		for _, workers := range []int{1, 3, 8} {
			t.Run(fmt.Sprintf("%s/workers=%d", s.name, workers), func(t *testing.T) {
				got, gotCounts := play(t, workers, s.ops)
				if len(got) != len(want) {
					t.Fatalf("%d batches, want %d", len(got), len(want))
				}
				for i := range want {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("batch %d differs from the synchronous stream's", i)
					}
				}
				if !reflect.DeepEqual(gotCounts, wantCounts) {
					t.Errorf("Count after the ops %v, want %v", gotCounts, wantCounts)
				}
			})
		}
	}
}

// TestBatchesExtraPanic checks that a panic in Extra reaches Yield's caller with its value,
// after the batches before it, and that the stream then resumes just before the failing batch.
func TestBatchesExtraPanic(t *testing.T) {
	for _, workers := range []int{0, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			b := batchesTestStream(workers)
			defer b.Close()
			extra := b.Extra
			fail := true
			b.Extra = func(positions []int) (inputs, labels []*tensors.Tensor) {
				if b.Count() == 4 && fail {
					panic("boom")
				}
				return extra(positions)
			}
			for range 4 {
				if _, _, _, err := b.Yield(); err != nil {
					t.Fatal(err)
				}
			}
			func() {
				defer func() {
					if r := recover(); r != "boom" {
						t.Errorf("Yield panicked with %v, want boom", r)
					}
				}()
				b.Yield()
			}()
			fail = false // not racy: the pipeline is stopped after a panic
			_, inputs, _, _ := b.Yield()
			if c := tensors.MustCopyFlatData[int32](inputs[2])[0]; c != 4 {
				t.Errorf("after the panic, Yield built batch %d, want 4", c)
			}
		})
	}
}

// TestBatchesCloseReleasesGoroutines checks that Close and Reset end the pipeline's goroutines.
func TestBatchesCloseReleasesGoroutines(t *testing.T) {
	// Only the pipeline's own goroutines are counted: others of the test binary (a finaliser,
	// what an earlier test left winding down) may come and go meanwhile.
	b := batchesTestStream(8)
	for range 3 {
		b.Yield()
	}
	b.Reset()
	b.Yield()
	if n := pipelineGoroutines(); n < 9 {
		t.Errorf("%d pipeline goroutines with 8 workers, want 9 (a dispatcher and the workers)", n)
	}
	b.Close()
	b.Close()
	for deadline := time.Now().Add(2 * time.Second); pipelineGoroutines() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d pipeline goroutines left after Close", pipelineGoroutines())
		}
		time.Sleep(time.Millisecond)
	}
}

// pipelineGoroutines counts the goroutines started by Batches.start.
func pipelineGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "created by github.com/metric-transfer/mtlp/lib/fit.(*Batches).start") {
			count++
		}
	}
	return count
}
