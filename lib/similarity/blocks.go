package similarity

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/metric-transfer/mtlp/lib/data"
	"gonum.org/v1/gonum/mat"
)

// ClassSortedSample draws n rows class-balanced from truth with seed (data.SampleSubset) and
// sorts them by class, then by row, so that the classes form consecutive blocks of a
// similarity matrix over them.
func ClassSortedSample(truth []int32, numClasses, n int, seed int64) ([]int, error) {
	rows, err := data.SampleSubset(truth, numClasses, n, seed)
	if err != nil {
		return nil, err
	}
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b int) int {
		return cmp.Or(cmp.Compare(truth[a], truth[b]), cmp.Compare(a, b))
	})
	return rows, nil
}

// Blocks measures the block structure of a similarity matrix over class-labelled rows, on
// its off-diagonal entries.
type Blocks struct {
	// Within and Between are the mean similarity of pairs of the same and of different classes.
	Within  float64 `json:"within"`
	Between float64 `json:"between"`
	// Std is the standard deviation of all off-diagonal entries.
	Std float64 `json:"std"`
}

// Contrast is Within − Between in units of Std: scale-free, so the raw cosine and W' (whose
// scale is 1/λ) compare.
func (b Blocks) Contrast() float64 { return (b.Within - b.Between) / b.Std }

// MeasureBlocks returns the block structure of s, whose rows and columns are classes[i].
func MeasureBlocks(s *mat.Dense, classes []int32) (Blocks, error) {
	n, m := s.Dims()
	if n != m || n != len(classes) {
		return Blocks{}, fmt.Errorf("similarity: %d×%d matrix for %d class labels; it must be square with one label per row", n, m, len(classes))
	}
	var sumIn, sumOut, ss float64
	var nIn, nOut int
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			v := s.At(i, j)
			ss += v * v
			if classes[i] == classes[j] {
				sumIn, nIn = sumIn+v, nIn+1
			} else {
				sumOut, nOut = sumOut+v, nOut+1
			}
		}
	}
	if nIn == 0 || nOut == 0 {
		return Blocks{}, fmt.Errorf("similarity: %d pairs within classes and %d between; need both (two rows of a class, two classes)", nIn, nOut)
	}
	b := Blocks{Within: sumIn / float64(nIn), Between: sumOut / float64(nOut)}
	mean := (sumIn + sumOut) / float64(nIn+nOut)
	b.Std = math.Sqrt(math.Max(ss/float64(nIn+nOut)-mean*mean, 0))
	return b, nil
}
