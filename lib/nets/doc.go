// Package nets holds the backbones of the project, written with GoMLX: the few-shot Conv-4
// (four blocks of 3×3 convolution, batch norm, ReLU and 2×2 max-pooling), the wide residual
// networks WRN-28-k of the CIFAR experiments, and ResNet-18/34/50/101/152 with an ImageNet or
// a CIFAR stem; each with an L2-normalised embedding head (the metric) and a linear
// classification head.
//
// Convolutions are expressed as a gather of image patches times a matrix (see Conv2D), and the
// gradient of the matrix product is registered anew (see dotgrad.go), because that is what
// makes training usable on GoMLX's pure-Go backend.
//
// Networks is the one table of backbones by name (LookupNetwork, NetNames): package metric
// embeds with them and package train classifies with them.
package nets
