package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/metric-transfer/mtlp/lib/artifact"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/metric"
)

// Env is where a run happens and how it reports: the backend, the directories, the progress
// and the command line. Nothing in it is hashed into a stage's key, so that changing it never
// changes a number; what a table computes is its configuration alone.
type Env struct {
	Backend backends.Backend
	// DataDir holds the datasets ("" means data.DataDir()); CacheDir the stage cache (""
	// means artifact.DefaultDir()).
	DataDir, CacheDir string
	// CheckpointDir, if set, keeps the training checkpoints there, one folder per network named
	// by what it trains (its time budget left out), so that a killed run, or the next slice of
	// a long one with another budget, resumes, across machines too; "" keeps them in the stage
	// cache's scratch space until the stage is done.
	CheckpointDir string
	// Progress, which may be nil, receives every stage's progress, its name prefixed by the
	// cell it belongs to.
	Progress fit.Progress
	// Command is how to reproduce the run, recorded in the provenance.
	Command string
	// Pause, if positive, stops the run's trainings after that much wall time, for a run
	// longer than the machine it runs on has: the training under way, or the next one to
	// start, saves a checkpoint after its step under way and stops (fit.RunConfig.Pause); the
	// stages in between are not interrupted. The run then returns a *PausedError; the same call
	// again, on the same cache and checkpoint directories (or on what ExportState carried of
	// them, imported into new ones with ImportState), goes on where it stopped, exactly.
	Pause time.Duration
	// StepsPerCall is every training's fit.RunConfig.StepsPerCall, a speed setting for a GPU.
	StepsPerCall int
}

// PausedError is returned by a run that Env.Pause stopped, unfinished.
type PausedError struct {
	What     string           // the run, "table 2" say
	Seconds  float64          // its wall time
	Training *fit.PausedError // the training's pause
}

func (e *PausedError) Error() string {
	return fmt.Sprintf("%s: paused after %.0f s in %s at step %d of %d, its checkpoint saved; run the same call again, on the same cache and checkpoint directories, to go on",
		e.What, e.Seconds, e.Training.Stage, e.Training.Step, e.Training.Steps)
}

// TrainingPause is the fit.RunConfig.Pause of a training that a stage starts: the wall time
// left before Env.Pause, and 0 without a pause. Once the pause has come it is a nanosecond:
// the training still runs one call of steps (fit.Run always does), so every call of the run
// goes on.
func (r *Run) TrainingPause() time.Duration {
	if r.Pause <= 0 {
		return 0
	}
	return max(r.Pause-time.Since(r.start), time.Nanosecond)
}

// NewEnv returns the environment of the default backend (NewBackend), the default data and
// cache directories, and command.
func NewEnv(command string, progress fit.Progress) (Env, error) {
	b, err := NewBackend()
	return Env{Backend: b, Command: command, Progress: progress}, err
}

// EnvHeadless names the environment variable that the headless notebook runner (make test,
// make report) sets for the notebooks it executes.
const EnvHeadless = "MT_HEADLESS"

// NotebookEnv is NewEnv for the notebook notebooks/<name>.ipynb run at scale: its command
// says how to run it again, in Jupyter or, when the headless runner executes it
// ($MT_HEADLESS), by make report.
func NotebookEnv(name, scale string, progress fit.Progress) (Env, error) {
	if os.Getenv(EnvHeadless) != "" {
		return NewEnv(fmt.Sprintf("make report REPORT_SCALE=%s NOTEBOOKS=notebooks/%s.ipynb", scale, name), progress)
	}
	return NewEnv(fmt.Sprintf("make notebook → notebooks/%s.ipynb (MT_SCALE=%s)", name, scale), progress)
}

// RunInfo is what every result records about the run that computed it.
type RunInfo struct {
	Provenance Provenance `json:"provenance"`
	// Computed is the number of stages the run computed rather than read from the cache.
	Computed int `json:"computed_stages"`
	// Wall is how long the run took; Provenance.Seconds is the compute time of every stage the
	// result rests on, cached or not.
	Wall float64 `json:"wall_seconds"`
}

// Run returns the run's information: every result embeds it, so that code handling any table
// reads it alike.
func (i *RunInfo) Run() *RunInfo { return i }

// Run is one run of a table (one call of its Run function): its environment, its store, its clock, the
// stages it computed and the compute seconds of every stage it used (by key).
type Run struct {
	Env
	what     string // "table 2": prefixes errors
	scale    string
	store    *artifact.Store
	start    time.Time
	computed int
	seconds  map[string]float64
}

// Open starts a run of what (a table's name, for errors) at scale.
func (e Env) Open(what, scale string) (*Run, error) {
	if e.Backend == nil {
		return nil, fmt.Errorf("%s: Env.Backend is nil; start from NewEnv", what)
	}
	store, err := artifact.Open(e.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &Run{Env: e, what: what, scale: scale, store: store, start: time.Now(), seconds: map[string]float64{}}, nil
}

// Elapsed is the run's wall time so far.
func (r *Run) Elapsed() time.Duration { return time.Since(r.start) }

// Info returns the run's information so far.
func (r *Run) Info() RunInfo {
	total := 0.0 // summed in key order, so that a rerun from the cache gives the same sum
	for _, key := range slices.Sorted(maps.Keys(r.seconds)) {
		total += r.seconds[key]
	}
	return RunInfo{Provenance: NewProvenance(r.Backend.Name(), r.scale, total, r.Command), Computed: r.computed,
		Wall: time.Since(r.start).Seconds()}
}

// Errorf is an error of the run: "<what>: <tag>: <err>".
func (r *Run) Errorf(tag string, err error) error { return fmt.Errorf("%s, %s: %w", r.what, tag, err) }

// Grid is every table's loop: cell(row, col) for every column (a label count, say) and row, in
// that order, each passed to done, which records it in the result so far.
func Grid[R, C any](cols []int, rows []R, cell func(row R, col int) (*C, error), done func(C)) error {
	for _, col := range cols {
		for _, row := range rows {
			c, err := cell(row, col)
			if err != nil {
				return err
			}
			done(*c)
		}
	}
	return nil
}

// Notify passes the result so far to onCell, if there is one: a long run publishes as it goes.
func Notify[R any](onCell func(R), res R) {
	if onCell != nil {
		onCell(res)
	}
}

// Timed says how long a stage took when it was computed and whether this call read it from
// the cache instead.
type Timed struct {
	Seconds float64 `json:"seconds"`
	Cached  bool    `json:"cached"`
}

// TimedStage returns the stage's timing, so that Stage can fill it in.
func (t *Timed) TimedStage() *Timed { return t }

// SetCached records whether the stage came from the cache (see Timing).
func (t *Timed) SetCached(c bool) { t.Cached = c }

// StageSeconds is the stage's compute time (see Timing).
func (t *Timed) StageSeconds() float64 { return t.Seconds }

// Timing is a stage's result whose timing Stage records: every result that embeds Timed, or
// one that keeps its own seconds and cached flag.
type Timing interface {
	SetCached(bool)
	StageSeconds() float64
}

// Stage returns a stage's result: computed by compute (which may keep files of its own in dir)
// and kept as dir/file unless the cache has it under key, then read back from there, with its
// timing (if it has one) telling whether it came from the cache. It also returns dir.
func Stage[T any](r *Run, key, file string, compute func(dir string) (*T, error)) (*T, string, error) {
	v := new(T)
	dir, err := r.build(key, func(dir string) error {
		start := time.Now()
		v, err := compute(dir)
		if err != nil {
			return err
		}
		if t, ok := any(v).(interface{ TimedStage() *Timed }); ok && t.TimedStage().Seconds == 0 {
			t.TimedStage().Seconds = time.Since(start).Seconds()
		}
		return artifact.WriteJSON(filepath.Join(dir, file), v)
	}, func(dir string, cached bool) error {
		if err := artifact.ReadJSON(filepath.Join(dir, file), v); err != nil {
			return err
		}
		if t, ok := any(v).(Timing); ok {
			t.SetCached(cached)
			r.seconds[key] = t.StageSeconds()
		}
		return nil
	})
	return v, dir, err
}

// build is the store's Build of key that counts the stages computed, then reads the entry with
// read. An entry that lacks a file read wants (one written in an earlier layout of its stage)
// is discarded and computed anew.
func (r *Run) build(key string, build func(dir string) error, read func(dir string, cached bool) error) (string, error) {
	for try := 0; ; try++ {
		dir, cached, err := r.store.Build(key, func(dir string) error {
			r.computed++
			err := build(dir)
			if training := (*fit.PausedError)(nil); errors.As(err, &training) {
				return &PausedError{What: r.what, Seconds: time.Since(r.start).Seconds(), Training: training}
			}
			return err
		})
		if err != nil {
			return "", err
		}
		err = read(dir, cached)
		if !cached || try > 0 || !errors.Is(err, fs.ErrNotExist) {
			return dir, err
		}
		if err := r.store.Discard(key, err.Error()); err != nil {
			return "", err
		}
	}
}

// Checkpoints returns where a training's checkpoints go: under CheckpointDir in a folder named
// name when it is set (kept, with name.key beside it naming the stage's cache entry, key, for
// ExportState), else in the stage's scratch space (removed with it).
func (r *Run) Checkpoints(key, name string) (string, error) {
	if r.CheckpointDir != "" {
		if err := os.MkdirAll(r.CheckpointDir, 0o755); err != nil {
			return "", err
		}
		if err := atomicfile.WriteFile(filepath.Join(r.CheckpointDir, name+stageKeySuffix), []byte(key)); err != nil {
			return "", err
		}
		return filepath.Join(r.CheckpointDir, name), nil
	}
	scratch, err := r.store.Scratch(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(scratch, "checkpoints"), nil
}

// Split is a dataset, or a class-balanced seeded sample of one, with a key that names it.
type Split struct {
	*data.Dataset
	// Key names the dataset, the sample and its seed in the keys of the stages that read it.
	Key string
}

// Load loads a split of a dataset, named alone or as name:class,class,… for the images of
// those classes only (data.Dataset.ClassSubset, the name then ending in [class,class,…]), and,
// with n > 0 and fewer than its images, keeps a class-balanced sample of n drawn with seed.
// The key names the dataset, the sample and the seed.
func (r *Run) Load(name, part string, n int, seed int64) (*Split, error) {
	base, classes, _ := strings.Cut(name, ":")
	ds, err := data.Load(r.DataDir, base, part)
	if err == nil && classes != "" {
		if ds, err = ds.ClassSubset(strings.Split(classes, ","), 0, seed); err == nil {
			ds.Name += "[" + classes + "]"
		}
	}
	if err != nil {
		return nil, err
	}
	return Sample(ds, n, seed)
}

// Sample is Load's sampling: ds itself when n ≤ 0 or n ≥ ds.N.
func Sample(ds *data.Dataset, n int, seed int64) (*Split, error) {
	key := fmt.Sprintf("%s/%d/%dx%dx%d", ds.Name, ds.N, ds.H, ds.W, ds.C)
	if n <= 0 || n >= ds.N {
		return &Split{ds, key}, nil
	}
	idx, err := data.SampleSubset(ds.Labels, ds.NumClasses(), n, seed)
	if err != nil {
		return nil, fmt.Errorf("%d images of %s: %w", n, ds.Name, err)
	}
	sub, err := ds.Subset(idx)
	if err != nil {
		return nil, err
	}
	return &Split{sub, fmt.Sprintf("%s/n=%d/seed=%d", key, n, seed)}, nil
}

// Pool is the unlabeled set of a table: rows of a dataset drawn class-balanced with a seed,
// their true labels, and the nested label subsets of the table's columns (positions in rows).
type Pool struct {
	// Split is the dataset the pool is drawn from; Rows the pool's images in it and Truth
	// their labels (to score pseudo labels, never to train on, but for Labeled's).
	Split *Split
	Rows  []int
	Truth []int32
	// Labeled holds, by label count, the positions in Rows of the labeled images.
	Labeled map[int][]int
	// Key names the pool in the keys of the stages that read it.
	Key string
}

// DrawPool draws n images of ds (0: all) and, among them, each label count of labels, all
// with seed.
func DrawPool(ds *Split, n int, seed int64, labels []int) (*Pool, error) {
	k := ds.NumClasses()
	rows, err := data.SampleSubset(ds.Labels, k, n, seed)
	if err != nil {
		return nil, fmt.Errorf("pool of %d images of %s: %w", n, ds.Name, err)
	}
	p := &Pool{Split: ds, Rows: rows, Truth: Pick(ds.Labels, rows), Labeled: map[int][]int{},
		Key: fmt.Sprintf("%s/pool=%d/seed=%d", ds.Key, len(rows), seed)}
	for _, l := range labels {
		if p.Labeled[l], err = data.SampleLabeled(p.Truth, k, l, seed); err != nil {
			return nil, fmt.Errorf("%d labels from a pool of %d: %w", l, len(rows), err)
		}
	}
	return p, nil
}

// Pick returns v at the positions idx.
func Pick[T any](v []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

// UnlabeledRows returns 0…n−1 without the rows in labeled, in order.
func UnlabeledRows(n int, labeled []int) []int {
	isLabeled := make(map[int]bool, len(labeled))
	for _, p := range labeled {
		isLabeled[p] = true
	}
	out := make([]int, 0, n-len(labeled))
	for p := range n {
		if !isLabeled[p] {
			out = append(out, p)
		}
	}
	return out
}

// Tagged returns progress with tag prefixed to the stage names it receives, nil for nil.
func Tagged(progress fit.Progress, tag string) fit.Progress {
	if progress == nil {
		return nil
	}
	return func(stage string, done, total int) { progress(tag+": "+stage, done, total) }
}

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
const stageKeySuffix = ".Key"

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
