package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/metric-transfer/mtlp/lib/checkpoint"
)

// HistoryFile is the file in a pretraining's checkpoint directory where mt pretrain records
// each of its calls (one slice of a run that is paused and continued) and the metric's kNN
// accuracy at the end of every warm-restart cycle.
const HistoryFile = "history.json"

// History is HistoryFile.
type History struct {
	// EpochSteps is the number of steps of an epoch, a pass over the training images.
	EpochSteps int     `json:"epoch_steps"`
	Slices     []Slice `json:"slices"`
	KNN        *Curve  `json:"knn,omitempty"`
}

// Slice is one call of mt pretrain on a directory.
type Slice struct {
	Commit  string `json:"commit"`
	Backend string `json:"backend"`
	Device  string `json:"device"`
	Date    string `json:"date"`
	Command string `json:"command"`
	// FromStep and ToStep are the global steps at which the call began (its checkpoint's) and
	// ended.
	FromStep int `json:"from_step"`
	ToStep   int `json:"to_step"`
	// Outcome is "running" while the call runs (and stays so if it is killed), then "paused" or
	// "finished".
	Outcome string `json:"outcome"`
	// Seconds is the call's wall time; MonitorSeconds the part spent measuring kNN accuracy.
	Seconds        float64 `json:"seconds"`
	MonitorSeconds float64 `json:"monitor_seconds"`
	// ImagesPerSecond is the training images of the steps it ran over its wall time less the
	// monitor's (start-up and compilation included).
	ImagesPerSecond float64 `json:"images_per_second"`
}

// Curve is the metric's weighted kNN accuracy on a dataset's test split with its train split
// (Data) as the memory, as the authors monitor it.
type Curve struct {
	Data        string  `json:"data"`
	K           int     `json:"k"`
	Temperature float64 `json:"temperature"`
	Points      []Point `json:"points"`
}

// Point is one measurement: at a cycle's end with the training's batch-norm averages, or
// (Final) of the finished network, whose statistics were recomputed.
type Point struct {
	Step     int     `json:"step"`
	Epoch    float64 `json:"epoch"`
	Accuracy float64 `json:"accuracy"`
	Final    bool    `json:"final,omitempty"`
	Seconds  float64 `json:"seconds"`
}

// ReadHistory reads HistoryFile in dir; none there is an empty history.
func ReadHistory(dir string) (*History, error) {
	h := &History{}
	raw, err := os.ReadFile(filepath.Join(dir, HistoryFile))
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, h); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, HistoryFile), err)
	}
	return h, nil
}

// Write replaces HistoryFile in dir atomically.
func (h *History) Write(dir string) error {
	return checkpoint.WriteJSON(filepath.Join(dir, HistoryFile), h)
}

// Add records p, replacing a point of the same step and kind (measured again after a kill).
func (c *Curve) Add(p Point) {
	c.Points = slices.DeleteFunc(c.Points, func(q Point) bool { return q.Step == p.Step && q.Final == p.Final })
	c.Points = append(c.Points, p)
	slices.SortStableFunc(c.Points, func(a, b Point) int {
		if a.Step != b.Step {
			return a.Step - b.Step
		}
		if a.Final == b.Final {
			return 0
		}
		if a.Final {
			return 1
		}
		return -1
	})
}

// Has reports whether the curve holds a point of step and kind.
func (c *Curve) Has(step int, final bool) bool {
	return slices.ContainsFunc(c.Points, func(q Point) bool { return q.Step == step && q.Final == final })
}
