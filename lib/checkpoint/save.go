package checkpoint

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/killpoint"
)

// metricsScope holds the variables of GoMLX's training metrics.
const metricsScope = "/" + metrics.Scope

// NonFiniteError refuses to save a variable holding NaN or ±Inf: a diverged run.
type NonFiniteError struct {
	Variable string  // scope and name
	Index    int     // of the first non-finite element
	Value    float64 // NaN or ±Inf
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("variable %s holds %v (element %d)", e.Variable, e.Value, e.Index)
}

// Save writes the variables of ctx as a new checkpoint at global step step, then prunes all but
// the newest d.Keep. Nothing is written when a float variable holds NaN or ±Inf (the error is a
// *NonFiniteError) or a variable has no value.
//
// The variables of GoMLX's training metrics (under /metrics) are left out: they are running
// displays of the loss that change no result, and every trainer names its own with a random
// UUID, so a resumed run would only pile up those of the runs before it.
//
// The variables are written in the order of their scope and name, not in the order ctx
// created them, which differs in a resumed run (a variable read from a checkpoint exists
// before the graph asks for it): equal states give equal files.
func (d *Dir) Save(ctx *context.Context, step int, phase Phase) (Manifest, error) {
	if d == nil || d.lock == nil {
		return Manifest{}, errors.New("checkpoint: saving into a directory that is not open")
	}
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if !isMetric(v.Scope()) {
			vars = append(vars, v)
		}
	}
	slices.SortFunc(vars, func(a, b *context.Variable) int {
		return cmp.Or(strings.Compare(a.Scope(), b.Scope()), strings.Compare(a.Name(), b.Name()))
	})
	var values []*tensors.Tensor
	m := Manifest{Format: Format, Step: int64(step), Phase: phase}
	for _, v := range vars {
		t, err := v.Value()
		if err != nil {
			return Manifest{}, fmt.Errorf("checkpoint: %w", err)
		}
		dt := t.Shape().DType
		if _, ok := storable[dt.String()]; !ok {
			return Manifest{}, fmt.Errorf("checkpoint: variable %s has dtype %s, which a checkpoint does not hold", v.ScopeAndName(), dt)
		}
		if err := CheckFinite(v.ScopeAndName(), t); err != nil {
			return Manifest{}, err
		}
		length := int64(t.Shape().Memory())
		m.Variables = append(m.Variables, Variable{Scope: v.Scope(), Name: v.Name(), DType: dt.String(),
			Dims: append([]int{}, t.Shape().Dimensions...), Offset: m.Size, Length: length, Trainable: v.Trainable})
		m.Size += length
		values = append(values, t)
	}
	if !d.originSaved {
		if err := WriteJSON(filepath.Join(d.Path, OriginFile), d.origin); err != nil {
			return Manifest{}, fmt.Errorf("checkpoint: recording the run's origin in %s: %w", d.Path, err)
		}
		d.originSaved = true
	}
	seq, err := d.nextSeq()
	if err != nil {
		return Manifest{}, fmt.Errorf("checkpoint: %w", err)
	}
	sum, err := d.writeData(dataName(seq), m.Size, values)
	if err != nil {
		return Manifest{}, fmt.Errorf("checkpoint: writing %s: %w", filepath.Join(d.Path, dataName(seq)), err)
	}
	killpoint.Hit("checkpoint: data synced")
	m.SHA256 = sum
	raw, err := m.encode()
	if err != nil {
		return Manifest{}, fmt.Errorf("checkpoint: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(d.Path, manifestName(seq)), func(w io.Writer) error {
		_, err := w.Write(raw)
		return err
	}); err != nil {
		return Manifest{}, fmt.Errorf("checkpoint: writing the manifest %s: %w", filepath.Join(d.Path, manifestName(seq)), err)
	}
	killpoint.Hit("checkpoint: manifest renamed")
	if err := d.prune(); err != nil {
		return m, fmt.Errorf("checkpoint: %w", err)
	}
	return m, nil
}

// writeData writes the values one after another into the data file name (size bytes in all),
// through a synced temporary file, and returns their SHA-256.
func (d *Dir) writeData(name string, size int64, values []*tensors.Tensor) (string, error) {
	h := sha256.New()
	err := atomicfile.Write(filepath.Join(d.Path, name), func(f io.Writer) error {
		w := &halfway{buf: bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20), half: size / 2}
		for _, t := range values {
			var werr error
			if err := t.ConstBytes(func(b []byte) { werr = w.write(b) }); err != nil {
				return err
			}
			if werr != nil {
				return werr
			}
		}
		return w.buf.Flush()
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// halfway writes through a buffer and marks the kill point "checkpoint: data half written"
// once half of the data is in the file.
type halfway struct {
	buf        *bufio.Writer
	half, done int64
}

func (h *halfway) write(b []byte) error {
	if h.done >= h.half || h.done+int64(len(b)) < h.half {
		h.done += int64(len(b))
		_, err := h.buf.Write(b)
		return err
	}
	first := h.half - h.done
	if _, err := h.buf.Write(b[:first]); err != nil {
		return err
	}
	if err := h.buf.Flush(); err != nil {
		return err
	}
	killpoint.Hit("checkpoint: data half written")
	h.done += int64(len(b))
	_, err := h.buf.Write(b[first:])
	return err
}

// prune removes all but the newest d.Keep checkpoints, each manifest before its data, so that
// a prune cut short leaves no manifest without its data; then data files without a manifest
// (from a save killed before its manifest).
func (d *Dir) prune() error {
	keep := d.Keep
	if keep < 1 {
		keep = DefaultKeep
	}
	seqs, err := manifests(d.Path)
	if err != nil {
		return err
	}
	kept := map[int]bool{}
	for i, s := range seqs {
		if i < keep {
			kept[s] = true
			continue
		}
		if err := removeIfThere(filepath.Join(d.Path, manifestName(s))); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if s, ok := seqOf(e.Name()); ok && e.Name() == dataName(s) && !kept[s] {
			if err := removeIfThere(filepath.Join(d.Path, e.Name())); err != nil {
				return err
			}
		}
	}
	return atomicfile.SyncDir(d.Path)
}

func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// CheckFinite returns a *NonFiniteError naming the variable name for the first NaN or ±Inf
// of a float tensor, nil for a finite or non-float one.
func CheckFinite(name string, t *tensors.Tensor) error {
	first, value := -1, 0.0
	var err error
	switch dt := t.Shape().DType; dt {
	case dtypes.Float32:
		err = tensors.ConstFlatData(t, func(xs []float32) {
			for i, x := range xs {
				if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
					first, value = i, f
					return
				}
			}
		})
	case dtypes.Float64:
		err = tensors.ConstFlatData(t, func(xs []float64) {
			for i, x := range xs {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					first, value = i, x
					return
				}
			}
		})
	case dtypes.Float16, dtypes.BFloat16:
		// Both are NaN or ±Inf exactly when their exponent bits are all ones.
		exp, sign := uint16(0x7c00), uint16(0x8000)
		if dt == dtypes.BFloat16 {
			exp = 0x7f80
		}
		err = t.ConstBytes(func(b []byte) {
			for i := 0; i+1 < len(b); i += 2 {
				if u := binary.LittleEndian.Uint16(b[i:]); u&exp == exp {
					first, value = i/2, math.Inf(1)
					if u&sign != 0 {
						value = math.Inf(-1)
					}
					if u&^(exp|sign) != 0 {
						value = math.NaN()
					}
					return
				}
			}
		})
	}
	if err != nil {
		return fmt.Errorf("checkpoint: reading %s: %w", name, err)
	}
	if first >= 0 {
		return &NonFiniteError{Variable: name, Index: first, Value: value}
	}
	return nil
}

// WriteJSON writes v as indented JSON to path atomically (see Dir.Save): a run that keeps a
// description beside its checkpoints writes it so.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}
