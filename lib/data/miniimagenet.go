package data

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// MiniImageNetSize is the side mini-ImageNet's images are resized to in the few-shot
// literature and in the paper's Table 7 (84 × 84).
const MiniImageNetSize = 84

// MiniImageNetSplits are the class splits of Ravi & Larochelle's csv files: 64 training, 16
// validation and 20 test classes of 600 images each.
var MiniImageNetSplits = []string{"train", "val", "test"}

// MiniImageNetDir is the folder under the data directory where LoadMiniImageNet looks.
const MiniImageNetDir = "mini-imagenet"

// MiniImageNetFetch says how to get mini-ImageNet; it cannot be downloaded without an
// ImageNet account, so the error of a missing copy names the layout instead of a command.
const MiniImageNetFetch = "put mini-ImageNet (Ravi & Larochelle's split: images/ holding the JPEGs, and train.csv, val.csv, test.csv with the header filename,label) in $MT_DATA_DIR/" + MiniImageNetDir

// LoadMiniImageNet reads split ("train", "val" or "test") of mini-ImageNet from
// dataDir/mini-imagenet ("" means DataDir()), resized to size × size (MiniImageNetSize in the
// paper). See ReadMiniImageNet.
func LoadMiniImageNet(dataDir, split string, size int) (*Dataset, error) {
	if dataDir == "" {
		dataDir = DataDir()
	}
	dir := filepath.Join(dataDir, MiniImageNetDir)
	if _, err := os.Stat(filepath.Join(dir, split+".csv")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dataset mini-imagenet: %s not found; %s", filepath.Join(dir, split+".csv"), MiniImageNetFetch)
	}
	return ReadMiniImageNet(dir, split, size)
}

// ReadMiniImageNet reads split of mini-ImageNet in its common layout: dir/<split>.csv lists
// the split's images, one "filename,label" row each after that header (label a WordNet id
// such as n01532829), and the files are in dir/images/. Every image is decoded (JPEG or PNG),
// converted to RGB and resized to size × size by area averaging; the classes are the split's
// WordNet ids, sorted. Bad input (a missing or malformed csv, a missing or undecodable image)
// is an error naming the file.
func ReadMiniImageNet(dir, split string, size int) (*Dataset, error) {
	if size < 1 {
		return nil, fmt.Errorf("mini-imagenet: image size %d must be positive (the paper: %d)", size, MiniImageNetSize)
	}
	csvPath := filepath.Join(dir, split+".csv")
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		return nil, fmt.Errorf("mini-imagenet %s: %w", split, err)
	}
	rows, err := parseMiniImageNetCSV(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("mini-imagenet: %s: %w", csvPath, err)
	}
	images := filepath.Join(dir, "images")
	if st, err := os.Stat(images); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("mini-imagenet: %s is not a folder of images (%v); %s", images, err, MiniImageNetFetch)
	}
	classOf := map[string]int32{}
	var classes []string
	for _, r := range rows {
		if _, ok := classOf[r.label]; !ok {
			classOf[r.label] = 0
			classes = append(classes, r.label)
		}
	}
	sort.Strings(classes)
	for i, c := range classes {
		classOf[c] = int32(i)
	}
	files := make([]folderFile, len(rows))
	for i, r := range rows {
		files[i] = folderFile{path: r.filename, label: classOf[r.label]}
	}
	d := &Dataset{Name: "mini-imagenet/" + split, Classes: classes}
	if err := d.decodeResized(os.DirFS(images), files, size); err != nil {
		return nil, fmt.Errorf("mini-imagenet %s: %s: %w", split, images, err)
	}
	return d, nil
}

// miniImageNetRow is one row of a split file.
type miniImageNetRow struct{ filename, label string }

// parseMiniImageNetCSV reads a split file: the header "filename,label", then one row per image
// with a plain file name (no folder, no "..") and a non-empty label; file names are unique.
func parseMiniImageNetCSV(r io.Reader) ([]miniImageNetRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("empty file; want the header filename,label")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	h0, h1 := strings.TrimPrefix(strings.TrimSpace(header[0]), "\ufeff"), strings.TrimSpace(header[1])
	if h0 != "filename" || h1 != "label" {
		return nil, fmt.Errorf("header %q,%q; want filename,label", header[0], header[1])
	}
	var rows []miniImageNetRow
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		name, label := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if name == "" || label == "" {
			return nil, fmt.Errorf("line %d: empty file name or label", line)
		}
		if !fs.ValidPath(name) || path.Base(name) != name {
			return nil, fmt.Errorf("line %d: file name %q must be a plain name inside images/", line, name)
		}
		if prev, ok := seen[name]; ok {
			return nil, fmt.Errorf("line %d: %s is listed again (first on line %d)", line, name, prev)
		}
		seen[name] = line
		rows = append(rows, miniImageNetRow{filename: name, label: label})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no images listed after the header")
	}
	return rows, nil
}

// decodeResized decodes the files in parallel into d as size × size RGB images.
func (d *Dataset) decodeResized(fsys fs.FS, files []folderFile, size int) error {
	d.N, d.H, d.W, d.C = len(files), size, size, 3
	d.Images = make([]uint8, d.N*d.ImageSize())
	d.Labels = make([]int32, d.N)
	return decodeEach(fsys, files, func(i int, img image.Image, rgb *[]uint8) error {
		b := img.Bounds()
		if b.Empty() {
			return fmt.Errorf("%s: empty image", files[i].path)
		}
		if n := b.Dx() * b.Dy() * 3; cap(*rgb) < n {
			*rgb = make([]uint8, n)
		}
		*rgb = (*rgb)[:b.Dx()*b.Dy()*3]
		toRGB(img, *rgb)
		resizeArea(d.Image(i), size, size, *rgb, b.Dy(), b.Dx())
		d.Labels[i] = files[i].label
		return nil
	})
}

// resizeArea resamples the HWC RGB image src (sh × sw) into dst (dh × dw) by area averaging:
// each output pixel is the mean of the source pixels it covers, weighted by the covered
// fraction. Downscaling averages, upscaling repeats; a same-size resize copies.
func resizeArea(dst []uint8, dh, dw int, src []uint8, sh, sw int) {
	if dh == sh && dw == sw {
		copy(dst, src)
		return
	}
	ys, xs := areaSpans(dh, sh), areaSpans(dw, sw)
	for oy, yspan := range ys {
		for ox, xspan := range xs {
			var acc [3]float64
			var total float64
			for _, yw := range yspan {
				for _, xw := range xspan {
					w := yw.weight * xw.weight
					p := (yw.index*sw + xw.index) * 3
					acc[0] += w * float64(src[p])
					acc[1] += w * float64(src[p+1])
					acc[2] += w * float64(src[p+2])
					total += w
				}
			}
			q := (oy*dw + ox) * 3
			for c := range 3 {
				dst[q+c] = uint8(min(255, acc[c]/total+0.5))
			}
		}
	}
}

// areaWeight is a source index and the length of it that an output pixel covers.
type areaWeight struct {
	index  int
	weight float64
}

// areaSpans returns, for each of out output pixels along an axis of in source pixels, the
// source pixels it covers: output pixel o spans [o·in/out, (o+1)·in/out).
func areaSpans(out, in int) [][]areaWeight {
	spans := make([][]areaWeight, out)
	scale := float64(in) / float64(out)
	for o := range spans {
		lo, hi := float64(o)*scale, float64(o+1)*scale
		for i := int(lo); i < in && float64(i) < hi; i++ {
			w := min(hi, float64(i+1)) - max(lo, float64(i))
			if w > 1e-12 {
				spans[o] = append(spans[o], areaWeight{i, w})
			}
		}
	}
	return spans
}
