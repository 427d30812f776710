package xlabackend

import (
	"reflect"
	"testing"

	"github.com/metric-transfer/mtlp/lib/errtest"
)

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want map[string]any
		err  string
	}{
		{"empty", "", map[string]any{}, ""},
		{"blanks", " , ", map[string]any{}, ""},
		{"the GPU-sharing ones", "preallocate=false, memory_fraction=0.3", map[string]any{"preallocate": false, "memory_fraction": float32(0.3)}, ""},
		{"an int and a string", "collective_memory_size=1024,allocator=platform", map[string]any{"collective_memory_size": int64(1024), "allocator": "platform"}, ""},
		{"true", "preallocate=true", map[string]any{"preallocate": true}, ""},
		{"a whole fraction", "memory_fraction=1", map[string]any{"memory_fraction": float32(1)}, ""},
		{"a fraction too large", "memory_fraction=1.5", nil, "want a fraction in (0, 1]"},
		{"one device", "visible_devices=0", map[string]any{"visible_devices": []int64{0}}, ""},
		{"two devices", "visible_devices=0;1", map[string]any{"visible_devices": []int64{0, 1}}, ""},
		{"a bad device", "visible_devices=0;x", nil, "device numbers separated by semicolons"},
		{"a huge number stays text", "x=1e99", map[string]any{"x": "1e99"}, ""},
		{"no value", "preallocate", nil, `"preallocate": want name=value`},
		{"empty value", "preallocate=", nil, "want name=value"},
		{"no name", "=1", nil, "want name=value"},
		{"twice", "preallocate=false,preallocate=true", nil, `"preallocate" given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseOptions(tc.in)
			if errtest.Want(t, err, tc.err) {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseOptions(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}
