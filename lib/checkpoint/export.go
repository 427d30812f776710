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
	"slices"
	"strconv"
	"strings"

	"github.com/metric-transfer/mtlp/lib/atomicfile"
)

// DefaultPartBytes is the largest data part Export writes by default: 15 MiB, under the 16 MiB
// that some stores take per file.
const DefaultPartBytes = 15 << 20

// Export copies the newest checkpoint of src that verifies into dst (created; it must hold no
// checkpoint and no parts yet) as a portable copy: its manifest as ckpt-000001.json, its data
// cut into parts of at most partBytes bytes (DefaultPartBytes when partBytes < 1) named
// ckpt-000001.bin.000, ckpt-000001.bin.001, …, the origin record, and the files named in also
// that exist in src (e.g. "pretrain.json", "history.json"; missing ones are skipped, unlike
// CopyNewest). Every file is written atomically, the manifest last. It returns the exported
// manifest. src is not changed and need not be locked: the data is hashed again as it is cut,
// so that a checkpoint changed meanwhile is refused rather than exported.
func Export(src, dst string, partBytes int64, also ...string) (Manifest, error) {
	fail := func(err error) (Manifest, error) {
		return Manifest{}, fmt.Errorf("exporting the checkpoint of %s: %w", src, err)
	}
	if partBytes < 1 {
		partBytes = DefaultPartBytes
	}
	if err := checkNoExport(dst); err != nil {
		return fail(err)
	}
	// Without its origin an exported checkpoint could not be resumed (Open refuses it).
	if _, err := os.Stat(filepath.Join(src, OriginFile)); err != nil {
		return fail(fmt.Errorf("%s: %w; only a run's own checkpoint directory can be exported", OriginFile, err))
	}
	seq, m, err := newestVerified(src)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fail(err)
	}
	if err := writeParts(filepath.Join(src, dataName(seq)), dst, m, partBytes); err != nil {
		return fail(err)
	}
	files := [][2]string{{OriginFile, OriginFile}}
	for _, name := range also {
		if _, err := os.Stat(filepath.Join(src, name)); errors.Is(err, fs.ErrNotExist) || name == OriginFile {
			continue
		}
		files = append(files, [2]string{name, name})
	}
	// The manifest goes last: it marks the export complete.
	files = append(files, [2]string{manifestName(seq), manifestName(1)})
	for _, f := range files {
		if err := copyFile(filepath.Join(src, f[0]), filepath.Join(dst, f[1])); err != nil {
			return fail(err)
		}
	}
	return m, nil
}

// Import joins an export made by Export in src into dst (created; it must hold no checkpoint),
// as checkpoint 1 with its origin and the other files there, after checking that the joined
// data's size and SHA-256 match the manifest; a missing, extra or damaged part is an error that
// names the file (and nothing is left in dst as a checkpoint). A directory so imported is one
// Open and Load accept, so a run resumes from it.
func Import(src, dst string) (Manifest, error) {
	fail := func(err error) (Manifest, error) {
		return Manifest{}, fmt.Errorf("importing the exported checkpoint in %s: %w", src, err)
	}
	seqs, err := manifests(src)
	if err != nil {
		return fail(err)
	}
	if len(seqs) != 1 {
		return fail(fmt.Errorf("it holds %d manifests (ckpt-NNNNNN.json), an export one", len(seqs)))
	}
	seq := seqs[0]
	raw, err := os.ReadFile(filepath.Join(src, manifestName(seq)))
	if err != nil {
		return fail(err)
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", manifestName(seq), err))
	}
	if held, err := manifests(dst); err != nil || len(held) > 0 {
		return fail(fmt.Errorf("%s holds checkpoints already (%v); import into an empty folder", dst, err))
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fail(err)
	}
	sizes := map[int]int64{}
	var others []string
	for _, e := range entries {
		name := e.Name()
		if i, ok := partOf(name, seq); ok {
			if name != partName(seq, i) {
				return fail(fmt.Errorf("%s is not named as Export names parts (%s, %s, …); remove it", name, partName(seq, 0), partName(seq, 1)))
			}
			info, err := e.Info()
			if err != nil {
				return fail(err)
			}
			sizes[i] = info.Size()
			continue
		}
		if e.Type().IsRegular() && name != LockFile && !atomicfile.IsTemp(name) && !strings.HasPrefix(name, "ckpt-") {
			others = append(others, name)
		}
	}
	if !slices.Contains(others, OriginFile) {
		return fail(fmt.Errorf("it has no %s, which a run needs to resume from the checkpoint; export it again", OriginFile))
	}
	n, err := checkParts(seq, m.Size, sizes)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fail(err)
	}
	if err := joinParts(src, filepath.Join(dst, dataName(1)), seq, n, m); err != nil {
		return fail(err)
	}
	for _, name := range others {
		if err := copyFile(filepath.Join(src, name), filepath.Join(dst, name)); err != nil {
			return fail(err)
		}
	}
	// The manifest goes last: it marks the checkpoint complete.
	if err := atomicfile.WriteFile(filepath.Join(dst, manifestName(1)), raw); err != nil {
		return fail(err)
	}
	return m, nil
}

// partName is the name of part i of checkpoint seq's data file in an export.
func partName(seq, i int) string { return fmt.Sprintf("%s.%03d", dataName(seq), i) }

// partOf returns the number of name when it is a part of checkpoint seq's data file (its name
// and a dot, then digits), or false.
func partOf(name string, seq int) (int, bool) {
	rest, ok := strings.CutPrefix(name, dataName(seq)+".")
	if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	return i, err == nil
}

// numParts is how many parts of partBytes bytes a data file of size bytes is cut into: at
// least one, so that even an empty one has a part.
func numParts(size, partBytes int64) int {
	n := size / partBytes
	if size%partBytes != 0 || n == 0 {
		n++
	}
	return int(n)
}

// checkNoExport fails when dst holds a manifest or a part: parts of two exports would mix.
func checkNoExport(dst string) error {
	entries, err := os.ReadDir(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		seq, ok := seqOf(e.Name())
		if !ok {
			continue
		}
		if _, part := partOf(e.Name(), seq); part || e.Name() == manifestName(seq) {
			return fmt.Errorf("%s holds %s already; export into an empty folder", dst, e.Name())
		}
	}
	return nil
}

// writeParts cuts the data file data, which m describes, into parts of partBytes bytes in dst,
// each written atomically. It hashes the bytes as it copies them and fails, removing the parts
// it wrote, unless they are still those m names.
func writeParts(data, dst string, m Manifest, partBytes int64) (err error) {
	f, err := os.Open(data)
	if err != nil {
		return err
	}
	defer f.Close()
	n := numParts(m.Size, partBytes)
	written := 0
	defer func() {
		if err != nil {
			for i := range written {
				os.Remove(filepath.Join(dst, partName(1, i)))
			}
		}
	}()
	h := sha256.New()
	r := io.TeeReader(f, h)
	for i := range n {
		want := min(partBytes, m.Size-int64(i)*partBytes)
		short := false
		if err := atomicfile.Write(filepath.Join(dst, partName(1, i)), func(w io.Writer) error {
			_, err := io.CopyN(w, r, want)
			short = errors.Is(err, io.EOF)
			return err
		}); err != nil {
			if short {
				return fmt.Errorf("%s changed while it was exported: it is shorter than its manifest says", data)
			}
			return err
		}
		written++
	}
	if more, _ := io.CopyN(io.Discard, f, 1); more > 0 || hex.EncodeToString(h.Sum(nil)) != m.SHA256 {
		return fmt.Errorf("%s changed while it was exported: it no longer matches its manifest", data)
	}
	return nil
}

// checkParts checks the sizes of the parts found (by number) against a data file of size bytes
// cut as Export cuts it, and returns how many parts there are. Export makes all parts but the
// last one size, the largest; an error names the first part that is extra, missing or of
// another size.
func checkParts(seq int, size int64, sizes map[int]int64) (int, error) {
	var largest int64
	for _, s := range sizes {
		largest = max(largest, s)
	}
	n := 1
	if largest > 0 {
		n = numParts(size, largest)
	}
	cut := fmt.Sprintf("the manifest's %d bytes in parts of %d bytes make %d", size, largest, n)
	// Extra parts first: a stale one beyond the last would otherwise read as a gap before it.
	var extra []string
	for i := range sizes {
		if i >= n {
			extra = append(extra, partName(seq, i))
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return 0, fmt.Errorf("%s: beyond the last part (%s), from another export; remove them, or export again into an empty folder",
			strings.Join(extra, ", "), cut)
	}
	for i := range n {
		if _, ok := sizes[i]; !ok {
			msg := fmt.Sprintf("%s is missing (%s)", partName(seq, i), cut)
			if i == 1 && len(sizes) == 1 {
				msg += ", or " + partName(seq, 0) + " is truncated"
			}
			return 0, errors.New(msg)
		}
	}
	for i := range n {
		want := largest
		if i == n-1 {
			want = size - int64(n-1)*largest
		}
		if sizes[i] != want {
			return 0, fmt.Errorf("%s has %d bytes, want %d (%s): it is truncated or from another export", partName(seq, i), sizes[i], want, cut)
		}
	}
	return n, nil
}

// joinParts writes the n parts of checkpoint seq in src, one after another, into data
// atomically, hashing them as it copies them: data is written only when they make the data
// file m describes.
func joinParts(src, data string, seq, n int, m Manifest) error {
	var bad error
	h := sha256.New()
	err := atomicfile.Write(data, func(w io.Writer) error {
		var size int64
		for i := range n {
			got, err := appendFile(io.MultiWriter(w, h), filepath.Join(src, partName(seq, i)))
			if err != nil {
				return err
			}
			size += got
		}
		switch sum := hex.EncodeToString(h.Sum(nil)); {
		case size != m.Size:
			bad = fmt.Errorf("%s to %s joined hold %d bytes, %s says %d: a part changed while it was read; import again",
				partName(seq, 0), partName(seq, n-1), size, manifestName(seq), m.Size)
		case sum != m.SHA256:
			bad = fmt.Errorf("%s to %s joined have SHA-256 %s, %s says %s: a part is damaged; export the checkpoint again",
				partName(seq, 0), partName(seq, n-1), sum, manifestName(seq), m.SHA256)
		}
		return bad
	})
	if bad != nil {
		return bad
	}
	return err
}

// appendFile copies the file path to w and returns its length.
func appendFile(w io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}
