// Package fit is the glue between the project's in-memory datasets and GoMLX training: shuffled,
// augmented minibatches (Batches), a training run with a cosine learning-rate schedule, progress
// and checkpoints (Run), and batched inference (Predict). The metric objectives (package metric)
// and the classifier training (package train) are built on it.
package fit
