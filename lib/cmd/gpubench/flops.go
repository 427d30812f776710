package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// contractingAxes reads a DotGeneral node's lhs contracting axes from its description
// ("DotGeneral(lhs=[#3], lhsContractingAxes=[1], …)"): GoMLX v0.26.0 keeps them unexported.
var contractingAxes = regexp.MustCompile(`lhsContractingAxes=\[([0-9 ]*)\]`)

// matmulFLOPs returns the floating-point operations of the matrix products in g: for each Dot
// or DotGeneral node, 2 × (output elements) × (contracted length), a multiply and an add per
// term. A Dot (rank 1 or 2, as XLA's) contracts its lhs's last axis.
// It is the work that a backend's matrix product must do whatever the other ops cost, so
// FLOPs / (the backend's best matrix-product rate) bounds the time of a step from below.
// Native convolutions are not counted: their number is returned, and a bound that ignores them
// is no bound.
func matmulFLOPs(g *graph.Graph) (flops float64, convs int, err error) {
	for _, n := range g.Nodes() {
		switch n.Type() {
		case graph.NodeTypeConvGeneral:
			convs++
		case graph.NodeTypeDot:
			if len(n.Inputs()) != 2 || n.Inputs()[0].Rank() < 1 {
				return 0, 0, fmt.Errorf("node #%d: a Dot needs two operands of rank ≥ 1: %s", n.Id(), n)
			}
			lhs := n.Inputs()[0].Shape()
			flops += 2 * float64(n.Shape().Size()) * float64(lhs.Dimensions[lhs.Rank()-1])
		case graph.NodeTypeDotGeneral:
			desc := n.String()
			m := contractingAxes.FindStringSubmatch(desc)
			if m == nil || len(n.Inputs()) < 1 {
				return 0, 0, fmt.Errorf("node #%d: cannot read the contracting axes of %q", n.Id(), desc)
			}
			lhs := n.Inputs()[0].Shape()
			contracted := 1
			for _, f := range strings.Fields(m[1]) {
				axis, err := strconv.Atoi(f)
				if err != nil || axis < 0 || axis >= lhs.Rank() {
					return 0, 0, fmt.Errorf("node #%d: contracting axis %q of a rank-%d operand in %q", n.Id(), f, lhs.Rank(), desc)
				}
				contracted *= lhs.Dimensions[axis]
			}
			flops += 2 * float64(n.Shape().Size()) * float64(contracted)
		}
	}
	return flops, convs, nil
}
