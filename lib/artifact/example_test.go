package artifact_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/metric-transfer/mtlp/lib/artifact"
)

// A stage's output is computed once per key: the first Build runs the build function, which
// writes the entry's files into the folder it is given; later Builds of the same key skip it
// and return the entry's folder, checked against its manifest, to read the files back. A
// changed configuration is another key, and so another entry.
func ExampleStore() {
	cache, err := os.MkdirTemp("", "artifact-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cache)
	store, err := artifact.Open(cache) // "" would open DefaultDir(): $MT_CACHE_DIR or ~/.cache/mtlp/artifacts
	if err != nil {
		fmt.Println(err)
		return
	}

	type config struct{ N int }
	squares := func(cfg config) ([]int, bool, error) {
		// The key hashes the stage's name, its configuration and the keys of its inputs (none).
		key, err := artifact.Key("squares", cfg)
		if err != nil {
			return nil, false, err
		}
		dir, cached, err := store.Build(key, func(dir string) error {
			out := make([]int, cfg.N)
			for i := range out {
				out[i] = i * i
			}
			return artifact.WriteJSON(filepath.Join(dir, "squares.json"), out)
		})
		if err != nil {
			return nil, false, err
		}
		var out []int
		err = artifact.ReadJSON(filepath.Join(dir, "squares.json"), &out)
		return out, cached, err
	}

	for _, cfg := range []config{{N: 4}, {N: 4}, {N: 6}} {
		out, cached, err := squares(cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("N=%d: %v (cached: %t)\n", cfg.N, out, cached)
	}
	// Output:
	// N=4: [0 1 4 9] (cached: false)
	// N=4: [0 1 4 9] (cached: true)
	// N=6: [0 1 4 9 16 25] (cached: false)
}
