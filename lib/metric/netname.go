package metric

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/nets"
)

// setNetParams sets the backbone's parameters on ctx, the Conv-4 width, and the ResNet stem:
// stem if given, else nets.StemFor the longer side of the images.
func setNetParams(ctx *context.Context, net nets.Network, channels int, stem string, imageSize int) error {
	net.SetParams(ctx)
	ctx.SetParam(nets.ParamChannels, channels)
	if stem == "" {
		stem = string(nets.StemFor(imageSize))
	}
	if !slices.Contains([]string{string(nets.ResNetStemImageNet), string(nets.ResNetStemCIFAR)}, stem) {
		return fmt.Errorf("unknown ResNet stem %q, want %q or %q", stem, nets.ResNetStemImageNet, nets.ResNetStemCIFAR)
	}
	ctx.SetParam(nets.ParamResNetStem, stem)
	return nil
}
