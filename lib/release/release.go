// Package release writes and reads released metrics: what a long pretraining leaves so that
// others transfer the metric without training it, or even running its network. A release
// folder (figures/metrics/<name>) holds:
//
//	metric.json        Info: what was trained and how long, its kNN curve, where it came from,
//	                   and the SHA-256 of every other file
//	network/           the network alone, as metric.LoadPretrained reads it
//	train.npy          the L2-normalised features of the dataset's train split, float16, one
//	test.npy           row per image in the order data.Load gives (the test split's likewise)
//	train-labels.npy   the splits' class labels, int32, in the same order
//	test-labels.npy
//
// Every file is at most 16 MiB for a 128-d metric of up to 60,000 images a split.
package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/featio"
	"github.com/metric-transfer/mtlp/lib/metric"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// Names of a release's files.
const (
	InfoFile   = "metric.json"
	NetworkDir = "network"
)

// FeaturesFile is the name of a split's features in a release.
func FeaturesFile(split string) string { return split + ".npy" }

// LabelsFile is the name of a split's labels in a release.
func LabelsFile(split string) string { return split + "-labels.npy" }

// Info is metric.json.
type Info struct {
	Name   string              `json:"name"`
	Metric metric.PretrainInfo `json:"metric"`
	// Data is the dataset's name as data.Load takes it; Rows the images of each split released.
	Data string         `json:"data"`
	Rows map[string]int `json:"rows"`
	Dim  int            `json:"dim"`
	// Epochs is the training's length in passes of EpochSteps steps over its images.
	Epochs     float64 `json:"epochs"`
	EpochSteps int     `json:"epoch_steps"`
	// Settings are the pretraining's own (its checkpoint directory's origin).
	Settings json.RawMessage `json:"settings,omitempty"`
	// TrainSeconds is the wall time of the pretraining's calls, and ImagesPerSecond its
	// training images over that time less the kNN monitor's.
	TrainSeconds    float64 `json:"train_seconds"`
	ImagesPerSecond float64 `json:"images_per_second"`
	// KNN is the kNN curve that the pretraining measured, and KNNReleased the same measure of
	// the released (float16) features.
	KNN         *Curve  `json:"knn,omitempty"`
	KNNReleased float64 `json:"knn_released"`
	// Slices are the pretraining's calls.
	Slices     []Slice    `json:"slices"`
	Provenance Provenance `json:"provenance"`
	// SHA256 is the hex SHA-256 of every other file, by its path in the release.
	SHA256 map[string]string `json:"sha256"`
}

// Provenance says where the release was written: the code, the machine, the date and the
// command.
type Provenance struct {
	Commit  string `json:"commit"`
	Backend string `json:"backend"`
	Device  string `json:"device"`
	Date    string `json:"date"`
	Command string `json:"command"`
}

// Split is one released split of the dataset: the metric's features of its images and their
// labels, in data.Load's order.
type Split struct {
	Name     string
	Features propagate.Matrix
	Labels   []int32
}

// Write writes a release into dir, which must not exist: info (whose Rows, Dim and SHA256 it
// fills in), the network of p (metric.Pretrained.SaveNetwork; none when p is nil, a release of
// features only) and each split's features, in float16, and labels. It builds the release in a temporary folder beside dir and renames it
// into place, so that dir is either complete or absent.
func Write(dir string, info Info, p *metric.Pretrained, splits ...Split) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("release: %s exists; write into a new folder (move the old release aside first)", dir)
	}
	if len(splits) == 0 {
		return errors.New("release: no split to release")
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	info.Rows, info.SHA256 = map[string]int{}, map[string]string{}
	for _, s := range splits {
		x := s.Features
		switch {
		case x.N != len(s.Labels):
			return fmt.Errorf("release: split %s has %d feature rows and %d labels", s.Name, x.N, len(s.Labels))
		case info.Dim != 0 && x.D != info.Dim:
			return fmt.Errorf("release: split %s has %d-d features, another %d-d", s.Name, x.D, info.Dim)
		}
		info.Dim, info.Rows[s.Name] = x.D, x.N
		if err := atomicfile.Write(filepath.Join(tmp, FeaturesFile(s.Name)), func(w io.Writer) error { return featio.WriteNPY16(w, x) }); err != nil {
			return fmt.Errorf("release: %s features: %w", s.Name, err)
		}
		if err := atomicfile.Write(filepath.Join(tmp, LabelsFile(s.Name)), func(w io.Writer) error { return featio.WriteLabelsNPY(w, s.Labels) }); err != nil {
			return fmt.Errorf("release: %s labels: %w", s.Name, err)
		}
	}
	if p != nil {
		if err := p.SaveNetwork(filepath.Join(tmp, NetworkDir)); err != nil {
			return fmt.Errorf("release: %w", err)
		}
	}
	files, err := hashFiles(tmp)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	info.SHA256 = files
	if err := writeJSON(filepath.Join(tmp, InfoFile), info); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return atomicfile.SyncDir(filepath.Dir(dir))
}

// hashFiles returns the hex SHA-256 of every regular file under dir but InfoFile, by its
// slash-separated path relative to dir. The checkpoint's lock is left out.
func hashFiles(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == InfoFile || e.Name() == "lock" {
			return nil
		}
		sum, err := artifact.HashFile(path)
		if err != nil {
			return err
		}
		out[rel] = sum
		return nil
	})
	return out, err
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Released is a release folder that Open has checked.
type Released struct {
	Dir  string
	Info Info
}

// Open reads the release in dir and checks that every file metric.json lists is there with
// its SHA-256 (a damaged or partial copy is an error naming the file).
func Open(dir string) (*Released, error) {
	raw, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("release %s: no %s there; is it a released metric (figures/metrics/<name>)?", dir, InfoFile)
		}
		return nil, fmt.Errorf("release %s: %w", dir, err)
	}
	r := &Released{Dir: dir}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&r.Info); err != nil {
		return nil, fmt.Errorf("release %s: %s: %w", dir, InfoFile, err)
	}
	if len(r.Info.Rows) == 0 || r.Info.Dim < 1 || len(r.Info.SHA256) == 0 {
		return nil, fmt.Errorf("release %s: %s lists no split, dimension or file", dir, InfoFile)
	}
	names := make([]string, 0, len(r.Info.SHA256))
	for name := range r.Info.SHA256 {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		sum, err := artifact.HashFile(path)
		if err != nil {
			return nil, fmt.Errorf("release %s: %w", dir, err)
		}
		if sum != r.Info.SHA256[name] {
			return nil, fmt.Errorf("release %s: %s has SHA-256 %s, %s says %s; the copy is damaged, check it out again", dir, name, sum, InfoFile, r.Info.SHA256[name])
		}
	}
	return r, nil
}

// Splits lists the released splits.
func (r *Released) Splits() []string {
	out := make([]string, 0, len(r.Info.Rows))
	for s := range r.Info.Rows {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Features reads a split's features (float32, widened from the release's float16) and labels.
func (r *Released) Features(split string) (propagate.Matrix, []int32, error) {
	labels, err := r.Labels(split)
	if err != nil {
		return propagate.Matrix{}, nil, err
	}
	x, err := featio.ReadNPYFile(filepath.Join(r.Dir, FeaturesFile(split)))
	if err != nil {
		return propagate.Matrix{}, nil, fmt.Errorf("release %s: %w", r.Dir, err)
	}
	if x.N != len(labels) || x.D != r.Info.Dim {
		return propagate.Matrix{}, nil, fmt.Errorf("release %s: split %s has %d×%d features and %d labels, %s says %d×%d",
			r.Dir, split, x.N, x.D, len(labels), InfoFile, len(labels), r.Info.Dim)
	}
	return x, labels, nil
}

// Labels reads a split's labels alone.
func (r *Released) Labels(split string) ([]int32, error) {
	n, ok := r.Info.Rows[split]
	if !ok {
		return nil, fmt.Errorf("release %s: no %q split; it has %v", r.Dir, split, r.Splits())
	}
	f, err := os.Open(filepath.Join(r.Dir, LabelsFile(split)))
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", r.Dir, err)
	}
	defer f.Close()
	labels, err := featio.ReadLabelsNPY(f)
	if err != nil {
		return nil, fmt.Errorf("release %s: %s: %w", r.Dir, LabelsFile(split), err)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("release %s: split %s has %d labels, %s says %d rows", r.Dir, split, len(labels), InfoFile, n)
	}
	return labels, nil
}

// Match checks that ds is the split the release's features describe: the same dataset, the
// same number of images and the same label on every row (which a different order would break).
func (r *Released) Match(split string, ds *data.Dataset) error {
	labels, err := r.Labels(split)
	if err != nil {
		return err
	}
	if name, err := data.LoadName(ds.Name); ds.Name != r.Info.Data && (err != nil || name != r.Info.Data) {
		return fmt.Errorf("release %s: its features are of %s, not of %s", r.Dir, r.Info.Data, ds.Name)
	}
	if len(labels) != ds.N {
		return fmt.Errorf("release %s: its %s split has %d images, %s has %d", r.Dir, split, len(labels), ds.Name, ds.N)
	}
	for i, y := range labels {
		if y != ds.Labels[i] {
			return fmt.Errorf("release %s: image %d of the %s split is labelled %d there and %d in %s: another order or copy of the data",
				r.Dir, i, split, y, ds.Labels[i], ds.Name)
		}
	}
	return nil
}

// Network loads the released network, to compute features of other images.
func (r *Released) Network(backend backends.Backend) (*metric.Pretrained, error) {
	if _, ok := r.Info.SHA256[NetworkDir+"/"+metric.InfoFile]; !ok {
		return nil, fmt.Errorf("release %s holds features only, not its network", r.Dir)
	}
	return metric.LoadPretrained(backend, filepath.Join(r.Dir, NetworkDir))
}

// EnvMetricsDir names the environment variable of a folder of releases, one per name, that
// Find looks in instead of the repository's figures/metrics.
const EnvMetricsDir = "MT_METRICS_DIR"

// MetricsDir is where the repository keeps its releases, relative to its root.
const MetricsDir = "figures/metrics"

// Find returns the folder of the release name, "" when there is none: in $MT_METRICS_DIR when
// set, else in figures/metrics of the working directory or of the nearest folder above it that
// has one (notebooks run in notebooks/), as a path relative to the working directory. A folder
// counts when it holds InfoFile.
func Find(name string) string {
	if d := os.Getenv(EnvMetricsDir); d != "" {
		if isRelease(filepath.Join(d, name)) {
			return filepath.Join(d, name)
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if p := filepath.Join(dir, MetricsDir, name); isRelease(p) {
			if rel, err := filepath.Rel(wd, p); err == nil {
				return rel // the same on every machine, for what records it
			}
			return p
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

func isRelease(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, InfoFile))
	return err == nil && st.Mode().IsRegular()
}

// Rows returns the rows idx of a split's features, the released features of those images.
func (r *Released) Rows(split string, idx []int) (propagate.Matrix, error) {
	x, _, err := r.Features(split)
	if err != nil {
		return propagate.Matrix{}, err
	}
	out, err := x.Rows(idx)
	if err != nil {
		return propagate.Matrix{}, fmt.Errorf("release %s, the %s split: %w", r.Dir, split, err)
	}
	return out, nil
}

// TrainingDevice is the device of the release's training slices, the first one's when they
// differ, else the provenance's.
func (i Info) TrainingDevice() string {
	for _, s := range i.Slices {
		if s.Device != "" {
			return s.Device
		}
	}
	return i.Provenance.Device
}
