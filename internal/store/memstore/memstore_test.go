package memstore_test

import (
	"sync"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	stores := map[string]*memstore.Store{}
	storetest.Run(t, func(t *testing.T, dir string) queue.Store {
		mu.Lock()
		defer mu.Unlock()
		// Reopening the same dir returns the same store, as after a restart.
		if s, ok := stores[dir]; ok {
			return s
		}
		s := memstore.New()
		stores[dir] = s
		return s
	})
}
