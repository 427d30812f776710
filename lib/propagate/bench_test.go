package propagate

import "testing"

// The benchmarks run at the size of the paper's CIFAR-10 experiments scaled to 10,000 rows of
// 128-dimensional features in 10 classes, 25 labels per class. Inputs are built before the
// timed loop (b.Loop times only its body).

func benchFeatures(b *testing.B) (Matrix, []int, []int32) {
	b.Helper()
	x, truth := clustered(10000, 128, 10, 0.2, 1)
	idx, lab := firstPerClass(truth, 10, 25)
	return x, idx, lab
}

func BenchmarkKNN10k(b *testing.B) {
	x, _, _ := benchFeatures(b)
	xn := mustNormalize(b, x)
	for b.Loop() {
		if _, err := KNN(xn, 20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAffinity10k(b *testing.B) {
	x, _, _ := benchFeatures(b)
	g, err := KNN(mustNormalize(b, x), 20)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Affinity(g, 0.2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSmallestEigen10k(b *testing.B) {
	x, _, _ := benchFeatures(b)
	w := affinityOf(b, x, 20, 0.2)
	for b.Loop() {
		if _, _, err := SmallestEigen(w, 200, EigenOptions{Method: EigenLanczos, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVote10k(b *testing.B) {
	x, idx, lab := benchFeatures(b)
	xn := mustNormalize(b, x)
	for b.Loop() {
		if _, err := Vote(xn, idx, lab, 10, 200, 0.1, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunSpectral10k(b *testing.B) {
	x, idx, lab := benchFeatures(b)
	for b.Loop() {
		if _, err := Run(x, idx, lab, 10, DefaultConfig(Spectral), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunNearestNeighbour10k(b *testing.B) {
	x, idx, lab := benchFeatures(b)
	for b.Loop() {
		if _, err := Run(x, idx, lab, 10, DefaultConfig(NearestNeighbour), nil); err != nil {
			b.Fatal(err)
		}
	}
}
