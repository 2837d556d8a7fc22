package postgres_test

import (
	"testing"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/store/postgres"
	"github.com/herald-dev/herald/publisher/store/storetest"
)

func TestConformance(t *testing.T) {
	url := testURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(t.Context(), url, postgres.Options{Schema: newSchema(t, url), MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
