package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// idxArray is one IDX file: unsigned-byte elements with their dimensions.
type idxArray struct {
	dims []int
	data []uint8
}

// maxIDXElements bounds what a header may ask for, so a corrupt header fails cleanly
// instead of allocating gigabytes.
const maxIDXElements = 1 << 31

// parseIDX parses the IDX format (http://yann.lecun.com/exdb/mnist/): two zero bytes, the
// element type (0x08, unsigned byte, the only one the datasets use), the number of
// dimensions, the big-endian uint32 sizes, then the elements. A gzip stream is detected by
// its magic bytes and decompressed first.
func parseIDX(r io.Reader) (*idxArray, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		br = bufio.NewReader(gz)
	}
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, fmt.Errorf("IDX header: %w", err)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("not an IDX file: magic bytes % x", head[:2])
	}
	if head[2] != 0x08 {
		return nil, fmt.Errorf("IDX element type 0x%02x, only unsigned bytes (0x08) are supported", head[2])
	}
	nd := int(head[3])
	if nd < 1 || nd > 4 {
		return nil, fmt.Errorf("IDX file with %d dimensions, want 1 to 4", nd)
	}
	dims := make([]int, nd)
	total := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("IDX dimension %d: %w", i, err)
		}
		dims[i] = int(d)
		total *= int(d)
		if d == 0 || total > maxIDXElements {
			return nil, fmt.Errorf("IDX dimensions %v: empty or too large", dims[:i+1])
		}
	}
	buf := make([]uint8, total)
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, fmt.Errorf("IDX data (%d bytes expected for dimensions %v): %w", total, dims, err)
	}
	return &idxArray{dims: dims, data: buf}, nil
}

// readIDXFile reads and parses one IDX file, gzipped or not.
func readIDXFile(path string) (*idxArray, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	a, err := parseIDX(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// ReadIDX reads an image file (N×H×W) and a label file (N) in IDX format, gzipped or not,
// into a grayscale dataset (C = 1) with the given class names.
func ReadIDX(name, imagesPath, labelsPath string, classes []string) (*Dataset, error) {
	img, err := readIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	lab, err := readIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	return fromIDX(name, img, lab, classes, imagesPath, labelsPath)
}

// fromIDX checks that two parsed IDX arrays form an image set and its labels.
func fromIDX(name string, img, lab *idxArray, classes []string, imagesPath, labelsPath string) (*Dataset, error) {
	if len(img.dims) != 3 {
		return nil, fmt.Errorf("%s: images must have 3 dimensions (N, H, W), found %v", imagesPath, img.dims)
	}
	if len(lab.dims) != 1 {
		return nil, fmt.Errorf("%s: labels must have 1 dimension, found %v", labelsPath, lab.dims)
	}
	if img.dims[0] != lab.dims[0] {
		return nil, fmt.Errorf("%s has %d images but %s has %d labels", imagesPath, img.dims[0], labelsPath, lab.dims[0])
	}
	d := &Dataset{Name: name, N: img.dims[0], H: img.dims[1], W: img.dims[2], C: 1,
		Images: img.data, Labels: make([]int32, lab.dims[0]), Classes: classes}
	for i, l := range lab.data {
		d.Labels[i] = int32(l)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", labelsPath, err)
	}
	return d, nil
}

// WriteIDX writes a grayscale dataset (C = 1, labels below 256) into dir as MNIST's files of a
// split are named, dir/<prefix>-images-idx3-ubyte (N×H×W) and dir/<prefix>-labels-idx1-ubyte
// (N), in IDX format, uncompressed: what Load reads for prefix "train" or "t10k".
func WriteIDX(dir, prefix string, d *Dataset) error {
	imagesPath, labelsPath := filepath.Join(dir, prefix+"-images-idx3-ubyte"), filepath.Join(dir, prefix+"-labels-idx1-ubyte")
	if d.C != 1 {
		return fmt.Errorf("IDX %s: %s has %d channels, IDX holds grayscale images", imagesPath, d.Name, d.C)
	}
	labels := make([]byte, d.N)
	for i, l := range d.Labels {
		if l < 0 || l > 255 {
			return fmt.Errorf("IDX %s: label %d of image %d does not fit a byte", labelsPath, l, i)
		}
		labels[i] = byte(l)
	}
	write := func(path string, dims []uint32, payload []byte) error {
		var buf bytes.Buffer
		buf.Write([]byte{0, 0, 8, byte(len(dims))})
		for _, n := range dims {
			_ = binary.Write(&buf, binary.BigEndian, n)
		}
		buf.Write(payload)
		return os.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err := write(imagesPath, []uint32{uint32(d.N), uint32(d.H), uint32(d.W)}, d.Images); err != nil {
		return err
	}
	return write(labelsPath, []uint32{uint32(d.N)}, labels)
}
