package featio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/metric-transfer/mtlp/lib/propagate"
	"github.com/x448/float16"
)

// npyMagic opens every .npy file: "\x93NUMPY", then the major and minor version bytes.
var npyMagic = []byte("\x93NUMPY")

// MaxNPYBytes bounds the size of a .npy file ReadNPY accepts (16 GiB), so a corrupt size
// cannot make it allocate without limit.
const MaxNPYBytes = 16 << 30

// ReadNPY reads an N×D float32 NumPy array in C order, as np.save(f, x.astype(np.float32))
// writes it, into a Matrix; a little-endian float16 array (as WriteNPY16 writes) is widened to
// float32. Other dtypes, other ranks, Fortran order, a header that does not match the data
// size, or an empty array return an error saying what to change.
func ReadNPY(r io.Reader) (propagate.Matrix, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxNPYBytes+1))
	if err != nil {
		return propagate.Matrix{}, err
	}
	if len(raw) > MaxNPYBytes {
		return propagate.Matrix{}, fmt.Errorf("larger than %d bytes", int64(MaxNPYBytes))
	}
	if len(raw) == 0 {
		return propagate.Matrix{}, fmt.Errorf("empty file; want a NumPy .npy array")
	}
	if err := checkPreamble(raw); err != nil {
		return propagate.Matrix{}, err
	}
	br := bytes.NewReader(raw)
	rr, err := newNPYReader(br)
	if err != nil {
		return propagate.Matrix{}, err
	}
	descr := rr.Header.Descr
	dtype := strings.Trim(strings.TrimSpace(descr.Type), `'"`)
	size := 4
	switch dtype {
	case "<f4", ">f4":
	case "<f2":
		size = 2
	default:
		return propagate.Matrix{}, fmt.Errorf("dtype is %s; want float32 ('<f4') or float16 ('<f2'): save x.astype(np.float32)", descr.Type)
	}
	if descr.Fortran {
		return propagate.Matrix{}, fmt.Errorf("array is in Fortran order; save np.ascontiguousarray(x) instead")
	}
	if len(descr.Shape) != 2 {
		return propagate.Matrix{}, fmt.Errorf("array has shape %v (rank %d); want a 2-d N×D array, one feature row per example", descr.Shape, len(descr.Shape))
	}
	n, d := descr.Shape[0], descr.Shape[1]
	if n <= 0 || d <= 0 {
		return propagate.Matrix{}, fmt.Errorf("array has shape (%d, %d); want at least one row and one column", n, d)
	}
	if int64(n) > int64(br.Len())/int64(size)/int64(d) || int64(br.Len()) != int64(n)*int64(d)*int64(size) {
		return propagate.Matrix{}, fmt.Errorf("header says shape (%d, %d) of %s, %d bytes, but %d data bytes follow; the file is truncated or corrupt",
			n, d, dtype, int64(n)*int64(d)*int64(size), br.Len())
	}
	m := propagate.NewMatrix(n, d)
	if size == 2 {
		rest := raw[len(raw)-br.Len():]
		for i := range m.Data {
			m.Data[i] = float16.Frombits(binary.LittleEndian.Uint16(rest[2*i:])).Float32()
		}
		return m, nil
	}
	if err := readData(rr, &m.Data); err != nil {
		return propagate.Matrix{}, err
	}
	return m, nil
}

// checkPreamble validates the fixed-size start of a .npy file before npyio sees it, so that a
// header length larger than the file is an error rather than an allocation.
func checkPreamble(raw []byte) error {
	if len(raw) < len(npyMagic)+2 || !bytes.Equal(raw[:len(npyMagic)], npyMagic) {
		return fmt.Errorf("not a NumPy .npy file (no \\x93NUMPY magic); save the features with np.save")
	}
	var hdrLen, hdrStart int
	switch major := raw[6]; major {
	case 1:
		if len(raw) < 10 {
			return fmt.Errorf("truncated .npy header")
		}
		hdrLen, hdrStart = int(binary.LittleEndian.Uint16(raw[8:10])), 10
	case 2:
		if len(raw) < 12 {
			return fmt.Errorf("truncated .npy header")
		}
		hdrLen, hdrStart = int(binary.LittleEndian.Uint32(raw[8:12])), 12
	default:
		return fmt.Errorf(".npy format version %d.%d is not supported; save with np.save (version 1.0)", major, raw[7])
	}
	if hdrLen > len(raw)-hdrStart {
		return fmt.Errorf(".npy header claims %d bytes but the file has %d after the preamble; the file is truncated", hdrLen, len(raw)-hdrStart)
	}
	hdr := raw[hdrStart : hdrStart+hdrLen]
	if !bytes.HasSuffix(hdr, []byte("\n")) || !bytes.HasPrefix(bytes.TrimSpace(hdr), []byte("{")) {
		return fmt.Errorf(".npy header is not a dictionary ending in a newline; the file is corrupt")
	}
	return nil
}

// newNPYReader parses the header with npyio, turning its panics on malformed headers into errors.
func newNPYReader(r io.Reader) (rr *npy.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			rr, err = nil, fmt.Errorf("malformed .npy header: %v", p)
		}
	}()
	rr, err = npy.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("malformed .npy header: %w", err)
	}
	return rr, nil
}

// readData reads the array body with npyio into *data, which already has the right length.
func readData(rr *npy.Reader, data *[]float32) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed .npy data: %v", p)
		}
	}()
	if err := rr.Read(data); err != nil && err != io.EOF {
		return fmt.Errorf("reading .npy data: %w", err)
	}
	return nil
}

// ReadNPYFile reads path with ReadNPY; errors name the file.
func ReadNPYFile(path string) (propagate.Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return propagate.Matrix{}, err
	}
	defer f.Close()
	m, err := ReadNPY(f)
	if err != nil {
		return propagate.Matrix{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// WriteNPY16 writes m as an N×D little-endian float16 .npy array (C order), each value rounded
// to the nearest float16: half the size of WriteNPY's, for features whose entries lie in
// [−1, 1] (a relative error of at most 2^-11). A value beyond float16's range is an error.
func WriteNPY16(w io.Writer, m propagate.Matrix) error {
	if m.N <= 0 || m.D <= 0 || len(m.Data) != m.N*m.D {
		return fmt.Errorf("featio: WriteNPY16 needs a non-empty consistent matrix, got %d×%d with %d values", m.N, m.D, len(m.Data))
	}
	out := make([]byte, 2*len(m.Data))
	for i, v := range m.Data {
		h := float16.Fromfloat32(v)
		if h.IsInf(0) || h.IsNaN() {
			return fmt.Errorf("featio: value %v (row %d, column %d) has no float16", v, i/m.D, i%m.D)
		}
		binary.LittleEndian.PutUint16(out[2*i:], h.Bits())
	}
	if err := writeNPYHeader(w, "<f2", m.N, m.D); err != nil {
		return err
	}
	_, err := w.Write(out)
	return err
}

// WriteLabelsNPY writes labels as a 1-d little-endian int32 .npy array.
func WriteLabelsNPY(w io.Writer, labels []int32) error {
	out := make([]byte, 4*len(labels))
	for i, y := range labels {
		binary.LittleEndian.PutUint32(out[4*i:], uint32(y))
	}
	if err := writeNPYHeader(w, "<i4", len(labels)); err != nil {
		return err
	}
	_, err := w.Write(out)
	return err
}

// ReadLabelsNPY reads a 1-d little-endian int32 or int64 .npy array (np.save of integer labels)
// as int32 labels; a value outside int32 is an error.
func ReadLabelsNPY(r io.Reader) ([]int32, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxNPYBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxNPYBytes {
		return nil, fmt.Errorf("larger than %d bytes", int64(MaxNPYBytes))
	}
	if err := checkPreamble(raw); err != nil {
		return nil, err
	}
	br := bytes.NewReader(raw)
	rr, err := newNPYReader(br)
	if err != nil {
		return nil, err
	}
	descr := rr.Header.Descr
	dtype := strings.Trim(strings.TrimSpace(descr.Type), `'"`)
	size := map[string]int{"<i4": 4, "<i8": 8}[dtype]
	switch {
	case size == 0:
		return nil, fmt.Errorf("dtype is %s; want int32 ('<i4') or int64 ('<i8') labels", descr.Type)
	case len(descr.Shape) != 1:
		return nil, fmt.Errorf("array has shape %v; want a 1-d array of labels", descr.Shape)
	case int64(br.Len()) != int64(descr.Shape[0])*int64(size):
		return nil, fmt.Errorf("header says %d labels of %s, %d bytes, but %d data bytes follow; the file is truncated or corrupt",
			descr.Shape[0], dtype, int64(descr.Shape[0])*int64(size), br.Len())
	}
	rest := raw[len(raw)-br.Len():]
	labels := make([]int32, descr.Shape[0])
	for i := range labels {
		if size == 4 {
			labels[i] = int32(binary.LittleEndian.Uint32(rest[4*i:]))
			continue
		}
		v := int64(binary.LittleEndian.Uint64(rest[8*i:]))
		if v != int64(int32(v)) {
			return nil, fmt.Errorf("label %d of row %d is outside int32", v, i)
		}
		labels[i] = int32(v)
	}
	return labels, nil
}

// writeNPYHeader writes the preamble and header (format 1.0) of a C-order array of dtype
// descr and shape.
func writeNPYHeader(w io.Writer, descr string, shape ...int) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	// The preamble (10 bytes) and the header, padded with spaces and ended by a newline, fill a
	// multiple of 64 bytes.
	pad := 64 - (10+len(hdr)+1)%64
	hdr += strings.Repeat(" ", pad%64) + "\n"
	var pre [10]byte
	copy(pre[:], npyMagic)
	pre[6], pre[7] = 1, 0
	binary.LittleEndian.PutUint16(pre[8:], uint16(len(hdr)))
	if _, err := w.Write(pre[:]); err != nil {
		return err
	}
	_, err := io.WriteString(w, hdr)
	return err
}

// WriteNPY writes m as an N×D little-endian float32 .npy array (C order).
func WriteNPY(w io.Writer, m propagate.Matrix) error {
	if m.N <= 0 || m.D <= 0 || len(m.Data) != m.N*m.D {
		return fmt.Errorf("featio: WriteNPY needs a non-empty consistent matrix, got %d×%d with %d values", m.N, m.D, len(m.Data))
	}
	rows := make([][]float32, m.N)
	for i := range rows {
		rows[i] = m.Row(i)
	}
	return npy.Write(w, rows)
}
