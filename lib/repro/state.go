package repro

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/metric"
)

// StateEntryBytes is the largest cache entry ExportState carries by default (8 MiB); larger
// ones (a pool's features, say) are computed again by the next call.
const StateEntryBytes = 8 << 20

// State lists what ExportState carried, or ImportState put in place.
type State struct {
	// Entries are the cache entries, by key.
	Entries []string `json:"entries"`
	// Checkpoints are the trainings under way, by their folder under Env.CheckpointDir.
	Checkpoints []string `json:"checkpoints"`
}

// stageKeySuffix names the file beside a checkpoint folder of Env.CheckpointDir that holds the
// key of the cache entry its training's stage writes.
const stageKeySuffix = ".key"

// ExportState writes into dst (created) what a run that Env.Pause stopped needs to go on on
// another machine: the cache entries of at most maxEntryBytes (StateEntryBytes when 0), in
// dst/cache, and, from env.CheckpointDir (which it needs), in dst/checkpoints/<folder> as
// checkpoint.Export writes it (parts of at most 15 MiB), the newest checkpoint of every
// training under way, and of every finished one whose cache entry stays behind (so that the
// next call rebuilds the entry without training). ImportState puts them in place there; the
// same call then goes on exactly.
func ExportState(env Env, dst string, maxEntryBytes int64) (State, error) {
	var st State
	if env.CheckpointDir == "" {
		return st, errors.New("exporting a run's state: Env.CheckpointDir is not set, so the trainings under way keep their checkpoints in the cache's scratch space; set it")
	}
	store, err := artifact.Open(env.CacheDir)
	if err != nil {
		return st, err
	}
	if st.Entries, err = store.Export(filepath.Join(dst, "cache"), cmp.Or(maxEntryBytes, StateEntryBytes)); err != nil {
		return st, err
	}
	folders, err := os.ReadDir(env.CheckpointDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("exporting a run's state: %w", err)
	}
	for _, f := range folders {
		src := filepath.Join(env.CheckpointDir, f.Name())
		if !f.IsDir() {
			continue
		}
		c, err := checkpoint.Read(src, nil)
		if err != nil {
			return st, fmt.Errorf("exporting a run's state: %w", err)
		}
		key, err := os.ReadFile(src + stageKeySuffix)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("exporting a run's state: %w", err)
		}
		if c == nil || c.Phase != checkpoint.Training && len(key) > 0 && slices.Contains(st.Entries, string(key)) {
			continue // nothing saved yet, or trained and its result carried
		}
		to := filepath.Join(dst, "checkpoints", f.Name())
		if _, err := checkpoint.Export(src, to, 0, metric.InfoFile); err != nil {
			return st, fmt.Errorf("exporting a run's state: %w", err)
		}
		if len(key) > 0 {
			if err := atomicfile.WriteFile(to+stageKeySuffix, key); err != nil {
				return st, fmt.Errorf("exporting a run's state: %w", err)
			}
		}
		st.Checkpoints = append(st.Checkpoints, f.Name())
	}
	return st, nil
}

// ImportState puts a state that ExportState wrote in src into env's cache and checkpoint
// directories: the entries the cache lacks, and every checkpoint whose folder holds none yet.
func ImportState(env Env, src string) (State, error) {
	var st State
	if env.CheckpointDir == "" {
		return st, errors.New("importing a run's state: Env.CheckpointDir is not set; set it to where the run keeps its checkpoints")
	}
	store, err := artifact.Open(env.CacheDir)
	if err != nil {
		return st, err
	}
	if st.Entries, err = store.Import(filepath.Join(src, "cache")); err != nil {
		return st, err
	}
	folders, err := os.ReadDir(filepath.Join(src, "checkpoints"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("importing a run's state: %w", err)
	}
	for _, f := range folders {
		if !f.IsDir() {
			continue
		}
		dst := filepath.Join(env.CheckpointDir, f.Name())
		c, err := checkpoint.Read(dst, nil)
		if err != nil {
			return st, fmt.Errorf("importing a run's state: %w", err)
		}
		if c != nil {
			continue // the folder has a checkpoint of its own
		}
		from := filepath.Join(src, "checkpoints", f.Name())
		if _, err := checkpoint.Import(from, dst); err != nil {
			return st, fmt.Errorf("importing a run's state: %w", err)
		}
		if key, err := os.ReadFile(from + stageKeySuffix); err == nil {
			if err := atomicfile.WriteFile(dst+stageKeySuffix, key); err != nil {
				return st, fmt.Errorf("importing a run's state: %w", err)
			}
		}
		st.Checkpoints = append(st.Checkpoints, f.Name())
	}
	return st, nil
}
