// Package commit names the code a result or a checkpoint came from, for the provenance that
// published results and checkpoint directories record.
package commit

import (
	"os"
	"os/exec"
	"strings"
)

// Env names the environment variable that supplies the commit of a binary built elsewhere (for
// a GPU machine, say); it wins over the repository the binary runs in, whose checkout may be
// older.
const Env = "MT_COMMIT"

// Current returns $MT_COMMIT when it is set, else the short commit of the repository around the
// working directory, with "-dirty" when tracked files outside figures/ have changes, else
// "unknown".
func Current() string {
	// A binary built elsewhere knows its commit better than whatever repository it runs in.
	if c := os.Getenv(Env); c != "" {
		return c
	}
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	// Changes under figures/ are results (a run that publishes several of them changes it
	// itself), not code: they do not make the tree dirty.
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--",
		":(top)", ":(top,exclude)figures").Output(); err == nil && len(st) > 0 {
		commit += "-dirty"
	}
	return commit
}
