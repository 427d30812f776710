// Package filelock holds exclusive advisory locks on files (flock(2)) between processes. The
// kernel releases a lock when its holder exits, however it exits, so a killed process never
// leaves a stale lock behind, and a lock that can be taken proves that whoever held it is gone.
package filelock

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Lock is an exclusive lock on one file, held until Unlock or the end of the process.
type Lock struct {
	f *os.File
}

// TryLock takes the lock on path (creating the file) if no other holder has it: ok is false,
// with a nil error, when another open file (in this process or another) holds it.
func TryLock(path string) (l *Lock, ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, true, nil
}

// Acquire takes the lock on path (creating the file), waiting for its holder to release it.
// waiting, if not nil, is called once before the wait, so that a caller can say what it waits for.
func Acquire(path string, waiting func()) (*Lock, error) {
	l, ok, err := TryLock(path)
	if err != nil || ok {
		return l, err
	}
	if waiting != nil {
		waiting()
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The lock file stays, so that the next holder locks the same file.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}

// flock retries flock(2) when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
