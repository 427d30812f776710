package featio

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/metric-transfer/mtlp/lib/propagate"
)

// npyBytes writes v with npyio's own writer, the independent reference for ReadNPY.
func npyBytes(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := npy.Write(&buf, v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawNPY builds a version 1.0 .npy file by hand, for headers npyio's writer never produces.
func rawNPY(dict string, data []byte) []byte {
	hdr := dict + strings.Repeat(" ", 63-(10+len(dict))%64) + "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
	return append(append(out, hdr...), data...)
}

func TestReadNPYRoundTrip(t *testing.T) {
	rows := [][]float32{{1, 2, 3}, {-4, 5.5, 0}}
	for _, name := range []string{"npyio writer", "WriteNPY"} {
		var raw []byte
		if name == "npyio writer" {
			raw = npyBytes(t, rows)
		} else {
			var buf bytes.Buffer
			m := propagate.Matrix{N: 2, D: 3, Data: slices.Concat(rows...)}
			if err := WriteNPY(&buf, m); err != nil {
				t.Fatal(err)
			}
			raw = buf.Bytes()
		}
		m, err := ReadNPY(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.N != 2 || m.D != 3 || !slices.Equal(m.Data, slices.Concat(rows...)) {
			t.Errorf("%s: read %d×%d %v", name, m.N, m.D, m.Data)
		}
	}
}

func TestReadNPYErrors(t *testing.T) {
	good := npyBytes(t, [][]float32{{1, 2}, {3, 4}})
	body := good[len(good)-16:]
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"not npy", []byte("index,label\n1,2\n"), "not a NumPy"},
		{"float64", npyBytes(t, [][]float64{{1, 2}, {3, 4}}), "want float32"},
		{"int32", npyBytes(t, [][]int32{{1, 2}, {3, 4}}), "want float32"},
		{"rank 1", npyBytes(t, []float32{1, 2, 3}), "rank 1"},
		{"rank 3", npyBytes(t, [][][]float32{{{1}, {2}}, {{3}, {4}}}), "rank 3"},
		{"big-endian", rawNPY("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1), }", []byte{0x3f, 0x80, 0, 0}), ""},
		{"hand-made good", rawNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", body), ""},
		{"zero rows", rawNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }", nil), "shape (0, 2)"},
		{"fortran", rawNPY("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", body), "Fortran order"},
		{"bad order", rawNPY("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2), }", body), "malformed"},
		{"bad shape", rawNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", body), "malformed"},
		{"huge shape", rawNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", body), "truncated"},
		{"no newline", append([]byte("\x93NUMPY\x01\x00\x02\x00{}"), body...), "not a dictionary"},
		{"truncated data", good[:len(good)-3], "truncated"},
		{"extra data", append(slices.Clone(good), 0, 0, 0, 0), "corrupt"},
		{"truncated header", good[:20], "truncated"},
		{"version 9", append([]byte("\x93NUMPY\x09\x00"), good[8:]...), "version 9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNPY(bytes.NewReader(tc.raw))
			if tc.want == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want it to mention %q", err, tc.want)
			}
		})
	}
}

func FuzzReadNPY(f *testing.F) {
	f.Add(npyBytes(f, [][]float32{{1, 2}, {3, 4}}))
	f.Add(npyBytes(f, [][]float64{{1}}))
	f.Add(npyBytes(f, []float32{1, 2, 3}))
	f.Add(npyBytes(f, [][][]float32{{{1}}}))
	f.Add([]byte("\x93NUMPY\x01\x00\x04\x00{}\n\n"))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"))
	f.Add([]byte("\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'shape': (9999999999, 99999), 'fortran_order': False}\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ReadNPY(bytes.NewReader(raw))
		if err == nil && (m.N <= 0 || m.D <= 0 || len(m.Data) != m.N*m.D) {
			t.Errorf("accepted an inconsistent matrix %d×%d with %d values", m.N, m.D, len(m.Data))
		}
	})
}

func BenchmarkReadNPY10k(b *testing.B) {
	m := propagate.NewMatrix(10000, 128)
	for i := range m.Data {
		m.Data[i] = float32(i % 97)
	}
	var buf bytes.Buffer
	if err := WriteNPY(&buf, m); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := ReadNPY(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
