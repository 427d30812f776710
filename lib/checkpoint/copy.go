package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/metric-transfer/mtlp/lib/atomicfile"
)

// CopyNewest copies the newest checkpoint of src that verifies, with the origin record and the
// files named in also (which must exist), into dst (created, and holding no checkpoint yet),
// where Read finds it: a stage that keeps its trained network beside its results copies it so.
// The copy is checkpoint number 1 whatever its number in src, so that what a stage keeps does
// not depend on how many checkpoints its run wrote (a resumed run writes more). It returns the
// copied checkpoint's manifest. Every file is written atomically; src is not changed.
func CopyNewest(src, dst string, also ...string) (Manifest, error) {
	if held, err := manifests(dst); err != nil || len(held) > 0 {
		return Manifest{}, fmt.Errorf("copying the checkpoint of %s: %s holds checkpoints already (%v); copy into an empty folder", src, dst, err)
	}
	seq, m, err := newestVerified(src)
	if err != nil {
		return Manifest{}, fmt.Errorf("copying the checkpoint of %s: %w", src, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("copying the checkpoint of %s: %w", src, err)
	}
	// The manifest goes last: it marks the checkpoint complete.
	files := [][2]string{{dataName(seq), dataName(1)}}
	for _, name := range also {
		files = append(files, [2]string{name, name})
	}
	if _, err := os.Stat(filepath.Join(src, OriginFile)); err == nil {
		files = append(files, [2]string{OriginFile, OriginFile})
	}
	files = append(files, [2]string{manifestName(seq), manifestName(1)})
	for _, f := range files {
		if err := copyFile(filepath.Join(src, f[0]), filepath.Join(dst, f[1])); err != nil {
			return Manifest{}, fmt.Errorf("copying the checkpoint of %s: %w", src, err)
		}
	}
	return m, nil
}

// newestVerified returns the number and manifest of the newest checkpoint of path that
// verifies, without loading it or changing anything in path.
func newestVerified(path string) (int, Manifest, error) {
	seqs, err := manifests(path)
	if err != nil {
		return 0, Manifest{}, err
	}
	for _, seq := range seqs {
		if m, err := verify(path, seq); err == nil {
			return seq, m, nil
		}
	}
	return 0, Manifest{}, errors.New("no checkpoint there verifies")
}

// verify reads checkpoint seq of path's manifest and checks its data file's size and SHA-256,
// without loading it.
func verify(path string, seq int) (Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(path, manifestName(seq)))
	if err != nil {
		return Manifest{}, err
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return Manifest{}, err
	}
	f, err := os.Open(filepath.Join(path, dataName(seq)))
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Manifest{}, err
	}
	if n != m.Size || hex.EncodeToString(h.Sum(nil)) != m.SHA256 {
		return Manifest{}, errors.New("its data file does not match its manifest")
	}
	return m, nil
}

// copyFile copies src to dst atomically.
func copyFile(src, dst string) error {
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is missing", src)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return atomicfile.Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}
