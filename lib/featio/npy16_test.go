package featio

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// TestReadNPYFloat16 reads a float16 file built by hand from known bit patterns: 1, −2, 0.5,
// the largest float16 (65504) and the smallest subnormal (2^-24).
func TestReadNPYFloat16(t *testing.T) {
	bits := []uint16{0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0000}
	want := []float32{1, -2, 0.5, 65504, float32(math.Ldexp(1, -24)), 0}
	data := make([]byte, 2*len(bits))
	for i, b := range bits {
		binary.LittleEndian.PutUint16(data[2*i:], b)
	}
	m, err := ReadNPY(bytes.NewReader(rawNPY("{'descr': '<f2', 'fortran_order': False, 'shape': (3, 2), }", data)))
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 3 || m.D != 2 || !slices.Equal(m.Data, want) {
		t.Errorf("read %d×%d %v, want 3×2 %v", m.N, m.D, m.Data, want)
	}
	if _, err := ReadNPY(bytes.NewReader(rawNPY("{'descr': '<f2', 'fortran_order': False, 'shape': (3, 2), }", data[:10]))); err == nil ||
		!strings.Contains(err.Error(), "truncated") {
		t.Errorf("a truncated float16 file: %v, want an error saying so", err)
	}
}

// TestWriteNPY16 writes features as float16 and reads them back: values float16 holds come
// back exactly, others within its relative precision 2^-11; values beyond its range are
// refused.
func TestWriteNPY16(t *testing.T) {
	in := []float32{1, -0.25, 0.1, -0.7071, 1e-3, 0.333333}
	var buf bytes.Buffer
	if err := WriteNPY16(&buf, propagate.Matrix{N: 2, D: 3, Data: in}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 128+2*len(in) {
		t.Errorf("file of %d bytes, want a 128-byte preamble and header, then %d data bytes", buf.Len(), 2*len(in))
	}
	m, err := ReadNPY(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 2 || m.D != 3 {
		t.Fatalf("read %d×%d, want 2×3", m.N, m.D)
	}
	for i, v := range in {
		if d := math.Abs(float64(m.Data[i] - v)); d > math.Abs(float64(v))*math.Ldexp(1, -11) {
			t.Errorf("value %d: read %v for %v", i, m.Data[i], v)
		}
		if (v == 1 || v == -0.25) && m.Data[i] != v {
			t.Errorf("value %d: %v, which float16 holds, read as %v", i, v, m.Data[i])
		}
	}
	if err := WriteNPY16(&bytes.Buffer{}, propagate.Matrix{N: 1, D: 1, Data: []float32{1e6}}); err == nil {
		t.Error("1e6 was written as float16")
	}
}

// TestLabelsNPY checks WriteLabelsNPY against npyio's reader, and ReadLabelsNPY against npyio's
// writer of int32 and int64 (NumPy's default integer) arrays.
func TestLabelsNPY(t *testing.T) {
	labels := []int32{3, 0, 9, 1}
	var buf bytes.Buffer
	if err := WriteLabelsNPY(&buf, labels); err != nil {
		t.Fatal(err)
	}
	var got []int32
	if err := npy.Read(bytes.NewReader(buf.Bytes()), &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, labels) {
		t.Errorf("npyio reads %v, want %v", got, labels)
	}
	for _, v := range []any{labels, []int64{3, 0, 9, 1}} {
		got, err := ReadLabelsNPY(bytes.NewReader(npyBytes(t, v)))
		if err != nil || !slices.Equal(got, labels) {
			t.Errorf("ReadLabelsNPY of %T: %v (%v), want %v", v, got, err, labels)
		}
	}
	for name, raw := range map[string][]byte{
		"float":        npyBytes(t, []float32{1, 2}),
		"2-d":          npyBytes(t, [][]int32{{1, 2}}),
		"beyond int32": npyBytes(t, []int64{1 << 40}),
		"truncated":    buf.Bytes()[:buf.Len()-2],
	} {
		if _, err := ReadLabelsNPY(bytes.NewReader(raw)); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
}
