package nets

import (
	"strings"
	"testing"
)

// NetNames and Networks must name the same backbones; an unknown name is an error that names it
// and the known ones.
func TestLookupNetwork(t *testing.T) {
	if len(NetNames) != len(Networks) {
		t.Errorf("NetNames has %d names, Networks %d entries", len(NetNames), len(Networks))
	}
	for _, name := range NetNames {
		if _, err := LookupNetwork(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := LookupNetwork("vgg")
	if err == nil || !strings.Contains(err.Error(), `"vgg"`) || !strings.Contains(err.Error(), strings.Join(NetNames, " ")) {
		t.Errorf(`LookupNetwork("vgg"): error %v, want one naming "vgg" and %v`, err, NetNames)
	}
}
