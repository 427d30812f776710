package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeMiniImageNet writes a tiny mini-ImageNet copy under dir: images/ holds solid-colour
// images of several sizes (PNG and JPEG), and split.csv lists them. Each image of class wnid w
// has colour colours[w].
func writeMiniImageNet(t *testing.T, dir string, splits map[string]string) {
	t.Helper()
	images := filepath.Join(dir, "images")
	if err := os.MkdirAll(images, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		w, h int
		col  color.RGBA
	}{
		"n02000000000001.png": {6, 4, color.RGBA{200, 10, 10, 255}},
		"n02000000000002.png": {5, 9, color.RGBA{200, 10, 10, 255}},
		"n01000000000001.png": {8, 8, color.RGBA{10, 200, 10, 255}},
		"n01000000000002.jpg": {16, 12, color.RGBA{128, 128, 128, 255}},
		"n03000000000001.png": {3, 3, color.RGBA{10, 10, 200, 255}},
	} {
		img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
		for y := range c.h {
			for x := range c.w {
				img.SetRGBA(x, y, c.col)
			}
		}
		var b bytes.Buffer
		var err error
		if strings.HasSuffix(name, ".jpg") {
			err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 100})
		} else {
			err = png.Encode(&b, img)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(images, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(images, "broken.jpg"), []byte("not a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	for split, body := range splits {
		if err := os.WriteFile(filepath.Join(dir, split+".csv"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadMiniImageNet reads a split of the synthetic copy: images of any size come out
// size × size with their solid colour kept, classes are the sorted WordNet ids, labels follow
// the csv's rows.
func TestReadMiniImageNet(t *testing.T) {
	dir := t.TempDir()
	writeMiniImageNet(t, dir, map[string]string{
		"train": "filename,label\nn02000000000001.png,n02000000\nn01000000000001.png,n01000000\n" +
			"n02000000000002.png,n02000000\nn01000000000002.jpg,n01000000\n",
		"test": "\ufefffilename,label\r\nn03000000000001.png,n03000000\r\n",
	})
	for _, size := range []int{4, 7} {
		d, err := ReadMiniImageNet(dir, "train", size)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		if d.N != 4 || d.H != size || d.W != size || d.C != 3 || d.Name != "mini-imagenet/train" {
			t.Fatalf("%s: %d images of %d×%d×%d, want 4 of %d×%d×3", d.Name, d.N, d.H, d.W, d.C, size, size)
		}
		if !slices.Equal(d.Classes, []string{"n01000000", "n02000000"}) || !slices.Equal(d.Labels, []int32{1, 0, 1, 0}) {
			t.Errorf("classes %v, labels %v; want sorted WordNet ids and labels [1 0 1 0]", d.Classes, d.Labels)
		}
		for i, want := range [][3]int{{200, 10, 10}, {10, 200, 10}, {200, 10, 10}, {128, 128, 128}} {
			tol := 0
			if i == 3 {
				tol = 3 // JPEG
			}
			for p := 0; p < size*size; p++ {
				px := d.Image(i)[3*p : 3*p+3]
				for c := range 3 {
					if diff := int(px[c]) - want[c]; diff < -tol || diff > tol {
						t.Fatalf("size %d, image %d, pixel %d: %v, want %v", size, i, p, px, want)
					}
				}
			}
		}
	}
	d, err := ReadMiniImageNet(dir, "test", 2)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 1 || !slices.Equal(d.Classes, []string{"n03000000"}) {
		t.Errorf("test split (BOM, CRLF): %d images of classes %v", d.N, d.Classes)
	}
}

// TestReadMiniImageNetErrors checks that bad input gives an error naming the problem, never a
// panic.
func TestReadMiniImageNetErrors(t *testing.T) {
	for _, c := range []struct {
		name, csv, want string
		size            int
	}{
		{"missing csv", "", "no such file", 4},
		{"bad header", "file,class\nn01000000000001.png,n01\n", "want filename,label", 4},
		{"no header", "", "empty file", 4},
		{"only header", "filename,label\n", "no images", 4},
		{"three fields", "filename,label\na.png,n01,x\n", "fields", 4},
		{"empty label", "filename,label\nn01000000000001.png,\n", "line 2: empty", 4},
		{"folder in name", "filename,label\n../n01000000000001.png,n01\n", "plain name", 4},
		{"duplicate", "filename,label\nn01000000000001.png,n01\nn01000000000001.png,n01\n", "first on line 2", 4},
		{"missing image", "filename,label\nn09.png,n09\n", "n09.png", 4},
		{"corrupt image", "filename,label\nbroken.jpg,n09\n", "broken.jpg", 4},
		{"size 0", "filename,label\nn01000000000001.png,n01\n", "size 0", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			splits := map[string]string{}
			if c.name != "missing csv" {
				splits["train"] = c.csv
			}
			writeMiniImageNet(t, dir, splits)
			if _, err := ReadMiniImageNet(dir, "train", c.size); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train.csv"), []byte("filename,label\na.png,n01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMiniImageNet(dir, "train", 4); err == nil || !strings.Contains(err.Error(), "not a folder of images") {
		t.Errorf("no images folder: error %v", err)
	}
	if _, err := LoadMiniImageNet(t.TempDir(), "test", 84); err == nil || !strings.Contains(err.Error(), "MT_DATA_DIR") {
		t.Errorf("no copy in the data directory: error %v, want one saying where to put it", err)
	}
}

// TestResizeArea checks area resampling against hand-computed pixels (one channel shown, all
// three equal): 4→2 averages pairs, 2→4 repeats, 3→2 weights the middle pixel by half.
func TestResizeArea(t *testing.T) {
	grey := func(v ...uint8) []uint8 {
		out := make([]uint8, 0, 3*len(v))
		for _, x := range v {
			out = append(out, x, x, x)
		}
		return out
	}
	for _, c := range []struct {
		name           string
		src            []uint8
		sh, sw, dh, dw int
		want           []uint8
	}{
		{"halve", grey(0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150), 4, 4, 2, 2, grey(25, 45, 105, 125)},
		{"double", grey(0, 100, 200, 50), 2, 2, 4, 4, grey(0, 0, 100, 100, 0, 0, 100, 100, 200, 200, 50, 50, 200, 200, 50, 50)},
		// row 0,1,2 → 2 pixels: (0·1 + 30·0.5)/1.5 = 10, (30·0.5 + 60·1)/1.5 = 50.
		{"three to two", grey(0, 30, 60), 3, 1, 2, 1, grey(10, 50)},
		{"same", grey(1, 2, 3, 4), 2, 2, 2, 2, grey(1, 2, 3, 4)},
	} {
		dst := make([]uint8, c.dh*c.dw*3)
		resizeArea(dst, c.dh, c.dw, c.src, c.sh, c.sw)
		if !slices.Equal(dst, c.want) {
			t.Errorf("%s: %v, want %v", c.name, dst, c.want)
		}
	}
}

// FuzzParseMiniImageNetCSV checks that any split file either parses into rows with plain,
// unique file names and labels, or gives an error; never a panic.
func FuzzParseMiniImageNetCSV(f *testing.F) {
	f.Add([]byte("filename,label\nn01.jpg,n01\n"))
	f.Add([]byte("filename,label\n../x,n01\n"))
	f.Add([]byte("\ufefffilename,label\r\na,b\r\n"))
	f.Add([]byte("filename,label\n\"a,b\",c\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rows, err := parseMiniImageNetCSV(bytes.NewReader(raw))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.filename == "" || r.label == "" || strings.ContainsAny(r.filename, "/") || r.filename == ".." || seen[r.filename] {
				t.Fatalf("accepted row %+v", r)
			}
			seen[r.filename] = true
		}
	})
}
