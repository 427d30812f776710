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
)

// npyMagic opens every .npy file: "\x93NUMPY", then the major and minor version bytes.
var npyMagic = []byte("\x93NUMPY")

// MaxNPYBytes bounds the size of a .npy file ReadNPY accepts (16 GiB), so a corrupt size
// cannot make it allocate without limit.
const MaxNPYBytes = 16 << 30

// ReadNPY reads an N×D float32 NumPy array in C order, as np.save(f, x.astype(np.float32))
// writes it, into a Matrix. Other dtypes, other ranks, Fortran order, a header that does
// not match the data size, or an empty array return an error saying what to change.
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
	if dtype != "<f4" && dtype != ">f4" {
		return propagate.Matrix{}, fmt.Errorf("dtype is %s; want float32 ('<f4'): save x.astype(np.float32)", descr.Type)
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
	if int64(n) > int64(br.Len())/4/int64(d) || int64(br.Len()) != int64(n)*int64(d)*4 {
		return propagate.Matrix{}, fmt.Errorf("header says shape (%d, %d), %d float32 bytes, but %d data bytes follow; the file is truncated or corrupt", n, d, int64(n)*int64(d)*4, br.Len())
	}
	m := propagate.NewMatrix(n, d)
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
