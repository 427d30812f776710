package fit

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/metric-transfer/mtlp/lib/data"
)

// BenchmarkBatchesYield measures building one augmented batch of 256 CIFAR-sized images on the
// host, with the instance-discrimination views and with crop-and-flip, built synchronously
// (workers=1) and by a pipeline of GOMAXPROCS workers.
func BenchmarkBatchesYield(b *testing.B) {
	n := 2048
	ds := &data.Dataset{Name: "bench", N: n, H: 32, W: 32, C: 3, Images: make([]uint8, n*32*32*3),
		Labels: make([]int32, n), Classes: make([]string, 10)}
	for i := range ds.Images {
		ds.Images[i] = uint8(i * 7)
	}
	for _, aug := range []struct {
		name string
		a    Augment
	}{
		{"instance-views", Augment{CropScale: 0.2, Flip: true, Jitter: 0.4, Grayscale: 0.2}},
		{"pad-crop-flip", Augment{Pad: 4, Flip: true}},
	} {
		for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
			b.Run(fmt.Sprintf("%s/batch=256/workers=%d", aug.name, workers), func(b *testing.B) {
				subset := make([]int, n)
				for i := range subset {
					subset[i] = i
				}
				bt := NewBatches(ds, subset, 256, aug.a, 1)
				bt.Workers = workers
				defer bt.Close()
				for b.Loop() {
					if _, _, _, err := bt.Yield(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
