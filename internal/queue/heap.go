package queue

// msgHeap is an indexed binary min-heap of messages. Each message records its
// index so that it can be removed or re-keyed in O(log n). byTime orders by
// VisibleAt (then Seq); otherwise by Seq.
type msgHeap struct {
	items  []*message
	byTime bool
}

func (h *msgHeap) less(a, b *message) bool {
	if h.byTime && a.VisibleAt != b.VisibleAt {
		return a.VisibleAt < b.VisibleAt
	}
	return a.Seq < b.Seq
}

func (h *msgHeap) Len() int { return len(h.items) }

func (h *msgHeap) peek() *message {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

func (h *msgHeap) push(m *message) {
	m.heapIdx = len(h.items)
	h.items = append(h.items, m)
	h.up(m.heapIdx)
}

func (h *msgHeap) pop() *message {
	if len(h.items) == 0 {
		return nil
	}
	m := h.items[0]
	h.remove(m)
	return m
}

// remove takes m out of the heap; it does nothing when m is not in a heap.
func (h *msgHeap) remove(m *message) {
	i := m.heapIdx
	if i < 0 || i >= len(h.items) || h.items[i] != m {
		return
	}
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	m.heapIdx = -1
}

// fix restores order after m's key changed.
func (h *msgHeap) fix(m *message) {
	if !h.down(m.heapIdx) {
		h.up(m.heapIdx)
	}
}

func (h *msgHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].heapIdx = i
	h.items[j].heapIdx = j
}

func (h *msgHeap) up(j int) {
	for {
		i := (j - 1) / 2
		if i == j || !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *msgHeap) down(i0 int) bool {
	n := len(h.items)
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1
		if j2 := j1 + 1; j2 < n && h.less(h.items[j2], h.items[j1]) {
			j = j2
		}
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
