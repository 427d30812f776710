package data

import (
	"fmt"
	"math/rand/v2"
)

// syntheticDirections are the stripe directions (dy, dx) of the synthetic classes.
var syntheticDirections = [][2]int{{1, 0}, {0, 1}, {1, 1}, {1, -1}}

// Synthetic makes n size×size grayscale images of up to four classes, stripes of width one in
// a class-specific direction (horizontal, vertical, two diagonals) with random phase and
// noise; image i has class i mod classes. Tests use it to train on data that needs no files
// and that a working pipeline separates easily.
func Synthetic(n, size, classes int, seed uint64) (*Dataset, error) {
	if classes < 2 || classes > len(syntheticDirections) || n < 1 || size < 2 {
		return nil, fmt.Errorf("synthetic data: n=%d size=%d classes=%d; want n ≥ 1, size ≥ 2, 2 to 4 classes", n, size, classes)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	d := &Dataset{Name: "synthetic", N: n, H: size, W: size, C: 1, Images: make([]uint8, n*size*size),
		Labels: make([]int32, n), Classes: []string{"horizontal", "vertical", "diagonal", "anti-diagonal"}[:classes]}
	for i := range n {
		c := i % classes
		d.Labels[i] = int32(c)
		dir := syntheticDirections[c]
		phase := rng.IntN(2)
		img := d.Image(i)
		for y := range size {
			for x := range size {
				v := 40 + rng.IntN(30)
				if (y*dir[0]+x*dir[1]+phase+2*size)%2 == 0 {
					v += 160
				}
				img[y*size+x] = uint8(v)
			}
		}
	}
	return d, nil
}

// Blocks makes n 28×28 grayscale images of ten classes, MNIST's shape: class c is a bright 7×7
// block at one of ten places on a noisy background, image i of class i mod 10, so that even a
// few training steps separate the classes. Tests write it as IDX files (WriteIDX) to stand in
// for MNIST and Fashion-MNIST.
func Blocks(n int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := &Dataset{Name: "blocks", N: n, H: 28, W: 28, C: 1, Images: make([]uint8, n*784), Labels: make([]int32, n),
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	for i := range n {
		c := i % 10
		d.Labels[i] = int32(c)
		img := d.Image(i)
		for p := range img {
			img[p] = byte(rng.IntN(60))
		}
		y0, x0 := 2+7*(c/5)*2, 1+5*(c%5)
		for y := y0; y < y0+7; y++ {
			for x := x0; x < x0+7 && x < 28; x++ {
				img[y*28+x] = byte(200 + rng.IntN(55))
			}
		}
	}
	return d
}
