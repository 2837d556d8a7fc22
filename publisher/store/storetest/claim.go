package storetest

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/herald-dev/herald/publisher/store"
)

func testClaimDue(h *harness) {
	h.create(sub("sub-a", "t1"))
	h.wantClaim("A", minute, 10, h.base) // nothing yet
	d1 := h.deliver("sub-a", "1")
	d2 := h.deliver("sub-a", "2")
	got := h.wantClaim("A", minute, 10, h.base, d1, d2)
	for _, d := range got {
		if d.Event == nil {
			h.t.Fatalf("Claim: delivery %s without its Event", d.ID)
		}
		e, err := h.s.GetEvent(h.ctx, d.EventID)
		if err != nil {
			h.t.Fatal(err)
		}
		if diff := sameEvent(d.Event, e); diff != "" {
			h.t.Fatalf("Claim: delivery %s: Event %s", d.ID, diff)
		}
		if d.State != store.StatePending || d.SubscriptionID != "sub-a" || d.Sequence != 1 || d.EntityID != d.Event.EntityID {
			h.t.Fatalf("Claim: delivery %+v", d)
		}
	}
	// Claimed: not returned again while leased, to anyone.
	h.wantClaim("A", minute, 10, h.base)
	h.wantClaim("B", minute, 10, h.base.Add(30*time.Second))

	// A delivery due later (Retry) is not due before its time and is due
	// at it ("not after now").
	next := h.base.Add(10 * minute)
	h.finish("A", 2, result(d1, store.Retry, next, "boom"), result(d2, store.Released, next.Add(minute), ""))
	h.wantClaim("A", minute, 10, h.base)
	h.wantClaim("A", minute, 10, next.Add(-time.Microsecond))
	h.wantClaim("A", hour, 10, next, d1)
	h.wantClaim("B", minute, 10, next.Add(minute), d2)
}

func testClaimLimitAndOrder(h *harness) {
	h.create(sub("sub-a", "t1"))
	var ids []string
	for i := range 6 {
		ids = append(ids, h.deliver("sub-a", fmt.Sprint(i)))
	}
	// Due at different times: ids[5] first, ids[0] last.
	h.wantClaim("A", minute, 0, h.base)
	h.wantClaim("A", minute, 6, h.base, ids...)
	var results []store.Result
	for i, id := range ids {
		results = append(results, result(id, store.Released, h.base.Add(time.Duration(10-i)*time.Second), ""))
	}
	h.finish("A", 6, results...)
	later := h.base.Add(minute)
	h.wantClaim("A", minute, 2, later, ids[5], ids[4])
	h.wantClaim("B", minute, 3, later, ids[3], ids[2], ids[1])
	h.wantClaim("C", minute, 3, later, ids[0])
	h.wantClaim("C", minute, 3, later)
}

func testClaimEntityOrder(h *harness) {
	h.create(sub("sub-a", "t1"))
	h.create(sub("sub-b", "t1"))
	// Entity photo/1 has three events to sub-a and sub-b; photo/2 one;
	// video/1 (same entity id, other type) one; t2's photo/1 one.
	e1 := h.newEvent("t1", "photo", "1", "sub-a", "sub-b")
	e2 := h.newEvent("t1", "photo", "1", "sub-a", "sub-b")
	e3 := h.newEvent("t1", "photo", "1", "sub-a")
	p2 := h.newEvent("t1", "photo", "2", "sub-a")
	v1 := h.newEvent("t1", "video", "1", "sub-a")
	t2 := h.newEvent("t2", "photo", "1", "sub-a")
	h.append(e1, e2)
	h.append(e3, p2, v1, t2)
	a1, b1, a2, b2, a3 := e1.DeliveryIDs[0], e1.DeliveryIDs[1], e2.DeliveryIDs[0], e2.DeliveryIDs[1], e3.DeliveryIDs[0]

	// Only the first of each subscription and entity, whatever the limit.
	h.wantClaim("A", hour, 100, h.base, a1, b1, p2.DeliveryIDs[0], v1.DeliveryIDs[0], t2.DeliveryIDs[0])
	// A claimed earlier delivery blocks too.
	h.wantClaim("B", hour, 100, h.base)
	// Delivered unblocks the next; Retry does not (still pending, due
	// later), and it blocks even once its lease ended.
	h.finish("A", 5, result(a1, store.Delivered, time.Time{}, ""), result(b1, store.Retry, h.base.Add(hour), "503"),
		result(p2.DeliveryIDs[0], store.Delivered, time.Time{}, ""), result(v1.DeliveryIDs[0], store.Delivered, time.Time{}, ""),
		result(t2.DeliveryIDs[0], store.Delivered, time.Time{}, ""))
	h.wantClaim("B", hour, 100, h.base, a2)
	h.wantClaim("B", hour, 100, h.base.Add(10*minute))
	// Dead unblocks as well.
	h.finish("B", 1, result(a2, store.Dead, time.Time{}, "410 gone"))
	h.wantClaim("B", hour, 100, h.base.Add(10*minute), a3)
	// Released blocks until it is due again and delivered.
	h.finish("B", 1, result(a3, store.Released, h.base, ""))
	h.wantClaim("C", hour, 100, h.base.Add(10*minute), a3)
	// sub-b's retry is due in an hour; its second delivery waits for it.
	h.wantClaim("C", hour, 100, h.base.Add(hour), b1)
	h.finish("C", 1, result(b1, store.Delivered, time.Time{}, ""))
	h.wantClaim("C", hour, 100, h.base.Add(hour), b2)

	// Sequence decides, not the delivery id: here the later event's
	// delivery has the smaller id.
	first, second := h.newEvent("t1", "photo", "8", "sub-a"), h.newEvent("t1", "photo", "8", "sub-a")
	first.DeliveryIDs[0], second.DeliveryIDs[0] = "zz-first", "aa-second"
	h.append(first, second)
	h.wantClaim("D", hour, 100, h.base, "zz-first")
}

func testClaimLease(h *harness) {
	h.create(sub("sub-a", "t1"))
	d1 := h.deliver("sub-a", "1")
	d2 := h.deliver("sub-a", "2")
	t0 := h.base
	h.wantClaim("A", minute, 1, t0, d1)
	h.wantClaim("B", minute, 1, t0.Add(time.Second), d2)
	h.wantClaim("C", minute, 10, t0.Add(59*time.Second))
	// A's lease ends at t0+1m: "no lease unexpired at now".
	h.wantClaim("C", minute, 10, t0.Add(minute), d1)
	// C holds it now; B's lease still runs.
	h.wantClaim("A", minute, 10, t0.Add(minute))
	h.wantClaim("A", minute, 10, t0.Add(90*time.Second), d2)
	// A's result for d1 is skipped: C claimed it after A's lease ended.
	h.finish("A", 0, result(d1, store.Delivered, time.Time{}, ""))
	if d := h.delivery(d1); d.State != store.StatePending || d.Attempts != 0 {
		h.t.Fatalf("after a result from a former owner: %+v", d)
	}
	h.finish("C", 1, result(d1, store.Delivered, time.Time{}, ""))
	// B's lease on d2 expired, but A claimed d2 since: B is skipped.
	h.finish("B", 0, result(d2, store.Dead, time.Time{}, "x"))
	// A's lease on d2 expired too, and nobody claimed it since: A's result
	// still counts.
	h.finish("A", 1, result(d2, store.Retry, t0.Add(hour), "later"))
	if d := h.delivery(d2); d.State != store.StatePending || d.Attempts != 1 || d.LastError != "later" {
		h.t.Fatalf("after a result from the owner of an expired lease: %+v", d)
	}
}

func testClaimConcurrent(h *harness) {
	h.create(sub("sub-a", "t1"))
	h.create(sub("sub-b", "t1"))
	const n = 500
	var batch []store.NewEvent
	for i := range n {
		batch = append(batch, h.newEvent("t1", "photo", fmt.Sprint(i), "sub-a", "sub-b"))
		if len(batch) == 100 {
			h.append(batch...)
			batch = nil
		}
	}
	const workers = 8
	var (
		mu    sync.Mutex
		seen  = map[string]string{}
		wg    sync.WaitGroup
		errs  = make(chan error, workers)
		start = make(chan struct{})
	)
	for w := range workers {
		owner := fmt.Sprintf("owner-%d", w)
		wg.Go(func() {
			<-start
			for {
				got, err := h.s.Claim(h.ctx, owner, hour, 7, h.base)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					if prev, ok := seen[d.ID]; ok {
						errs <- fmt.Errorf("delivery %s claimed by %s and %s", d.ID, prev, owner)
					}
					seen[d.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		h.t.Error(err)
	}
	if len(seen) != 2*n {
		h.t.Fatalf("%d deliveries claimed, want %d", len(seen), 2*n)
	}
}

func testConcurrentAppend(h *harness) {
	h.create(sub("sub-a", "t1"))
	taken := h.newEvent("t1", "photo", "0", "sub-a")
	h.append(taken)
	const workers, calls, perCall, entities = 8, 15, 10, 7
	type call struct {
		batch []store.NewEvent
		bad   bool
		err   error
	}
	all := make([][]*call, workers)
	for w := range all {
		for c := range calls {
			cl := &call{bad: (w+c)%3 == 0}
			for i := range perCall {
				cl.batch = append(cl.batch, h.newEvent("t1", "photo", fmt.Sprint((w+c+i)%entities), "sub-a"))
			}
			if cl.bad { // its last event reuses a stored id
				cl.batch[perCall-1].Event.ID = taken.Event.ID
			}
			all[w] = append(all[w], cl)
		}
	}
	var wg sync.WaitGroup
	for _, mine := range all {
		wg.Go(func() {
			for _, cl := range mine {
				_, cl.err = h.s.Append(h.ctx, cl.batch)
			}
		})
	}
	wg.Wait()
	seqs := map[string][]int64{}
	for _, mine := range all {
		for _, cl := range mine {
			if cl.bad != (cl.err != nil) {
				h.t.Fatalf("concurrent Append (bad=%v): error %v", cl.bad, cl.err)
			}
			mine := cl.batch
			if cl.bad {
				mine = mine[:perCall-1] // not the one with the stored id
			}
			for _, ne := range mine {
				got, err := h.s.GetEvent(h.ctx, ne.Event.ID)
				switch {
				case cl.bad && err == nil:
					h.t.Fatalf("event %s of a failed Append was stored", ne.Event.ID)
				case !cl.bad && err != nil:
					h.t.Fatalf("event %s of a successful Append: %v", ne.Event.ID, err)
				case !cl.bad:
					seqs[got.EntityID] = append(seqs[got.EntityID], got.Sequence)
					if n := len(h.listDeliveries(store.DeliveryFilter{EventID: got.ID})); n != 1 {
						h.t.Fatalf("event %s has %d deliveries", got.ID, n)
					}
				}
			}
		}
	}
	// Every entity's sequence numbers are 1..n (entity 0 starts at 2), no
	// gaps, no repeats.
	for entity, got := range seqs {
		slices.Sort(got)
		first := int64(1)
		if entity == "0" {
			first = 2
		}
		for i, n := range got {
			if n != first+int64(i) {
				h.t.Fatalf("entity %s: sequences %v, want %d..%d", entity, got, first, first+int64(len(got))-1)
			}
		}
	}
}
