package data

import (
	"fmt"
	"os"
	"path/filepath"
)

// CIFAR10Classes are CIFAR-10's class names in label order.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// cifarRecord is the size of one record of the CIFAR-10 binary release: a label byte and
// 32×32×3 pixels stored channel-major (all red, then green, then blue).
const cifarRecord = 1 + 3*32*32

// cifarBatches lists the files of a split of the CIFAR-10 binary release
// (cifar-10-binary.tar.gz, extracted: the folder cifar-10-batches-bin).
func cifarBatches(split string) ([]string, error) {
	switch split {
	case "train":
		return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}, nil
	case "test":
		return []string{"test_batch.bin"}, nil
	}
	return nil, fmt.Errorf("CIFAR-10 split %q: want train or test", split)
}

// ReadCIFAR10Binary reads a split ("train" or "test") of the CIFAR-10 binary release from dir,
// the extracted cifar-10-batches-bin folder, converting its channel-major records to HWC.
func ReadCIFAR10Binary(dir, split string) (*Dataset, error) {
	files, err := cifarBatches(split)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Name: "cifar10/" + split, H: 32, W: 32, C: 3, Classes: CIFAR10Classes}
	for _, f := range files {
		path := filepath.Join(dir, f)
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if err := d.appendCIFAR(raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return d, nil
}

// appendCIFAR decodes the records of one binary batch and appends them to d.
func (d *Dataset) appendCIFAR(raw []byte) error {
	if len(raw) == 0 || len(raw)%cifarRecord != 0 {
		return fmt.Errorf("size %d bytes is not a positive multiple of the %d-byte CIFAR-10 record", len(raw), cifarRecord)
	}
	n := len(raw) / cifarRecord
	const plane = 32 * 32
	for r := range n {
		rec := raw[r*cifarRecord : (r+1)*cifarRecord]
		if int(rec[0]) >= len(CIFAR10Classes) {
			return fmt.Errorf("record %d: label %d, want 0 to 9", r, rec[0])
		}
		d.Labels = append(d.Labels, int32(rec[0]))
		px := rec[1:]
		for i := range plane {
			d.Images = append(d.Images, px[i], px[plane+i], px[2*plane+i])
		}
	}
	d.N += n
	return nil
}
