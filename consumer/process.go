package consumer

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
)

// item is one event on its way through Process.
type item struct {
	ev  *Event
	msg int // index of its message in the batch

	route   *Route
	invalid error // validation, key or version failure: quarantine

	entity     string
	version    int64
	hasVersion bool

	dupOf   *item // an earlier event of the batch with the same key
	claimed bool
	outcome Outcome
	reason  error
}

// Process runs msgs through the pipeline and returns one Outcome per
// message: Failed when any of its events failed retriably (the message must
// be redelivered), else an acknowledged outcome.
func (p *Pipeline) Process(ctx context.Context, msgs []*Message) []Outcome {
	p.stats.messages.Add(uint64(len(msgs)))
	p.stats.inFlight.Add(int64(len(msgs)))
	defer p.stats.inFlight.Add(-int64(len(msgs)))
	p.noteLag(msgs)

	var items []*item
	for i, m := range msgs {
		evs, msgDoc := p.events(m)
		for _, ev := range evs {
			items = append(items, p.prepare(ev, i, msgDoc))
		}
	}
	p.stats.events.Add(uint64(len(items)))

	// Each call claims under an owner of its own, so that two batches of
	// this pipeline holding the same key exclude each other too.
	owner := p.cfg.Owner + "/" + strconv.FormatUint(p.batches.Add(1), 10)
	claimed := p.claim(ctx, owner, items)
	stopRenew := p.renew(ctx, owner, claimed)
	p.deliverAll(ctx, owner, items, claimed)
	stopRenew()

	out := make([]Outcome, len(msgs))
	seen := make([]bool, len(msgs))
	for i := range out {
		out[i] = Unrouted // a message without events
	}
	for _, it := range items {
		if it.dupOf != nil {
			it.outcome = Duplicate
			if it.dupOf.outcome == Failed {
				it.outcome = Failed
			}
		}
		p.stats.outcomes[it.outcome].Add(1)
		switch {
		case it.outcome == Failed:
			out[it.msg] = Failed
		case out[it.msg] == Failed:
		case !seen[it.msg] || it.outcome == Delivered:
			out[it.msg] = it.outcome
		}
		seen[it.msg] = true
	}
	return out
}

// noteLag records how long the newest message waited in its queue.
func (p *Pipeline) noteLag(msgs []*Message) {
	for _, m := range msgs {
		ms, err := strconv.ParseInt(m.SystemAttributes["SentTimestamp"], 10, 64)
		if err != nil || m.ReceivedAt.IsZero() {
			continue
		}
		lag := m.ReceivedAt.Sub(time.UnixMilli(ms))
		if lag < 0 {
			lag = 0
		}
		p.stats.lastLagNano.Store(int64(lag))
	}
}

// events unwraps m and splits it into its events; it also returns the
// unwrapped body's decoded JSON (nil when it is not JSON).
func (p *Pipeline) events(m *Message) ([]*Event, any) {
	u := unwrap(m)
	base := Event{
		Message: m, Body: u.body, Index: -1, MessageID: u.messageID,
		Subject: u.subject, TopicArn: u.topicArn, Attributes: u.attributes,
	}
	doc, err := DecodeJSON(u.body)
	if err == nil {
		base.Doc = doc
	}
	if p.cfg.Split.IsZero() || base.Doc == nil {
		return []*Event{&base}, base.Doc
	}
	vals := p.cfg.Split.Values(base.Doc)
	if len(vals) == 1 {
		if arr, ok := vals[0].([]any); ok {
			vals = arr
		}
	}
	if len(vals) == 0 {
		p.log.Info("message holds no events", "message_id", base.MessageID, "split", p.cfg.Split.String())
		return nil, base.Doc
	}
	evs := make([]*Event, len(vals))
	for i, v := range vals {
		ev := base
		ev.Doc, ev.Index = v, i
		if b, err := json.Marshal(v); err == nil {
			ev.Body = b
		}
		evs[i] = &ev
	}
	return evs, base.Doc
}

// prepare validates ev and reads its key, entity and version.
func (p *Pipeline) prepare(ev *Event, msg int, msgDoc any) *item {
	it := &item{ev: ev, msg: msg}
	// Until the key is known, quarantine files the event under its id.
	ev.Key = ev.MessageID
	if ev.Index >= 0 {
		ev.Key += "#" + strconv.Itoa(ev.Index)
	}
	if p.cfg.Schema != nil {
		if ev.Doc == nil {
			it.invalid = fmt.Errorf("schema: the body is not JSON")
			return it
		}
		if err := p.cfg.Schema.Validate(ev.Doc); err != nil {
			it.invalid = fmt.Errorf("schema: %w", err)
			return it
		}
	}
	key, err := buildKey(p.cfg.Key, ev, msgDoc)
	if err != nil {
		it.invalid = fmt.Errorf("deduplication %w", err)
		return it
	}
	ev.Key = key
	if !p.cfg.Entity.IsZero() {
		if e, ok := p.cfg.Entity.First(ev.Doc); ok {
			if v, ok := p.cfg.Version.First(ev.Doc); ok {
				n, err := versionOf(v)
				if err != nil {
					it.invalid = fmt.Errorf("ordering: %w", err)
					return it
				}
				it.entity, it.version, it.hasVersion = ValueString(e), n, true
			}
		}
	}
	it.route = route(p.cfg.Routes, ev)
	return it
}

// claim claims the keys of the items that need delivering and returns those
// claimed. Items whose key is done become Duplicates; items that stay busy
// past BusyWait, or whose claim failed, become Failed.
func (p *Pipeline) claim(ctx context.Context, owner string, items []*item) []*item {
	first := map[string]*item{}
	var pending []*item
	for _, it := range items {
		if it.invalid != nil || it.route == nil {
			continue
		}
		if f := first[it.ev.Key]; f != nil {
			it.dupOf = f
			continue
		}
		first[it.ev.Key] = it
		pending = append(pending, it)
	}
	var claimed []*item
	deadline := time.Now().Add(p.cfg.BusyWait)
	wait := 20 * time.Millisecond
	for len(pending) > 0 {
		keys := make([]string, len(pending))
		for i, it := range pending {
			keys[i] = it.ev.Key
		}
		states, err := p.cfg.Store.Claim(ctx, owner, p.cfg.Lease, keys)
		if err != nil {
			p.log.Error("claim failed; messages left for redelivery", "err", err, "keys", len(keys))
			for _, it := range pending {
				it.outcome, it.reason = Failed, err
			}
			return claimed
		}
		var busy []*item
		for i, it := range pending {
			switch states[i] {
			case Claimed:
				it.claimed = true
				claimed = append(claimed, it)
			case Done:
				it.outcome = Duplicate
			default:
				busy = append(busy, it)
			}
		}
		if len(busy) == 0 {
			break
		}
		p.stats.busyWaits.Add(uint64(len(busy)))
		if time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			for _, it := range busy {
				it.outcome = Failed
				it.reason = fmt.Errorf("key %q is being processed by another listener", it.ev.Key)
			}
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait = min(wait*2, 500*time.Millisecond)
		pending = busy
	}
	return claimed
}

// renew extends the claims of items every Lease/3 until the returned func is
// called.
func (p *Pipeline) renew(ctx context.Context, owner string, items []*item) func() {
	if len(items) == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(p.cfg.Lease / 3)
		defer t.Stop()
		keys := make([]string, len(items))
		for i, it := range items {
			keys[i] = it.ev.Key
		}
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := p.cfg.Store.Extend(ctx, owner, p.cfg.Lease, keys); err != nil {
					p.log.Warn("extending claims failed", "err", err, "keys", len(keys))
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// deliverAll quarantines the invalid items, delivers the claimed ones and
// completes or releases their keys.
func (p *Pipeline) deliverAll(ctx context.Context, owner string, items, claimed []*item) {
	for _, it := range items {
		switch {
		case it.invalid != nil:
			p.quarantine(ctx, it, it.invalid)
		case it.route == nil:
			it.outcome = Unrouted
		}
	}
	if len(claimed) == 0 {
		return
	}
	// Group by entity when ordering; each group is delivered in version
	// order, groups concurrently.
	groups := map[string][]*item{}
	var order []string
	var entities []string
	for i, it := range claimed {
		g := "\x00" + strconv.Itoa(i) // unordered: a group of its own
		if it.hasVersion {
			g = it.entity
			if _, ok := groups[g]; !ok {
				entities = append(entities, it.entity)
			}
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], it)
	}
	unlock := p.locks.lock(entities)
	defer unlock()
	newest := map[string]int64{}
	if len(entities) > 0 {
		v, err := p.cfg.Store.Versions(ctx, entities)
		if err != nil {
			p.log.Error("reading entity versions failed; messages left for redelivery", "err", err)
			for _, it := range claimed {
				it.outcome, it.reason = Failed, err
			}
			p.finish(ctx, owner, claimed, nil)
			return
		}
		newest = v
	}
	sem := make(chan struct{}, p.cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var versions []EntityVersion
	for _, g := range order {
		group := groups[g]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if !group[0].hasVersion {
				p.deliver(ctx, group[0])
				return
			}
			sort.SliceStable(group, func(a, b int) bool { return group[a].version < group[b].version })
			entity := group[0].entity
			cur, known := newest[entity]
			applied := false
			for _, it := range group {
				if known && it.version < cur {
					it.outcome = Stale
					p.log.Debug("stale event dropped", "message_id", it.ev.MessageID, "key", it.ev.Key,
						"entity", entity, "version", it.version, "newest", cur)
					continue
				}
				p.deliver(ctx, it)
				if it.outcome == Delivered {
					cur, known, applied = it.version, true, true
				}
			}
			if applied {
				mu.Lock()
				versions = append(versions, EntityVersion{Entity: entity, Version: cur})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	p.finish(ctx, owner, claimed, versions)
}

// finish completes the keys of handled items and releases the failed ones.
func (p *Pipeline) finish(ctx context.Context, owner string, claimed []*item, versions []EntityVersion) {
	var done, failed []string
	for _, it := range claimed {
		if it.outcome == Failed {
			failed = append(failed, it.ev.Key)
		} else {
			done = append(done, it.ev.Key)
		}
	}
	// Marking keys done must not be cut short by a shutdown: the sinks
	// already have the events.
	sctx := context.WithoutCancel(ctx)
	if len(done) > 0 {
		if err := p.cfg.Store.Complete(sctx, owner, done, versions); err != nil {
			p.log.Error("marking keys done failed; messages left for redelivery", "err", err, "keys", len(done))
			for _, it := range claimed {
				if it.outcome != Failed {
					it.outcome, it.reason = Failed, err
				}
			}
			return
		}
	}
	if len(failed) > 0 {
		if err := p.cfg.Store.Release(sctx, owner, failed); err != nil {
			p.log.Warn("releasing claims failed; they expire with their lease", "err", err, "keys", len(failed))
		}
	}
}

// deliver hands it to every sink of its route.
func (p *Pipeline) deliver(ctx context.Context, it *item) {
	for _, s := range it.route.Sinks {
		ss := p.stats.sink(s.Name)
		start := time.Now()
		err := s.Sink.Deliver(ctx, it.ev)
		ss.nanos.Add(uint64(time.Since(start)))
		if err == nil {
			ss.delivered.Add(1)
			continue
		}
		if IsPermanent(err) {
			ss.permanent.Add(1)
			p.quarantine(ctx, it, fmt.Errorf("sink %s: %w", s.Name, err))
			return
		}
		ss.failed.Add(1)
		it.outcome, it.reason = Failed, fmt.Errorf("sink %s: %w", s.Name, err)
		p.log.Warn("sink failed; message left for redelivery", "sink", s.Name,
			"message_id", it.ev.MessageID, "key", it.ev.Key, "err", err)
		return
	}
	it.outcome = Delivered
}

// quarantine sends it to the quarantine, or fails it when there is none.
func (p *Pipeline) quarantine(ctx context.Context, it *item, reason error) {
	it.reason = reason
	if p.cfg.Quarantine == nil {
		it.outcome = Failed
		p.log.Error("event cannot be processed and no quarantine is configured; message left for the queue's redrive policy",
			"message_id", it.ev.MessageID, "key", it.ev.Key, "reason", reason)
		return
	}
	if err := p.cfg.Quarantine.Quarantine(ctx, it.ev, reason); err != nil {
		it.outcome = Failed
		p.log.Error("quarantine failed; message left for redelivery",
			"message_id", it.ev.MessageID, "key", it.ev.Key, "reason", reason, "err", err)
		return
	}
	it.outcome = Quarantined
	p.log.Warn("event quarantined", "message_id", it.ev.MessageID, "key", it.ev.Key, "reason", reason)
}
