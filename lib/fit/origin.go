package fit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
)

// Source identifies the images a run trains on, in the settings of a checkpoint directory's
// origin (checkpoint.Open): the dataset, by name and split (ds.Name), size and image shape, and
// the subset of it.
type Source struct {
	Data       string
	N, H, W, C int
	Classes    int
	// Subset is the number of images trained on, and SubsetSHA256 the hash of their indices
	// (empty when the subset is all of the dataset).
	Subset       int
	SubsetSHA256 string `json:",omitempty"`
}

// SourceOf returns the Source of the images subset of ds (all of them when nil).
func SourceOf(ds *data.Dataset, subset []int) Source {
	s := Source{Data: ds.Name, N: ds.N, H: ds.H, W: ds.W, C: ds.C, Classes: ds.NumClasses(), Subset: ds.N}
	if subset != nil {
		s.Subset, s.SubsetSHA256 = len(subset), HashInts(subset)
	}
	return s
}

// HashInts returns the hex SHA-256 of xs as little-endian 64-bit integers.
func HashInts(xs []int) string {
	h := sha256.New()
	var b [8]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint64(b[:], uint64(x))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// OpenCheckpoints opens the checkpoint directory dir for a run of stage with settings (see
// checkpoint.Open); nil, and no error, when dir is empty.
func OpenCheckpoints(dir, stage string, settings any) (*checkpoint.Dir, error) {
	if dir == "" {
		return nil, nil
	}
	d, err := checkpoint.Open(dir, stage, settings)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	return d, nil
}
