package consumer

import (
	"sort"
	"sync"
)

// entityLocks serializes, within one process, the batches that touch the
// same entity, from reading its newest version to completing the batch, so
// that two concurrent batches cannot both apply updates out of order.
// Entities are always locked in sorted order, so batches cannot deadlock.
type entityLocks struct {
	mu    sync.Mutex
	locks map[string]*entityLock
}

type entityLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks every entity (sorted, distinct) and returns the unlock func.
func (l *entityLocks) lock(entities []string) func() {
	if len(entities) == 0 {
		return func() {}
	}
	sort.Strings(entities)
	held := make([]*entityLock, 0, len(entities))
	for _, e := range entities {
		l.mu.Lock()
		if l.locks == nil {
			l.locks = map[string]*entityLock{}
		}
		el := l.locks[e]
		if el == nil {
			el = &entityLock{}
			l.locks[e] = el
		}
		el.refs++
		l.mu.Unlock()
		el.mu.Lock()
		held = append(held, el)
	}
	return func() {
		for i, el := range held {
			el.mu.Unlock()
			l.mu.Lock()
			el.refs--
			if el.refs == 0 {
				delete(l.locks, entities[i])
			}
			l.mu.Unlock()
		}
	}
}
