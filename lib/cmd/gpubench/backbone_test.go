package main

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/nets"
)

func TestNewBackbone(t *testing.T) {
	for _, tc := range []struct {
		net   string
		ok    bool
		image []int
		param string // the context parameter the net sets, with its value
		value int
	}{
		{"conv-4", true, []int{28, 28, 1}, "", 0},
		{"wrn-28-2", true, []int{32, 32, 3}, nets.ParamWRNWidth, 2},
		{"wrn-28-10", true, []int{32, 32, 3}, nets.ParamWRNWidth, 10},
		{"resnet-18", true, []int{32, 32, 3}, nets.ParamResNetDepth, 18},
		{"resnet-50", true, []int{32, 32, 3}, nets.ParamResNetDepth, 50},
		{"resnet-7", false, nil, "", 0},
		{"resnet-50x", false, nil, "", 0},
		{"wrn-28", false, nil, "", 0},
		{"conv-6", false, nil, "", 0},
	} {
		ctx := context.New()
		b, err := newBackbone(ctx, tc.net)
		if (err == nil) != tc.ok {
			t.Errorf("newBackbone(%q): error %v, want ok=%v", tc.net, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if !slices.Equal(b.image, tc.image) || b.classify == nil || b.embed == nil {
			t.Errorf("newBackbone(%q): image %v, want %v, and both heads", tc.net, b.image, tc.image)
		}
		if tc.param != "" && context.GetParamOr(ctx, tc.param, -1) != tc.value {
			t.Errorf("newBackbone(%q): %s = %d, want %d", tc.net, tc.param, context.GetParamOr(ctx, tc.param, -1), tc.value)
		}
		if tc.param == nets.ParamResNetDepth && context.GetParamOr(ctx, nets.ParamResNetStem, "") != string(nets.ResNetStemCIFAR) {
			t.Errorf("newBackbone(%q): want the CIFAR stem", tc.net)
		}
	}
}

func TestParseImage(t *testing.T) {
	def := []int{28, 28, 1}
	for _, tc := range []struct {
		in   string
		want []int // nil: an error
	}{
		{"", def},
		{"32x32x3", []int{32, 32, 3}},
		{"84x84x3", []int{84, 84, 3}},
		{"32x32", nil},
		{"0x32x3", nil},
		{"32x32x3x1", nil},
		{"32X32X3", nil},
	} {
		got, err := parseImage(tc.in, def)
		if (err == nil) != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("parseImage(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
