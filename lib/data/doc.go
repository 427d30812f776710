// Package data holds the datasets of the paper's experiments in memory as uint8 NHWC images
// with int32 labels, reads them from their published formats (IDX for MNIST and
// Fashion-MNIST, CIFAR-10 binary batches, image folders or zip files of them), and draws the
// seeded, class-balanced labeled subsets the paper's tables are indexed by (50 … 8000 labels).
//
// Where the files live is a data-directory setting: the MT_DATA_DIR environment variable, or
// ~/.cache/mtlp/data when it is unset (`make setup` links the datasets it installs there).
package data
