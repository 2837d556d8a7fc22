package logstore

import (
	"fmt"
	"os"
	"syscall"
)

// datasync flushes f's data (and the metadata needed to read it back, such
// as its size) to stable storage: fdatasync, which skips the timestamps.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// lockDir takes an exclusive lock on dir's LOCK file, so that two processes
// never write one log. The lock lasts until the returned file is closed.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir+"/LOCK", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("logstore: %s is in use by another process: %w", dir, err)
	}
	return f, nil
}
