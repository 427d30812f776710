package pipeline

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/metric-transfer/mtlp/lib/commit"
)

// Provenance says where a published number came from: the code, the machine, the scale and
// the command that reproduces it.
type Provenance struct {
	Commit  string  `json:"commit"`
	Backend string  `json:"backend"`
	Device  string  `json:"device"`
	Date    string  `json:"date"`
	Scale   string  `json:"scale"`
	Seconds float64 `json:"seconds"`
	Command string  `json:"command"`
}

// NewProvenance fills in the commit (with "-dirty" when the work tree has changes), the
// device and the date; the caller supplies the backend, scale, duration and command.
func NewProvenance(backend, scale string, seconds float64, command string) Provenance {
	return Provenance{Commit: commit.Current(), Backend: backend, Device: device(backend), Date: time.Now().UTC().Format(time.RFC3339),
		Scale: scale, Seconds: seconds, Command: command}
}

// String is a one-line form for a table note.
func (p Provenance) String() string {
	return fmt.Sprintf("commit %s · backend %s · %s · %s · scale %s · %.0f s · `%s`",
		p.Commit, p.Backend, p.Device, p.Date, p.Scale, p.Seconds, p.Command)
}

// device describes the accelerator when the backend is XLA and nvidia-smi names a GPU, and
// otherwise the CPU: its model name from /proc/cpuinfo and the number of cores Go uses.
func device(backend string) string {
	if strings.Contains(strings.ToLower(backend), "xla") || strings.Contains(strings.ToLower(backend), "hlo") {
		if out, err := exec.Command("nvidia-smi", "--query-gpu=name", "--format=csv,noheader").Output(); err == nil {
			if gpu := strings.TrimSpace(strings.Split(string(out), "\n")[0]); gpu != "" {
				return gpu
			}
		}
	}
	name := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				name = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores", name, runtime.NumCPU())
}
