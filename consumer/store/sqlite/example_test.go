package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/store/sqlite"
)

// A listener claims the keys of a received batch, delivers the events it
// claimed, then completes them with the versions they carried. A
// redelivery of the same events finds them done.
func Example() {
	dir, err := os.MkdirTemp("", "herald-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := sqlite.Open(ctx, filepath.Join(dir, "consumer.db"), sqlite.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	keys := []string{"order-17/created", "order-18/created"}
	states, err := s.Claim(ctx, "listener-1", 30*time.Second, keys)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("first delivery:", states)

	// ... deliver the claimed events to their sinks, then:
	err = s.Complete(ctx, "listener-1", keys, []consumer.EntityVersion{
		{Entity: "order-17", Version: 1},
		{Entity: "order-18", Version: 1},
	})
	if err != nil {
		log.Fatal(err)
	}

	states, err = s.Claim(ctx, "listener-2", 30*time.Second, keys)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("redelivery:", states)

	versions, err := s.Versions(ctx, []string{"order-17", "order-99"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("versions:", versions)
	// Output:
	// first delivery: [claimed claimed]
	// redelivery: [done done]
	// versions: map[order-17:1]
}
