//go:build !linux

package logstore

import "os"

// datasync flushes f to stable storage.
func datasync(f *os.File) error { return f.Sync() }

// lockDir opens dir's LOCK file; other systems get no lock.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(dir+"/LOCK", os.O_CREATE|os.O_RDWR, 0o644)
}
