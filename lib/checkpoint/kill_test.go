package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/metric-transfer/mtlp/lib/atomicfile"
	"github.com/metric-transfer/mtlp/lib/killpoint"
)

// helperEnv makes the test binary run saveTwice in the directory it names instead of the tests.
const helperEnv = "CHECKPOINT_TEST_SAVE_TWICE"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		if err := saveTwice(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// saveTwice saves testContext(1) at step 1, then testContext(2) at step 2.
func saveTwice(dir string) error {
	d, err := Open(dir, "test", testSettings())
	if err != nil {
		return err
	}
	defer d.Close()
	for step := 1; step <= 2; step++ {
		if _, err := d.Save(testContext(float32(step)), step, Training); err != nil {
			return err
		}
	}
	return nil
}

// TestKilledDuringSave kills a process with SIGKILL at each point of two saves (three per
// save: half the data written, the data synced, the manifest renamed) and checks what a run
// then loads: nothing, or exactly the last checkpoint whose manifest was renamed into place.
func TestKilledDuringSave(t *testing.T) {
	for kill, wantStep := range []int{0, 0, 1, 1, 1, 2} {
		t.Run(fmt.Sprintf("point %d", kill+1), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+dir, killpoint.EnvKillAt+fmt.Sprintf("=%d:checkpoint:", kill+1))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the saving process ended with %v, want SIGKILL:\n%s", err, out)
			}
			if kill == 0 {
				// Killed half way through the first data file: half of it is on disk, under a
				// temporary name that no reader takes for a checkpoint.
				m, err := open(t, t.TempDir()).Save(testContext(1), 1, Training)
				if err != nil {
					t.Fatal(err)
				}
				tmp, _ := filepath.Glob(filepath.Join(dir, ".ckpt-000001.bin"+atomicfile.TempMark+"*"))
				if len(tmp) != 1 {
					t.Fatalf("temporary files %v after a kill half way through the data, want one", tmp)
				}
				st, err := os.Stat(tmp[0])
				if err != nil {
					t.Fatal(err)
				}
				if st.Size() != m.Size/2 {
					t.Errorf("%d bytes on disk after a kill half way through the data, want %d", st.Size(), m.Size/2)
				}
			}
			d := open(t, dir)
			d.Warn = func(msg string) { t.Errorf("warning: %s", msg) }
			ctx := context.New()
			c, err := d.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if wantStep == 0 {
				if c != nil {
					t.Fatalf("loaded step %d, want no checkpoint", c.Step)
				}
				return
			}
			if c == nil || c.Step != int64(wantStep) {
				t.Fatalf("loaded %+v, want step %d", c, wantStep)
			}
			equalSnapshots(t, snapshot(t, ctx), snapshot(t, testContext(float32(wantStep))))
		})
	}
}
