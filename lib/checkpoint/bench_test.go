package checkpoint

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// bankContext holds a memory bank of 60,000 × 128 float32 (Fashion-MNIST's training split in
// instance discrimination): 30.7 MB, the bulk of a pretraining checkpoint.
func bankContext() *context.Context {
	ctx := context.New()
	v := make([]float32, 60000*128)
	for i := range v {
		v[i] = float32(i%1000) / 1000
	}
	ctx.In("memory_bank").VariableWithValue("bank", tensors.FromFlatDataAndDimensions(v, 60000, 128))
	return ctx
}

// BenchmarkSave saves the memory bank: finiteness check, SHA-256, write and fsync of the data
// and manifest, pruning.
func BenchmarkSave(b *testing.B) {
	d, err := Open(b.TempDir(), "benchmark", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := bankContext()
	b.SetBytes(60000 * 128 * 4)
	step := 0
	for b.Loop() {
		step++
		if _, err := d.Save(ctx, step, Training); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad reads, verifies and loads the memory bank into a context.
func BenchmarkLoad(b *testing.B) {
	d, err := Open(b.TempDir(), "benchmark", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Save(bankContext(), 1, Training); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(60000 * 128 * 4)
	for b.Loop() {
		if _, err := d.Load(context.New()); err != nil {
			b.Fatal(err)
		}
	}
}
