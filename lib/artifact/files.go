package artifact

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/metric-transfer/mtlp/lib/atomicfile"
)

// WriteJSON writes v as indented JSON to path, atomically (atomicfile.WriteFile).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// ReadJSON reads JSON from path into v.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

// WriteFloat32s writes a rows×cols float32 matrix as little-endian: two uint64 dimensions, then
// data; atomically (atomicfile.WriteFile).
func WriteFloat32s(path string, data []float32, rows, cols int) error {
	if rows < 0 || cols < 0 || rows*cols != len(data) {
		return fmt.Errorf("writing %s: %d values is not %d×%d", path, len(data), rows, cols)
	}
	buf := make([]byte, 16+4*len(data))
	binary.LittleEndian.PutUint64(buf, uint64(rows))
	binary.LittleEndian.PutUint64(buf[8:], uint64(cols))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[16+4*i:], math.Float32bits(v))
	}
	return atomicfile.WriteFile(path, buf)
}

// ReadFloat32s reads a matrix written by WriteFloat32s.
func ReadFloat32s(path string) (data []float32, rows, cols int, err error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, 0, err
	}
	return parseFloat32s(path, buf)
}

// parseFloat32s decodes the contents of the file name, written by WriteFloat32s.
func parseFloat32s(name string, buf []byte) (data []float32, rows, cols int, err error) {
	if len(buf) < 16 {
		return nil, 0, 0, fmt.Errorf("reading %s: truncated header (%d bytes); remove the file, or the cache entry holding it, to compute it again", name, len(buf))
	}
	r, c := binary.LittleEndian.Uint64(buf), binary.LittleEndian.Uint64(buf[8:])
	// Both below 2³¹, 4·r·c stays below 2⁶⁴.
	if r > math.MaxInt32 || c > math.MaxInt32 || uint64(len(buf)-16) != 4*r*c {
		return nil, 0, 0, fmt.Errorf("reading %s: %d bytes of data do not hold a %d×%d float32 matrix; remove the file, or the cache entry holding it, to compute it again", name, len(buf)-16, r, c)
	}
	data = make([]float32, r*c)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[16+4*i:]))
	}
	return data, int(r), int(c), nil
}
