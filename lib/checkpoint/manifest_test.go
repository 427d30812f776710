package checkpoint

import (
	"reflect"
	"strings"
	"testing"
)

// validManifest is a manifest that ParseManifest accepts: a 2×3 float32 matrix and an int64
// scalar in the root scope, 32 bytes in all.
const validManifest = `{
  "format": "mtlp-checkpoint/1",
  "step": 12,
  "phase": "training",
  "size": 32,
  "sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  "variables": [
    {"scope": "/metric/dense", "name": "weights", "dtype": "Float32", "dims": [2, 3], "offset": 0, "length": 24, "trainable": true},
    {"scope": "/", "name": "global_step", "dtype": "Int64", "dims": [], "offset": 24, "length": 8, "trainable": false}
  ]
}`

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest([]byte(validManifest))
	if err != nil {
		t.Fatal(err)
	}
	want := Manifest{Format: Format, Step: 12, Phase: Training, Size: 32,
		SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Variables: []Variable{
			{Scope: "/metric/dense", Name: "weights", DType: "Float32", Dims: []int{2, 3}, Offset: 0, Length: 24, Trainable: true},
			{Scope: "/", Name: "global_step", DType: "Int64", Dims: []int{}, Offset: 24, Length: 8},
		}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("parsed %+v\nwant %+v", m, want)
	}
}

func TestParseManifestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"format", `"mtlp-checkpoint/1"`, `"mtlp-checkpoint/2"`, "format"},
		{"phase", `"training"`, `"done"`, "phase"},
		{"step", `"step": 12`, `"step": -1`, "step"},
		{"short hash", `"0123456789abcdef0123`, `"0123`, "SHA-256"},
		{"upper-case hash", `"0123456789abcdef0123`, `"0123456789ABCDEF0123`, "SHA-256"},
		{"size", `"size": 32`, `"size": 33`, "cover 32 bytes of a 33-byte"},
		{"negative size", `"size": 32`, `"size": -32`, "negative"},
		{"relative scope", `"/metric/dense"`, `"metric/dense"`, "scope"},
		{"empty scope part", `"/metric/dense"`, `"/metric//dense"`, "scope"},
		{"name with slash", `"weights"`, `"dense/weights"`, "name"},
		{"empty name", `"weights"`, `""`, "name"},
		{"dtype", `"Float32"`, `"Float8"`, "dtype"},
		{"length", `"length": 24`, `"length": 20`, "length 20, want 24"},
		{"gap", `"offset": 24`, `"offset": 28`, "offset 28, want 24"},
		{"negative dimension", `[2, 3]`, `[-2, -3]`, "negative dimension"},
		{"overflow", `[2, 3]`, `[4611686018427387904, 4]`, "overflow"},
		{"duplicate", `"/", "name": "global_step"`, `"/metric/dense", "name": "weights"`, "twice"},
		{"unknown field", `"step": 12`, `"step": 12, "params": {}`, "unknown field"},
		{"trailing data", "}\n  ]\n}", "}\n  ]\n} {}", "after the JSON"},
		{"not JSON", `{`, `[`, "decoding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := strings.Replace(validManifest, tc.old, tc.new, 1)
			if raw == validManifest {
				t.Fatalf("the edit %q → %q changed nothing", tc.old, tc.new)
			}
			_, err := ParseManifest([]byte(raw))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// FuzzParseManifest holds ParseManifest to never panicking, and to accepting only manifests
// whose variables tile the data file, which encode and parse back to themselves.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(validManifest))
	f.Add([]byte(strings.Replace(validManifest, `"training"`, `"final"`, 1)))
	f.Add([]byte(strings.Replace(validManifest, `"training"`, `"trained"`, 1)))
	f.Add([]byte(`{"format":"mtlp-checkpoint/1","step":0,"phase":"final","size":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","variables":[]}`))
	f.Add([]byte(`{"variables":[{"dims":[1e400]}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseManifest(raw)
		if err != nil {
			return
		}
		var end int64
		for _, v := range m.Variables {
			if v.Offset != end || v.Length < 0 {
				t.Fatalf("accepted variable %+v at offset %d", v, end)
			}
			end += v.Length
		}
		if end != m.Size {
			t.Fatalf("accepted variables covering %d of %d bytes", end, m.Size)
		}
		enc, err := m.encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseManifest(enc)
		if err != nil {
			t.Fatalf("re-encoded manifest rejected: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip changed the manifest:\n%+v\n%+v", m, back)
		}
	})
}
