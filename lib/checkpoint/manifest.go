package checkpoint

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// Format tags every manifest; a manifest with another tag is not read.
const Format = "mtlp-checkpoint/1"

// Phase says how far the run had got when a checkpoint was saved.
type Phase string

const (
	// Training is a checkpoint saved during training: a run resumes training from it.
	Training Phase = "training"
	// Trained is saved when training has ended, after all its steps or when its time budget
	// ran out: a run goes on from it with the passes that follow training, and trains no more.
	Trained Phase = "trained"
	// Final is saved after the passes that follow training (the batch-norm statistics): a run
	// that finds it has nothing left to do, and a reader of the trained network wants it.
	Final Phase = "final"
)

// Manifest describes one checkpoint.
type Manifest struct {
	Format string `json:"format"`
	// Step is the global step (optimisation steps done) of the saved variables.
	Step  int64 `json:"step"`
	Phase Phase `json:"phase"`
	// Size and SHA256 are the data file's length in bytes and hex SHA-256.
	Size      int64      `json:"size"`
	SHA256    string     `json:"sha256"`
	Variables []Variable `json:"variables"`
}

// Variable is where one variable's value lies in the data file.
type Variable struct {
	Scope     string `json:"scope"`
	Name      string `json:"name"`
	DType     string `json:"dtype"`
	Dims      []int  `json:"dims"`
	Offset    int64  `json:"offset"`
	Length    int64  `json:"length"`
	Trainable bool   `json:"trainable"`
}

// storable are the dtypes a checkpoint holds, by name: those with a whole number of bytes per
// element, so that a variable's length follows from its dimensions.
var storable = func() map[string]dtypes.DType {
	m := map[string]dtypes.DType{}
	for _, dt := range []dtypes.DType{dtypes.Bool, dtypes.Int8, dtypes.Int16, dtypes.Int32, dtypes.Int64,
		dtypes.Uint8, dtypes.Uint16, dtypes.Uint32, dtypes.Uint64,
		dtypes.Float16, dtypes.BFloat16, dtypes.Float32, dtypes.Float64} {
		m[dt.String()] = dt
	}
	return m
}()

// ParseManifest decodes and checks a manifest: the format tag, the phase, a SHA-256 in hex,
// and variables with valid scopes, names and dtypes whose lengths match their dimensions and
// that tile the data file from offset 0 to Size without gaps. It never panics, whatever the
// input.
func ParseManifest(raw []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("decoding the manifest: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Manifest{}, errors.New("decoding the manifest: data after the JSON object")
	}
	if err := m.check(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func (m Manifest) check() error {
	switch {
	case m.Format != Format:
		return fmt.Errorf("manifest format %q, want %q", m.Format, Format)
	case m.Phase != Training && m.Phase != Trained && m.Phase != Final:
		return fmt.Errorf("manifest phase %q, want %q, %q or %q", m.Phase, Training, Trained, Final)
	case m.Step < 0:
		return fmt.Errorf("manifest step %d is negative", m.Step)
	case m.Size < 0:
		return fmt.Errorf("manifest data size %d is negative", m.Size)
	}
	if b, err := hex.DecodeString(m.SHA256); err != nil || len(b) != 32 || strings.ToLower(m.SHA256) != m.SHA256 {
		return fmt.Errorf("manifest SHA-256 %q is not 64 lower-case hex digits", m.SHA256)
	}
	seen := map[[2]string]bool{}
	var offset int64
	for i, v := range m.Variables {
		if err := v.check(offset); err != nil {
			return fmt.Errorf("manifest variable %d (%s/%s): %w", i, v.Scope, v.Name, err)
		}
		key := [2]string{v.Scope, v.Name}
		if seen[key] {
			return fmt.Errorf("manifest variable %d: %s/%s appears twice", i, v.Scope, v.Name)
		}
		seen[key] = true
		offset += v.Length
	}
	if offset != m.Size {
		return fmt.Errorf("manifest variables cover %d bytes of a %d-byte data file", offset, m.Size)
	}
	return nil
}

// check checks one variable that should start at offset.
func (v Variable) check(offset int64) error {
	if !validScope(v.Scope) {
		return fmt.Errorf("scope %q: want \"/\" or /-separated non-empty parts", v.Scope)
	}
	if v.Name == "" || strings.Contains(v.Name, "/") {
		return fmt.Errorf("name %q: want a non-empty name without /", v.Name)
	}
	dt, ok := storable[v.DType]
	if !ok {
		return fmt.Errorf("dtype %q is not one a checkpoint holds", v.DType)
	}
	n := int64(dt.Size())
	for _, d := range v.Dims {
		if d < 0 {
			return fmt.Errorf("negative dimension in %v", v.Dims)
		}
		if d > 0 && n > math.MaxInt64/int64(d) {
			return fmt.Errorf("dimensions %v overflow", v.Dims)
		}
		n *= int64(d)
	}
	switch {
	case v.Length != n:
		return fmt.Errorf("length %d, want %d for %s%v", v.Length, n, v.DType, v.Dims)
	case v.Offset != offset:
		return fmt.Errorf("offset %d, want %d (variables are stored one after another)", v.Offset, offset)
	case offset > math.MaxInt64-n:
		return errors.New("offset overflows")
	}
	return nil
}

// validScope reports whether s is a GoMLX absolute scope: "/", or "/a/b" with non-empty parts.
func validScope(s string) bool {
	if s == "/" {
		return true
	}
	if !strings.HasPrefix(s, "/") {
		return false
	}
	for _, part := range strings.Split(s[1:], "/") {
		if part == "" {
			return false
		}
	}
	return true
}

// encode returns the manifest as indented JSON.
func (m Manifest) encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
