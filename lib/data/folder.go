package data

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder for image.Decode
	_ "image/png"  // registers the PNG decoder for image.Decode
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// ReadImageFolder reads split (e.g. "train") of an image-folder dataset laid out as
// split/<class>/<file>.jpg|.png — the layout of the CIFAR-10 JPEG copy, mini-ImageNet and
// ImageNet. root is either a directory or a .zip file holding that layout (read in place,
// not extracted). Classes are the sorted class-folder names; files are read in sorted order.
// All images must have the same size; they are converted to RGB (C = 3).
func ReadImageFolder(root, split string) (*Dataset, error) {
	return readImageFolder(root, split, 0)
}

// ReadImageFolderResized is ReadImageFolder for images of any sizes: each is converted to RGB
// and resized to size × size by area averaging (ImageNet's images differ in size).
func ReadImageFolderResized(root, split string, size int) (*Dataset, error) {
	if size < 1 {
		return nil, fmt.Errorf("%s: image size %d must be positive", root, size)
	}
	return readImageFolder(root, split, size)
}

// readImageFolder reads an image folder, resizing its images to size × size unless size is 0.
func readImageFolder(root, split string, size int) (*Dataset, error) {
	var fsys fs.FS
	if strings.HasSuffix(strings.ToLower(root), ".zip") {
		zr, err := zip.OpenReader(root)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", root, err)
		}
		defer zr.Close()
		fsys = zr
	} else {
		st, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s: neither a directory nor a .zip file", root)
		}
		fsys = os.DirFS(root)
	}
	d, err := readFolderFS(fsys, split, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root, err)
	}
	d.Name = path.Base(strings.TrimSuffix(root, ".zip")) + "/" + split
	return d, nil
}

// folderFile is one image of an image folder: its path and its label.
type folderFile struct {
	path  string
	label int32
}

// readFolderFS lists split/<class>/* in fsys and decodes every image, resized to size × size
// unless size is 0.
func readFolderFS(fsys fs.FS, split string, size int) (*Dataset, error) {
	entries, err := fs.ReadDir(fsys, split)
	if err != nil {
		return nil, fmt.Errorf("split %q: %w", split, err)
	}
	d := &Dataset{}
	var files []folderFile
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		label := int32(len(d.Classes))
		d.Classes = append(d.Classes, e.Name())
		imgs, err := fs.ReadDir(fsys, path.Join(split, e.Name()))
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(imgs))
		for _, f := range imgs {
			ext := strings.ToLower(path.Ext(f.Name()))
			if !f.IsDir() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png") {
				names = append(names, f.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			files = append(files, folderFile{path: path.Join(split, e.Name(), n), label: label})
		}
	}
	if len(d.Classes) == 0 || len(files) == 0 {
		return nil, fmt.Errorf("split %q holds no <class>/<image>.jpg|.png files", split)
	}
	decode := d.decodeAll
	if size > 0 {
		decode = func(fsys fs.FS, files []folderFile) error { return d.decodeResized(fsys, files, size) }
	}
	if err := decode(fsys, files); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeAll decodes the files in parallel into d, taking the size from the first image.
func (d *Dataset) decodeAll(fsys fs.FS, files []folderFile) error {
	first, err := decodeFile(fsys, files[0].path)
	if err != nil {
		return err
	}
	b := first.Bounds()
	d.N, d.H, d.W, d.C = len(files), b.Dy(), b.Dx(), 3
	d.Images = make([]uint8, d.N*d.ImageSize())
	d.Labels = make([]int32, d.N)
	return decodeEach(fsys, files, func(i int, img image.Image, _ *[]uint8) error {
		if img.Bounds().Dx() != d.W || img.Bounds().Dy() != d.H {
			return fmt.Errorf("%s: %dx%d image, but %s is %dx%d; all images must have one size",
				files[i].path, img.Bounds().Dx(), img.Bounds().Dy(), files[0].path, d.W, d.H)
		}
		toRGB(img, d.Image(i))
		d.Labels[i] = files[i].label
		return nil
	})
}

// decodeEach decodes the files on up to GOMAXPROCS goroutines and hands each image to put with
// its index and a scratch buffer of the goroutine's own; a worker stops at its first error, and
// the errors are returned joined.
func decodeEach(fsys fs.FS, files []folderFile, put func(i int, img image.Image, buf *[]uint8) error) error {
	workers := min(runtime.GOMAXPROCS(0), len(files))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []uint8
			for i := w; i < len(files); i += workers {
				img, err := decodeFile(fsys, files[i].path)
				if err == nil {
					err = put(i, img, &buf)
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Bounds on one image file, so that a corrupt or hostile file (a zip entry that inflates
// without end, a header claiming a huge image) fails cleanly instead of exhausting memory:
// 256 MiB of file and 2^26 pixels (8192 × 8192), far above ImageNet's largest photographs.
const (
	maxImageFileBytes = 256 << 20
	maxImagePixels    = 1 << 26
)

// decodeFile reads and decodes one image file.
func decodeFile(fsys fs.FS, name string) (image.Image, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxImageFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(raw) > maxImageFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes; not an image of this dataset", name, maxImageFileBytes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return nil, fmt.Errorf("%s: header says %d×%d pixels; want at least one and at most %d", name, cfg.Width, cfg.Height, maxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return img, nil
}

// toRGB writes img's pixels into dst as HWC RGB bytes, with fast paths for the decoders'
// usual outputs.
func toRGB(img image.Image, dst []uint8) {
	b := img.Bounds()
	o := 0
	switch m := img.(type) {
	case *image.YCbCr:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				yi, ci := m.YOffset(x, y), m.COffset(x, y)
				dst[o], dst[o+1], dst[o+2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				o += 3
			}
		}
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				v := m.Pix[m.PixOffset(x, y)]
				dst[o], dst[o+1], dst[o+2] = v, v, v
				o += 3
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				dst[o], dst[o+1], dst[o+2] = c.R, c.G, c.B
				o += 3
			}
		}
	}
}
