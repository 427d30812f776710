package filelock

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const helperEnv = "FILELOCK_TEST_HELPER"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		// Hold the lock, say so on stdout, and wait to be killed.
		if _, err := Acquire(path, nil); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestTryLockExcludesOtherHolders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	a, ok, err := TryLock(path)
	if err != nil || !ok {
		t.Fatalf("first TryLock: ok %t, %v", ok, err)
	}
	if _, ok, err := TryLock(path); err != nil || ok {
		t.Fatalf("second TryLock while held: ok %t, %v; want false, nil", ok, err)
	}
	released := make(chan struct{})
	var waited bool
	go func() {
		b, err := Acquire(path, func() { waited = true })
		if err != nil {
			t.Error(err)
		}
		b.Unlock()
		close(released)
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-released:
		t.Fatal("Acquire returned while the lock was held")
	default:
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	<-released
	if !waited {
		t.Error("Acquire did not report that it waited")
	}
}

// TestKilledHolderReleases kills a process that holds the lock and checks that the lock is
// free at once, with the lock file still there.
func TestKilledHolderReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("helper said %q, %v", buf, err)
	}
	if _, ok, err := TryLock(path); err != nil || ok {
		t.Fatalf("TryLock while the helper holds the lock: ok %t, %v", ok, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, ok, err := TryLock(path)
	if err != nil || !ok {
		t.Fatalf("TryLock after the holder was killed: ok %t, %v", ok, err)
	}
	l.Unlock()
}
