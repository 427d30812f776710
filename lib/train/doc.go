// Package train trains the final classifier of §3.3 of the paper on labeled and pseudo-labeled
// images, each example weighted by the confidence of its label (Eq. 10), and measures it.
package train
