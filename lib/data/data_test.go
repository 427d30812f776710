package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metric-transfer/mtlp/lib/errtest"
)

// idxBytes encodes an unsigned-byte IDX array.
func idxBytes(dims []int, data []uint8) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipped(raw []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write(raw)
	_ = w.Close()
	return b.Bytes()
}

func TestReadIDX(t *testing.T) {
	pixels := []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12} // 2 images of 2×3
	images := idxBytes([]int{2, 2, 3}, pixels)
	labels := idxBytes([]int{2}, []uint8{1, 0})
	for _, tc := range []struct {
		name    string
		img     []byte
		lab     []byte
		wantErr string
	}{
		{"plain", images, labels, ""},
		{"gzip", gzipped(images), gzipped(labels), ""},
		{"truncated", images[:len(images)-1], labels, "IDX data"},
		{"bad magic", append([]byte{1, 2}, images[2:]...), labels, "not an IDX file"},
		{"count mismatch", images, idxBytes([]int{3}, []uint8{0, 1, 0}), "has 2 images but"},
		{"label range", images, idxBytes([]int{2}, []uint8{1, 7}), "outside [0, 2)"},
		{"labels 2-d", images, idxBytes([]int{2, 1}, []uint8{1, 0}), "1 dimension"},
		{"empty", []byte{}, labels, "IDX header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ip, lp := filepath.Join(dir, "img"), filepath.Join(dir, "lab")
			if err := os.WriteFile(ip, tc.img, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(lp, tc.lab, 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := ReadIDX("t", ip, lp, []string{"a", "b"})
			if errtest.Want(t, err, tc.wantErr) {
				return
			}
			if d.N != 2 || d.H != 2 || d.W != 3 || d.C != 1 {
				t.Fatalf("shape %d×%d×%d×%d, want 2×2×3×1", d.N, d.H, d.W, d.C)
			}
			if !slices.Equal(d.Image(1), pixels[6:]) || !slices.Equal(d.Labels, []int32{1, 0}) {
				t.Fatalf("image 1 %v labels %v", d.Image(1), d.Labels)
			}
		})
	}
}

func TestReadCIFAR10Binary(t *testing.T) {
	// Two records; pixel (y, x) of channel ch holds ch*100 + (y*32+x)%100.
	rec := func(label uint8) []byte {
		r := []byte{label}
		for ch := range 3 {
			for i := range 1024 {
				r = append(r, uint8(ch*100+i%100))
			}
		}
		return r
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test_batch.bin"), append(rec(3), rec(9)...), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := ReadCIFAR10Binary(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 2 || !slices.Equal(d.Labels, []int32{3, 9}) {
		t.Fatalf("N=%d labels=%v", d.N, d.Labels)
	}
	// Pixel (1, 2) is plane index 34: R=34, G=134, B=234, at HWC offset (1*32+2)*3.
	img := d.Image(1)
	if got := img[34*3 : 34*3+3]; !slices.Equal(got, []uint8{34, 134, 234}) {
		t.Fatalf("pixel (1,2) = %v, want [34 134 234]", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec(3)[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCIFAR10Binary(dir, "test"); err == nil || !strings.Contains(err.Error(), "test_batch.bin") {
		t.Fatalf("truncated batch: error %v, want one naming the file", err)
	}
	if _, err := ReadCIFAR10Binary(dir, "train"); err == nil || !strings.Contains(err.Error(), "data_batch_1.bin") {
		t.Fatalf("missing batch: error %v, want one naming the file", err)
	}
}

// pngBytes encodes a w×h image whose pixel (x, y) is (v, x, y).
func pngBytes(t testing.TB, w, h int, v uint8) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{v, uint8(x), uint8(y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadImageFolder(t *testing.T) {
	files := map[string][]byte{
		"train/cat/1.png":  pngBytes(t, 4, 3, 10),
		"train/cat/0.png":  pngBytes(t, 4, 3, 20),
		"train/ant/0.png":  pngBytes(t, 4, 3, 30),
		"train/ant/x.txt":  []byte("ignored"),
		"test/ant/0.png":   pngBytes(t, 4, 3, 40),
		"test/cat/0.png":   pngBytes(t, 4, 3, 50),
		"other/bad/0.png":  pngBytes(t, 5, 3, 60),
		"other/bad/1.png":  pngBytes(t, 4, 3, 60),
		"broken/bad/0.png": []byte("not a png"),
	}
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "set.zip")
	writeFiles(t, filepath.Join(dir, "set"), files)
	if err := os.WriteFile(zipPath, zipBytes(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{filepath.Join(dir, "set"), zipPath} {
		d, err := ReadImageFolder(root, "train")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Classes, []string{"ant", "cat"}) || !slices.Equal(d.Labels, []int32{0, 1, 1}) {
			t.Fatalf("%s: classes %v labels %v", root, d.Classes, d.Labels)
		}
		if d.H != 3 || d.W != 4 || d.C != 3 {
			t.Fatalf("%s: size %d×%d×%d", root, d.H, d.W, d.C)
		}
		// Sorted file order: cat/0.png (20) before cat/1.png (10); pixel (x=3, y=2) of image 1.
		if got := d.Image(1)[(2*4+3)*3:][:3]; !slices.Equal(got, []uint8{20, 3, 2}) {
			t.Fatalf("%s: pixel = %v, want [20 3 2]", root, got)
		}
		for split, want := range map[string]string{"other": "one size", "broken": "0.png", "nosplit": "nosplit"} {
			if _, err := ReadImageFolder(root, split); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%s split %s: error %v, want one containing %q", root, split, err, want)
			}
		}
	}
}

func TestSampleLabeled(t *testing.T) {
	labels := make([]int32, 1000)
	for i := range labels {
		labels[i] = int32(i * 7 % 10) // 100 per class
	}
	for _, n := range []int{10, 50, 100, 250, 1000} {
		idx, err := SampleLabeled(labels, 10, n, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(idx) != n {
			t.Fatalf("n=%d: got %d indices", n, len(idx))
		}
		count := make([]int, 10)
		seen := map[int]bool{}
		for _, i := range idx {
			count[labels[i]]++
			if seen[i] {
				t.Fatalf("n=%d: index %d twice", n, i)
			}
			seen[i] = true
		}
		for c, k := range count {
			if want := n / 10; k != want {
				t.Fatalf("n=%d: class %d has %d, want %d", n, c, k, want)
			}
		}
	}
	small, _ := SampleLabeled(labels, 10, 50, 3)
	large, _ := SampleLabeled(labels, 10, 250, 3)
	for _, i := range small {
		if !slices.Contains(large, i) {
			t.Fatalf("index %d of the 50-label subset is not in the 250-label subset", i)
		}
	}
	again, _ := SampleLabeled(labels, 10, 50, 3)
	other, _ := SampleLabeled(labels, 10, 50, 4)
	if !slices.Equal(small, again) || slices.Equal(small, other) {
		t.Fatal("sampling is not a function of the seed")
	}
	for _, tc := range []struct {
		n, classes int
		want       string
	}{{5, 10, "one per class"}, {1010, 10, "has 100 examples"}, {20, 5, "outside"}} {
		if _, err := SampleLabeled(labels, tc.classes, tc.n, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("n=%d classes=%d: error %v, want %q", tc.n, tc.classes, err, tc.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GOMODCACHE", dir)
	for name, want := range map[string]string{"mnist": "go mod download", "cifar10": "md5sum -c", "nope": "unknown dataset"} {
		if _, err := Load(dir, name, "train"); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: error %v, want one containing %q", name, err, want)
		}
	}
}

// TestLoadReal reads the installed datasets; it skips those that are absent.
func TestLoadReal(t *testing.T) {
	for _, tc := range []struct {
		name, split string
		n, h, c     int
	}{{"fashion-mnist", "test", 10000, 28, 1}, {"mnist", "test", 10000, 28, 1}, {"cifar10", "test", 10000, 32, 3}} {
		d, err := Load("", tc.name, tc.split)
		if err != nil {
			t.Logf("skipping %s: %v", tc.name, err)
			continue
		}
		if d.N != tc.n || d.H != tc.h || d.W != tc.h || d.C != tc.c || d.NumClasses() != 10 {
			t.Fatalf("%s: %d images %d×%d×%d, %d classes", tc.name, d.N, d.H, d.W, d.C, d.NumClasses())
		}
		count := make([]int, 10)
		for _, l := range d.Labels {
			count[l]++
		}
		if tc.name != "mnist" && slices.Min(count) != 1000 {
			t.Fatalf("%s: class counts %v, want 1000 each", tc.name, count)
		}
	}
}

func FuzzParseIDX(f *testing.F) {
	f.Add(idxBytes([]int{2, 2, 3}, make([]uint8, 12)))
	f.Add(gzipped(idxBytes([]int{3}, []uint8{1, 2, 3})))
	f.Add([]byte{0, 0, 8, 3, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := parseIDX(bytes.NewReader(raw))
		if err != nil {
			return
		}
		n := 1
		for _, d := range a.dims {
			n *= d
		}
		if n != len(a.data) {
			t.Fatalf("dims %v but %d elements", a.dims, len(a.data))
		}
	})
}

func FuzzCIFAR(f *testing.F) {
	f.Add(make([]byte, cifarRecord))
	f.Add([]byte{10})
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := &Dataset{H: 32, W: 32, C: 3, Classes: CIFAR10Classes}
		if err := d.appendCIFAR(raw); err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLoadImageNet reads an ImageNet-style folder of images of several sizes through Load: both
// splits (test reads val), each image resized to ImageNetSize, a constant image staying
// constant; a missing copy names the layout.
func TestLoadImageNet(t *testing.T) {
	dir := t.TempDir()
	solid := func(w, h int, c color.NRGBA) []byte {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	files := map[string][]byte{
		"train/n01440764/a.JPEG.png": solid(100, 80, color.NRGBA{200, 10, 10, 255}),
		"train/n01443537/b.png":      solid(37, 120, color.NRGBA{10, 200, 10, 255}),
		"val/n01440764/c.png":        solid(64, 64, color.NRGBA{10, 10, 200, 255}),
		"val/n01443537/d.png":        solid(500, 375, color.NRGBA{90, 90, 90, 255}),
	}
	writeFiles(t, filepath.Join(dir, "imagenet"), files)
	for _, tc := range []struct {
		split string
		first []uint8
	}{{"train", []uint8{200, 10, 10}}, {"test", []uint8{10, 10, 200}}} {
		d, err := Load(dir, "imagenet", tc.split)
		if err != nil {
			t.Fatal(err)
		}
		if d.N != 2 || d.H != ImageNetSize || d.W != ImageNetSize || d.C != 3 || !slices.Equal(d.Classes, []string{"n01440764", "n01443537"}) {
			t.Fatalf("%s: %d images of %d×%d×%d, classes %v", tc.split, d.N, d.H, d.W, d.C, d.Classes)
		}
		img := d.Image(0)
		for p := 0; p < len(img); p += 3 {
			if !slices.Equal(img[p:p+3], tc.first) {
				t.Fatalf("%s: pixel %d = %v, want %v everywhere", tc.split, p/3, img[p:p+3], tc.first)
			}
		}
	}
	if _, err := Load(t.TempDir(), "imagenet", "train"); err == nil || !strings.Contains(err.Error(), "train/<wnid>") {
		t.Errorf("missing ImageNet: error %v, want the layout", err)
	}
	if _, err := ReadImageFolderResized(filepath.Join(dir, "imagenet"), "train", 0); err == nil {
		t.Error("size 0 accepted")
	}
}
