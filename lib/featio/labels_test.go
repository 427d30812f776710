package featio

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestReadLabelsCSV(t *testing.T) {
	l, err := ReadLabelsCSV(strings.NewReader("index,label\n3,1\n0,0\n\n7, 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Index, []int{3, 0, 7}) || !slices.Equal(l.Class, []int32{1, 0, 2}) || !slices.Equal(l.Line, []int{2, 3, 5}) {
		t.Errorf("got %+v", l)
	}
	var buf bytes.Buffer
	if err := WriteLabelsCSV(&buf, l); err != nil {
		t.Fatal(err)
	}
	back, err := ReadLabelsCSV(&buf)
	if err != nil || !slices.Equal(back.Index, l.Index) || !slices.Equal(back.Class, l.Class) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestReadLabelsCSVErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"header only", "index,label\n", "no label rows"},
		{"bad header", "idx,label\n0,1\n", `line 1: header is "idx,label"`},
		{"three columns header", "index,label,x\n0,1,2\n", "line 1: header"},
		{"non-integer index", "index,label\n0,1\nabc,1\n", `line 3: index "abc"`},
		{"float label", "index,label\n0,1.5\n", `line 2: label "1.5"`},
		{"negative index", "index,label\n-1,0\n", `line 2: index "-1"`},
		{"negative label", "index,label\n1,-3\n", `line 2: label "-3"`},
		{"short row", "index,label\n1\n", "line 2: 1 fields"},
		{"duplicate", "index,label\n4,0\n5,1\n4,1\n", "line 4: index 4 is labelled twice (also on line 2)"},
		{"bad quote", "index,label\n\"1,0\n", "line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLabelsCSV(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestLabelsCheck(t *testing.T) {
	l := Labels{Index: []int{0, 5, 9}, Class: []int32{0, 2, 1}, Line: []int{2, 3, 4}}
	cases := []struct {
		name     string
		n, c     int
		wantC    int
		wantErr  string
		labelsOf Labels
	}{
		{"classes from max label", 10, 0, 3, "", l},
		{"classes given", 10, 3, 3, "", l},
		{"index out of range", 9, 0, 0, "line 4: index 9 is out of range; the features have 9 rows", l},
		{"label out of range", 10, 2, 0, "line 3: label 2 is out of range for 2 classes", l},
		{"class without label", 10, 4, 0, "class 3 has no labelled row", l},
		{"gap in classes", 10, 0, 0, "class 1 has no labelled row", Labels{Index: []int{0, 1}, Class: []int32{0, 2}, Line: []int{2, 3}}},
		{"too many classes", 10, 1 << 30, 0, "more than", l},
		{"one class", 10, 0, 0, "at least two", Labels{Index: []int{0}, Class: []int32{0}, Line: []int{2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.labelsOf.Check(tc.n, tc.c)
			if tc.wantErr == "" {
				if err != nil || c != tc.wantC {
					t.Errorf("got %d classes, %v; want %d", c, err, tc.wantC)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v; want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestWritePredictionsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePredictionsCSV(&buf, []int32{2, 0}, []float32{1, 0.25}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "index,label,confidence\n0,2,1\n1,0,0.25\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzReadLabelsCSV(f *testing.F) {
	for _, s := range []string{
		"index,label\n0,1\n1,0\n",
		"index,label\n",
		"",
		"index,label\n\"0\",\"1\"\n",
		"index,label\n1,2,3\n",
		"\ufeffindex,label\r\n5,0\r\n",
		"index,label\n99999999999999999999,1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		l, err := ReadLabelsCSV(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if l.Len() == 0 || len(l.Class) != l.Len() || len(l.Line) != l.Len() {
			t.Fatalf("accepted inconsistent labels %+v", l)
		}
		seen := map[int]bool{}
		for t2, i := range l.Index {
			if i < 0 || l.Class[t2] < 0 || seen[i] {
				t.Fatalf("accepted a bad row: index %d class %d", i, l.Class[t2])
			}
			seen[i] = true
		}
		// Check must not panic on anything the reader accepts.
		_, _ = l.Check(len(l.Index)+1, 0)
	})
}
