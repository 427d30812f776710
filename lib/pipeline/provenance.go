package pipeline

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
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

// String is a one-line form for a table note; its command leaves out the machine's folders
// (Reproducible).
func (p Provenance) String() string {
	return fmt.Sprintf("commit %s · backend %s · %s · %s · scale %s · %.0f s · `%s`",
		p.Commit, p.Backend, p.Device, p.Date, p.Scale, p.Seconds, Reproducible(p.Command))
}

// MachineFlags are the flags of mt that name a folder of the machine a command runs on: where
// the data, the cache, the checkpoints and the results are. They change no number, so the
// command a result records as the one that reproduces it leaves them out.
var MachineFlags = []string{"data-dir", "cache-dir", "checkpoint-dir", "publish", "export", "resume-from"}

// Reproducible is a recorded command line without its MachineFlags and their values, as -flag
// value or --flag=value: what a note shows of a result recorded before commands left them out
// (the GPU runs name folders of the machine that ran them). A command without them is
// returned as it is.
func Reproducible(command string) string {
	fields := strings.Fields(command)
	out := make([]string, 0, len(fields))
	dropped := false
	for i := 0; i < len(fields); i++ {
		name, _, withValue := strings.Cut(strings.TrimLeft(fields[i], "-"), "=")
		if strings.HasPrefix(fields[i], "-") && slices.Contains(MachineFlags, name) {
			if !withValue {
				i++ // the value
			}
			dropped = true
			continue
		}
		out = append(out, fields[i])
	}
	if !dropped {
		return command
	}
	return strings.Join(out, " ")
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
