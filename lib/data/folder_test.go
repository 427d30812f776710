package data

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
	"testing"
)

// FuzzReadImageFolderZip feeds arbitrary bytes as a zip of an image folder to the reader that
// ReadImageFolder and ReadImageFolderResized use for a .zip: whatever it accepts is a valid
// dataset of RGB images, resized when asked.
func FuzzReadImageFolderZip(f *testing.F) {
	for _, files := range []map[string][]byte{
		{"train/cat/0.png": pngBytes(f, 4, 3, 1), "train/dog/0.png": pngBytes(f, 4, 3, 2), "train/dog/x.txt": []byte("ignored")},
		{"train/cat/0.png": pngBytes(f, 4, 3, 1), "train/cat/1.png": pngBytes(f, 5, 3, 1)},
		{"train/cat/0.png": []byte("\x89PNG\r\n\x1a\n")},
		{"train/0.png": pngBytes(f, 2, 2, 0)},
		{"test/cat/0.png": pngBytes(f, 2, 2, 0)},
		{"train/cat/0.png": hugePNGHeader(f)},
	} {
		f.Add(zipBytes(f, files))
	}
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18)))) // an empty archive
	f.Add([]byte("not a zip"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			return
		}
		for _, size := range []int{0, 3} {
			d, err := readFolderFS(zr, "train", size)
			if err != nil {
				continue
			}
			if err := d.Validate(); err != nil {
				t.Fatalf("size %d: accepted an invalid dataset: %v", size, err)
			}
			if d.N == 0 || d.C != 3 || (size > 0 && (d.H != size || d.W != size)) {
				t.Fatalf("size %d: accepted %d images of %d×%d×%d", size, d.N, d.H, d.W, d.C)
			}
		}
	})
}

// TestDecodeFileBounds checks that an image whose header claims more pixels than
// maxImagePixels is refused before it is decoded.
func TestDecodeFileBounds(t *testing.T) {
	raw := zipBytes(t, map[string][]byte{"huge.png": hugePNGHeader(t)})
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeFile(zr, "huge.png"); err == nil || !strings.Contains(err.Error(), "huge.png: header says 65536×65536 pixels") {
		t.Errorf("error %v, want the header's size refused", err)
	}
}

// hugePNGHeader is a PNG whose header claims 65536 × 65536 pixels, to be refused before
// decoding allocates 16 GiB.
func hugePNGHeader(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	// The IHDR chunk starts at byte 8: length (4), "IHDR" (4), 13 bytes of data starting with
	// the width and the height, then the CRC of type and data.
	copy(raw[16:24], []byte{0, 1, 0, 0, 0, 1, 0, 0})
	binary.BigEndian.PutUint32(raw[29:33], crc32.ChecksumIEEE(raw[12:29]))
	return raw
}
