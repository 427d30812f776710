package artifact

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/metric-transfer/mtlp/lib/filelock"
)

// A key's lock is two locks: a mutex for the goroutines of this process and a flock(2) on
// <dir>/locks/<key>.lock for the other processes. flock alone would also keep two goroutines
// apart (each opens the file anew), but the mutex lets the store say which one it waits for and
// know, for Scratch, that this process holds the key.

// localLocks maps a lock file's absolute path to its *localLock, for every Store of the process.
var localLocks sync.Map

// localLock is the in-process half of a key's lock.
type localLock struct {
	mu   sync.Mutex
	held atomic.Bool // whether a goroutine holds mu and the flock, for Scratch's check
}

// keyLock is a held lock on one key of one store.
type keyLock struct {
	local *localLock
	file  *filelock.Lock
}

// lockPath returns the file whose flock stands for key.
func (s *Store) lockPath(key string) string { return filepath.Join(s.Dir, "locks", key+".lock") }

// local returns the in-process lock of key, shared by every Store of the process opened on the
// same folder.
func (s *Store) local(key string) (*localLock, error) {
	abs, err := filepath.Abs(s.lockPath(key))
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", key, err)
	}
	l, _ := localLocks.LoadOrStore(abs, &localLock{})
	return l.(*localLock), nil
}

// lock takes key's lock, waiting for any goroutine or process that holds it, and says once
// through the store's hook what it waits for.
func (s *Store) lock(key string) (*keyLock, error) {
	local, err := s.local(key)
	if err != nil {
		return nil, err
	}
	if !local.mu.TryLock() {
		s.warn(fmt.Sprintf("artifact cache: waiting for another goroutine of this process building %s", key))
		local.mu.Lock()
	}
	path := s.lockPath(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		local.mu.Unlock()
		return nil, fmt.Errorf("artifact %s: creating the lock folder: %w", key, err)
	}
	f, err := filelock.Acquire(path, func() {
		s.warn(fmt.Sprintf("artifact cache: waiting for another process building %s (it holds %s)", key, path))
	})
	if err != nil {
		local.mu.Unlock()
		return nil, fmt.Errorf("artifact %s: %w", key, err)
	}
	local.held.Store(true)
	return &keyLock{local: local, file: f}, nil
}

// tryLock takes key's lock if nobody holds it; ok is false when a goroutine or a process does.
func (s *Store) tryLock(key string) (l *keyLock, ok bool, err error) {
	local, err := s.local(key)
	if err != nil {
		return nil, false, err
	}
	if !local.mu.TryLock() {
		return nil, false, nil
	}
	path := s.lockPath(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		local.mu.Unlock()
		return nil, false, fmt.Errorf("artifact %s: creating the lock folder: %w", key, err)
	}
	f, ok, err := filelock.TryLock(path)
	if err != nil || !ok {
		local.mu.Unlock()
		return nil, false, err
	}
	local.held.Store(true)
	return &keyLock{local: local, file: f}, true, nil
}

// unlock releases the lock. The lock file stays: removing it would let two processes lock two
// different files of the same name.
func (l *keyLock) unlock() {
	_ = l.file.Unlock() // closing a file open for reading only; the flock goes with it regardless
	l.local.held.Store(false)
	l.local.mu.Unlock()
}

// holds reports whether some goroutine of this process holds key's lock.
func (s *Store) holds(key string) bool {
	local, err := s.local(key)
	return err == nil && local.held.Load()
}
