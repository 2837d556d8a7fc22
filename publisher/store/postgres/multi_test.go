package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher/store"
)

// TestClaimAcrossInstances has 2 Stores on one schema (two publishers)
// claim from 8 goroutines each: no delivery is handed out twice while its
// lease runs, and every one is handed out.
func TestClaimAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := instances(t, 2, 8)
	createSub(t, st[0], "sub-a", "acme")
	createSub(t, st[0], "sub-b", "acme")
	const events = 3000
	want := make(map[string]bool)
	for i := 0; i < events; i += 100 {
		batch := make([]store.NewEvent, 0, 100)
		for j := range 100 {
			batch = append(batch, newEvent("acme", fmt.Sprint(i+j), "sub-a", "sub-b"))
		}
		if _, err := st[i/100%2].Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
		for _, ne := range batch {
			for _, id := range ne.DeliveryIDs {
				want[id] = true
			}
		}
	}

	var (
		mu     sync.Mutex
		got    = make(map[string]string) // delivery id → owner that claimed it
		dupes  []string
		wg     sync.WaitGroup
		now    = time.Now().Add(time.Second)
		failed = make(chan error, 16)
	)
	for i := range 16 {
		s := st[i%2]
		owner := fmt.Sprintf("relay-%d", i)
		wg.Go(func() {
			for {
				ds, err := s.Claim(ctx, owner, time.Hour, 37, now)
				if err != nil {
					failed <- err
					return
				}
				if len(ds) == 0 {
					return
				}
				results := make([]store.Result, len(ds))
				mu.Lock()
				for k, d := range ds {
					if prev, ok := got[d.ID]; ok {
						dupes = append(dupes, fmt.Sprintf("%s by %s and %s", d.ID, prev, owner))
					}
					got[d.ID] = owner
					results[k] = store.Result{DeliveryID: d.ID, Outcome: store.Delivered, StartedAt: now}
				}
				mu.Unlock()
				n, err := s.Finish(ctx, owner, results)
				if err != nil {
					failed <- err
					return
				}
				if n != len(results) {
					failed <- fmt.Errorf("%s: Finish applied %d of %d", owner, n, len(results))
					return
				}
			}
		})
	}
	wg.Wait()
	close(failed)
	for err := range failed {
		t.Error(err)
	}
	if len(dupes) > 0 {
		t.Fatalf("%d deliveries claimed twice, e.g. %s", len(dupes), dupes[0])
	}
	if len(got) != len(want) {
		t.Fatalf("claimed %d deliveries, want %d", len(got), len(want))
	}
	stats, err := st[1].Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Delivered != int64(len(want)) || stats.Pending != 0 || stats.Events != events {
		t.Fatalf("Stats = %+v", stats)
	}
}

// TestEntityOrderAcrossInstances appends many events of a few entities
// and has two Stores' claimers deliver them, failing some attempts: a
// delivery is never handed out while another of its subscription and
// entity is, and each pair's deliveries are delivered in sequence order.
func TestEntityOrderAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := instances(t, 2, 8)
	createSub(t, st[0], "sub-a", "acme")
	createSub(t, st[0], "sub-b", "acme")
	const entities, perEntity = 5, 60
	for round := range perEntity / 10 {
		batch := make([]store.NewEvent, 0, entities*10)
		for k := range 10 {
			for e := range entities {
				subs := []string{"sub-a", "sub-b"}
				if k%3 == 0 {
					subs = subs[:1]
				}
				batch = append(batch, newEvent("acme", fmt.Sprint(e), subs...))
			}
		}
		if _, err := st[round%2].Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}

	type key struct{ sub, entity string }
	var (
		mu        sync.Mutex
		inFlight  = make(map[key]string)
		delivered = make(map[key][]int64)
		problems  []string
		wg        sync.WaitGroup
		now       = time.Now().Add(time.Second)
		failed    = make(chan error, 8)
	)
	for i := range 8 {
		s := st[i%2]
		owner := fmt.Sprintf("relay-%d", i)
		wg.Go(func() {
			idle := 0
			for n := 0; idle < 20; n++ {
				ds, err := s.Claim(ctx, owner, time.Hour, 4, now)
				if err != nil {
					failed <- err
					return
				}
				if len(ds) == 0 {
					idle++
					time.Sleep(time.Millisecond)
					continue
				}
				idle = 0
				results := make([]store.Result, len(ds))
				mu.Lock()
				for j, d := range ds {
					k := key{d.SubscriptionID, d.EntityID}
					if other, busy := inFlight[k]; busy {
						problems = append(problems, fmt.Sprintf("%v: %s claimed while %s is", k, d.ID, other))
					}
					inFlight[k] = d.ID
					results[j] = store.Result{DeliveryID: d.ID, Outcome: store.Delivered, StartedAt: now}
					if (n+j)%4 == 1 { // fail some: they are retried at once
						results[j] = store.Result{DeliveryID: d.ID, Outcome: store.Retry, NextAttemptAt: now,
							Error: "503", StartedAt: now}
					} else {
						delivered[k] = append(delivered[k], d.Sequence)
					}
				}
				// Out of flight before Finish: the store still holds
				// them pending until it returns, so the check is strict.
				for _, d := range ds {
					delete(inFlight, key{d.SubscriptionID, d.EntityID})
				}
				mu.Unlock()
				if _, err := s.Finish(ctx, owner, results); err != nil {
					failed <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(failed)
	for err := range failed {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	total := 0
	for k, seqs := range delivered {
		total += len(seqs)
		if !slices.IsSorted(seqs) {
			t.Errorf("%v delivered out of order: %v", k, seqs)
		}
	}
	if want := entities*perEntity + entities*perEntity*6/10; total != want {
		t.Errorf("delivered %d, want %d", total, want)
	}
}

// TestAppendSequencesAcrossInstances appends events of a few entities from
// goroutines of two Stores at once, some events with idempotency keys used
// twice: each entity's stored events are numbered 1, 2, 3, ... without gap
// or repeat, duplicates take no number, and each key is stored once.
func TestAppendSequencesAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := instances(t, 2, 6)
	createSub(t, st[0], "sub-a", "acme")
	const goroutines, batches, perBatch, entities = 12, 15, 20, 4
	var (
		wg       sync.WaitGroup
		failed   = make(chan error, goroutines)
		mu       sync.Mutex
		byKey    = make(map[string]string) // idempotency key → stored event id
		keyUsers = make(map[string]int)
		stored   int
	)
	for g := range goroutines {
		s := st[g%2]
		wg.Go(func() {
			for b := range batches {
				batch := make([]store.NewEvent, perBatch)
				for i := range batch {
					batch[i] = newEvent("acme", fmt.Sprint((g+i)%entities), "sub-a")
					if i%5 == 0 { // goroutines g and g^1 use the same keys
						batch[i].IdempotencyKey = fmt.Sprintf("k-%d-%d-%d", g/2, b, i)
					}
				}
				out, err := s.Append(ctx, batch)
				if err != nil {
					failed <- err
					return
				}
				mu.Lock()
				for i, a := range out {
					if !a.Duplicate {
						stored++
						if a.Event != batch[i].Event || a.Event.Sequence == 0 {
							failed <- fmt.Errorf("event %d: Appended %+v", i, a)
						}
					}
					k := batch[i].IdempotencyKey
					if k == "" {
						continue
					}
					keyUsers[k]++
					if prev, ok := byKey[k]; ok && prev != a.Event.ID {
						failed <- fmt.Errorf("key %s: events %s and %s", k, prev, a.Event.ID)
					}
					byKey[k] = a.Event.ID
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(failed)
	for err := range failed {
		t.Fatal(err)
	}
	wantStored := goroutines*batches*perBatch - len(byKey)
	if stored != wantStored {
		t.Errorf("%d events stored, want %d", stored, wantStored)
	}
	total := 0
	for e := range entities {
		evs, err := st[0].ListEvents(ctx, store.EventFilter{Tenant: "acme", EntityType: "photo", EntityID: fmt.Sprint(e)})
		if err != nil {
			t.Fatal(err)
		}
		seqs := make([]int64, len(evs))
		for i, ev := range evs {
			seqs[i] = ev.Sequence
		}
		slices.Sort(seqs)
		for i, seq := range seqs {
			if seq != int64(i+1) {
				t.Fatalf("entity %d: sequences %v are not 1..%d", e, seqs, len(seqs))
			}
		}
		total += len(evs)
	}
	if total != wantStored {
		t.Errorf("%d events listed, want %d", total, wantStored)
	}
	for k, n := range keyUsers {
		if n != 2 {
			t.Errorf("key %s seen %d times", k, n)
		}
	}
}
