package artifact

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/filelock"
	"github.com/metric-transfer/mtlp/lib/killpoint"
)

// The helper process: the test binary run again with helperEnv set builds one key, as a stage
// of `mt quickstart` would, and reports on stdout.
const (
	helperEnv   = "ARTIFACT_TEST_HELPER" // the store's folder
	helperLog   = "ARTIFACT_TEST_LOG"    // a file outside the store: one line per build run
	helperSleep = "ARTIFACT_TEST_SLEEP"  // how long the build takes, as time.ParseDuration reads it
	helperHang  = "ARTIFACT_TEST_HANG"   // set: the build says "building" and waits to be killed
	helperKey   = "features-1"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		if err := helperMain(dir); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperPayload is what the helper's build writes: large enough (256 KB) that hashing and
// flushing it take a moment.
func helperPayload() []float32 { return testMatrix(256, 256) }

func helperMain(dir string) error {
	s, err := Open(dir)
	if err != nil {
		return err
	}
	s.Warn = func(msg string) { fmt.Fprintln(os.Stderr, msg) }
	sleep, _ := time.ParseDuration(os.Getenv(helperSleep))
	out, cached, err := s.Build(helperKey, func(dir string) error {
		if err := appendLine(os.Getenv(helperLog), fmt.Sprint(os.Getpid())); err != nil {
			return err
		}
		scratch, err := s.Scratch(helperKey)
		if err != nil {
			return err
		}
		if err := WriteJSON(filepath.Join(scratch, "step.json"), 1); err != nil {
			return err
		}
		if err := WriteFloat32s(filepath.Join(dir, "features.bin"), helperPayload(), 256, 256); err != nil {
			return err
		}
		if os.Getenv(helperHang) != "" {
			fmt.Println("building")
			// A sleep, not select{}: with every goroutine blocked, the runtime would end the
			// helper itself ("all goroutines are asleep"), racing the kill the test sends.
			time.Sleep(time.Hour)
		}
		time.Sleep(sleep)
		return WriteJSON(filepath.Join(dir, "timing.json"), sleep.Seconds())
	})
	if err != nil {
		return err
	}
	if _, _, _, err := ReadFloat32s(filepath.Join(out, "features.bin")); err != nil {
		return err
	}
	fmt.Printf("cached=%t\n", cached)
	return nil
}

// appendLine appends a line to path with one write, so that concurrent helpers do not mix.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// countLines counts the lines of path (0 if it does not exist).
func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// helper returns the command of a helper building in dir, logging its builds to log.
func helper(dir, log string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + dir, helperLog + "=" + log}, env...)...)
	return cmd
}

// TestProcessesBuildOnce starts three processes building one key on an empty store at once,
// several times: each time all succeed, the build runs once, and the others wait and read it.
func TestProcessesBuildOnce(t *testing.T) {
	const rounds, procs = 4, 3
	waited := 0
	for round := range rounds {
		dir, log := t.TempDir(), filepath.Join(t.TempDir(), "builds")
		cmds := make([]*exec.Cmd, procs)
		outs, errs := make([]bytes.Buffer, procs), make([]bytes.Buffer, procs)
		for i := range cmds {
			cmds[i] = helper(dir, log, helperSleep+"=300ms")
			cmds[i].Stdout, cmds[i].Stderr = &outs[i], &errs[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		fresh := 0
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("round %d, process %d: %v\n%s", round, i, err, errs[i].String())
			}
			if outs[i].String() == "cached=false\n" {
				fresh++
			}
			if strings.Contains(errs[i].String(), "waiting for another process building "+helperKey) {
				waited++
			}
		}
		if n := countLines(t, log); n != 1 || fresh != 1 {
			t.Fatalf("round %d: %d builds ran, %d processes computed the entry; want 1 and 1", round, n, fresh)
		}
		if l := leftovers(t, dir); len(l) > 0 {
			t.Errorf("round %d: temporary folders left: %v", round, l)
		}
	}
	if waited == 0 {
		t.Error("no process ever said that it waited for another")
	}
}

// TestKilledBuildIsSweptAndResumed kills a helper in the middle of a build (at each of the
// store's kill points, and while its build function runs), then opens the store and builds
// again: the killed build's temporary folder is gone, its scratch space is there to resume
// from unless its entry was already in place, and the entry is built once more only if the
// kill came before the rename.
func TestKilledBuildIsSweptAndResumed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		killAt  string // MT_KILL_AT; "" kills the helper from here while its build runs
		inPlace bool   // the entry was renamed into place before the kill
	}{
		{"in the build", "", false},
		{"manifest written", "1:manifest written", false},
		{"before the rename", "1:about to be renamed", false},
		{"after the rename", "1:entry renamed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, log := t.TempDir(), filepath.Join(t.TempDir(), "builds")
			cmd := helper(dir, log, killpoint.EnvKillAt+"="+tc.killAt)
			if tc.killAt == "" {
				cmd.Env = append(cmd.Env, helperHang+"=1")
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if line, err := bufio.NewReader(out).ReadString('\n'); line != "building\n" {
					t.Fatalf("helper said %q, %v", line, err)
				}
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
			} else if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("helper ended with %v; want killed", err)
			}
			if got := len(leftovers(t, dir)) > 0; got == tc.inPlace {
				t.Fatalf("after the kill, temporary folders: %v; want them only before the rename", leftovers(t, dir))
			}

			s, _ := openQuiet(t, dir)
			if l := leftovers(t, dir); len(l) > 0 {
				t.Errorf("Open left the killed build's temporary folders: %v", l)
			}
			scratch := filepath.Join(dir, "scratch", helperKey, "step.json")
			if _, err := os.Stat(scratch); (err == nil) == tc.inPlace {
				t.Errorf("scratch space after Open: %v; want it kept only while the entry is not built", err)
			}
			out, cached, err := s.Build(helperKey, func(dir string) error {
				if _, err := os.Stat(scratch); err != nil {
					return fmt.Errorf("nothing to resume from: %w", err)
				}
				return WriteFloat32s(filepath.Join(dir, "features.bin"), helperPayload(), 256, 256)
			})
			if err != nil || cached != tc.inPlace {
				t.Fatalf("rerun: cached %t, %v; want cached %t", cached, err, tc.inPlace)
			}
			if got, _, _, err := ReadFloat32s(filepath.Join(out, "features.bin")); err != nil || got[len(got)-1] != helperPayload()[len(got)-1] {
				t.Errorf("rerun's entry: %v", err)
			}
			if _, err := os.Stat(filepath.Dir(scratch)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("scratch space still there after the rerun: %v", err)
			}
			if n := countLines(t, log); n != 1 {
				t.Errorf("the killed helper ran its build %d times", n)
			}
		})
	}
}

// TestOpenSweepsOnlyFreeKeys leaves temporary folders as killed builds (of this code and of
// older code) do, one of them of a key whose lock another process holds: Open removes the
// others and leaves that one, which it removes once the lock is free.
func TestOpenSweepsOnlyFreeKeys(t *testing.T) {
	dir := t.TempDir()
	// A finished entry whose process was killed before it removed its scratch space, and a
	// scratch space of an entry not yet built.
	s, _ := openQuiet(t, dir)
	if _, _, err := s.Build("d-4", func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a-1.tmp-4242-17", "a-1.tmp-99", "b-2.tmp-4242-18", "c-3.tmp-1-1"} {
		if err := os.MkdirAll(filepath.Join(dir, name, "metric"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"d-4", "e-5"} {
		if err := os.MkdirAll(filepath.Join(dir, "scratch", key), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "locks"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Held through an open file of its own, as another process would hold it.
	held, err := filelock.Acquire(filepath.Join(dir, "locks", "c-3.lock"), nil)
	if err != nil {
		t.Fatal(err)
	}
	exists := func(rel string) bool { _, err := os.Stat(filepath.Join(dir, rel)); return err == nil }
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]bool{"a-1.tmp-4242-17": false, "a-1.tmp-99": false, "b-2.tmp-4242-18": false,
		"c-3.tmp-1-1": true, "scratch/d-4": false, "scratch/e-5": true, "d-4/" + ManifestName: true} {
		if exists(rel) != want {
			t.Errorf("after Open with c-3 locked: %s there: %t, want %t", rel, !want, want)
		}
	}
	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if exists("c-3.tmp-1-1") {
		t.Error("Open kept c-3's temporary folder after its lock was released")
	}
}
