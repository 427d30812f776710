package checkpoint

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
)

// CorruptSuffix is appended to the files of a checkpoint that failed verification when it is
// moved aside.
const CorruptSuffix = ".corrupt"

// Checkpoint is a verified checkpoint read into memory.
type Checkpoint struct {
	Manifest
	// File is the manifest's path.
	File   string
	values []*tensors.Tensor
}

// Load puts the newest checkpoint of d that verifies into ctx (see Checkpoint.Apply) and
// returns it, or nil when the directory has none. A checkpoint that does not verify is moved
// aside (CorruptSuffix) with a warning naming the older one used instead; when none verifies,
// the error says so.
func (d *Dir) Load(ctx *context.Context) (*Checkpoint, error) {
	c, err := d.Newest()
	if err != nil || c == nil {
		return nil, err
	}
	if err := c.Apply(ctx); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", c.File, err)
	}
	return c, nil
}

// Newest reads the newest checkpoint of d that verifies, as Load does, without putting it in a
// context.
func (d *Dir) Newest() (*Checkpoint, error) {
	if d == nil || d.lock == nil {
		return nil, errors.New("checkpoint: reading a directory that is not open")
	}
	return newest(d.Path, d.warn, func(seq int) error {
		for _, name := range []string{manifestName(seq), dataName(seq)} {
			p := filepath.Join(d.Path, name)
			if err := os.Rename(p, p+CorruptSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("moving the corrupt %s aside: %w", p, err)
			}
		}
		return atomicfile.SyncDir(d.Path)
	}, "moved aside as *"+CorruptSuffix+"; rerun to train from step 0, or put back a copy of the directory")
}

// Read reads the newest checkpoint in path that verifies, without locking the directory or
// changing anything in it: one that does not verify is skipped with a warning through warn
// (nil: stderr). It returns nil when path holds no checkpoint. Readers of a trained network
// use it; a run that trains uses Open and Dir.Load.
func Read(path string, warn func(string)) (*Checkpoint, error) {
	if warn == nil {
		warn = (&Dir{}).warn
	}
	return newest(path, warn, nil, "rerun the training that wrote them to write them again")
}

// newest reads the checkpoints of path from the newest until one verifies, calling aside (when
// not nil) for each that does not, and warn once one does. hint says how to go on when none
// does.
func newest(path string, warn func(string), aside func(seq int) error, hint string) (*Checkpoint, error) {
	seqs, err := manifests(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint directory %s: %w", path, err)
	}
	var bad []string
	for _, seq := range seqs {
		c, err := readCheckpoint(path, seq)
		if err == nil {
			for _, b := range bad {
				warn(fmt.Sprintf("%s; using the older checkpoint %s (step %d) instead", b, c.File, c.Step))
			}
			return c, nil
		}
		what := fmt.Sprintf("checkpoint %s is unusable (%v)", filepath.Join(path, manifestName(seq)), err)
		if aside != nil {
			if err := aside(seq); err != nil {
				return nil, err
			}
			what += ", moved aside as " + manifestName(seq) + CorruptSuffix
		}
		bad = append(bad, what)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("checkpoint directory %s: no checkpoint verifies: %s; %s", path, strings.Join(bad, "; "), hint)
	}
	return nil, nil
}

// readCheckpoint reads and verifies checkpoint seq of path: its manifest parses, and its data
// file has the manifest's size and SHA-256.
func readCheckpoint(path string, seq int) (*Checkpoint, error) {
	file := filepath.Join(path, manifestName(seq))
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(path, dataName(seq)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() != m.Size {
		return nil, fmt.Errorf("its data file %s has %d bytes, the manifest says %d", dataName(seq), st.Size(), m.Size)
	}
	h := sha256.New()
	r := io.TeeReader(bufio.NewReaderSize(f, 1<<20), h)
	c := &Checkpoint{Manifest: m, File: file, values: make([]*tensors.Tensor, len(m.Variables))}
	for i, v := range m.Variables {
		t := tensors.FromShape(shapes.Make(storable[v.DType], v.Dims...))
		var rerr error
		if err := t.MutableBytes(func(b []byte) { _, rerr = io.ReadFull(r, b) }); err != nil {
			return nil, err
		}
		if rerr != nil {
			return nil, fmt.Errorf("reading %s/%s from %s: %w", v.Scope, v.Name, dataName(seq), rerr)
		}
		c.values[i] = t
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != m.SHA256 {
		return nil, fmt.Errorf("its data file %s has SHA-256 %s, the manifest says %s", dataName(seq), sum, m.SHA256)
	}
	return c, nil
}

// Apply puts every variable of c into ctx at once, with its trainable flag: a variable ctx
// has takes the saved value, one it lacks is created. It fails, leaving ctx as it was, when a
// variable of ctx has another shape than the saved one. A checkpoint is applied once: ctx
// takes its values.
func (c *Checkpoint) Apply(ctx *context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("loading variables: %v", r)
		}
	}()
	if c.values == nil {
		return fmt.Errorf("checkpoint %s was already applied to a context", c.File)
	}
	ctx = ctx.Checked(false)
	have := make([]*context.Variable, len(c.Variables))
	for i, v := range c.Variables {
		x := ctx.GetVariableByScopeAndName(v.Scope, v.Name)
		if x != nil && !x.Shape().Equal(c.values[i].Shape()) {
			return fmt.Errorf("variable %s/%s is %s in the checkpoint and %s in the run's network", v.Scope, v.Name, c.values[i].Shape(), x.Shape())
		}
		have[i] = x
	}
	for i, v := range c.Variables {
		x := have[i]
		if x == nil {
			x = ctx.InAbsPath(v.Scope).VariableWithValue(v.Name, c.values[i])
		} else if err := x.SetValue(c.values[i]); err != nil {
			return fmt.Errorf("variable %s/%s: %w", v.Scope, v.Name, err)
		}
		x.SetTrainable(v.Trainable)
	}
	c.values = nil
	return nil
}
