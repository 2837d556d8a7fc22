package logstore

// Compacting reports whether a compaction is under way, for tests that
// wait for the compactor to catch up with the writes.
func Compacting(s *Store) bool { return s.compactor.busy.Load() }
