package topic

import "context"

// MaxBatchEntries is the most entries a PublishBatch may carry.
const MaxBatchEntries = 10

// BatchEntry is one entry of a PublishBatch.
type BatchEntry struct {
	ID string
	PublishInput
}

// BatchResult is the outcome of one entry: a result, or Err.
type BatchResult struct {
	ID     string
	Result PublishResult
	Err    error
}

// validBatchID reports an Id of 1 to 80 letters, digits, - and _.
func validBatchID(id string) error {
	if len(id) > 80 {
		return Errorf(ErrInvalidBatchEntryID, "The Id of a batch entry in the batch request is too long: %s", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return Errorf(ErrInvalidBatchEntryID, "The Id of a batch entry in the batch request contains an impermissible character: %s", id)
		}
	}
	if id == "" {
		return Errorf(ErrInvalidBatchEntryID, "The Id of a batch entry in the batch request contains an impermissible character: %s", id)
	}
	return nil
}

// PublishBatch publishes up to ten messages to one topic in one store
// transaction. Request-level problems (no entries, too many, repeated or
// bad ids, too long in total) fail the whole call; an invalid entry fails
// only itself.
func (e *Engine) PublishBatch(ctx context.Context, topicArn string, entries []BatchEntry) ([]BatchResult, error) {
	if _, err := e.parseTopicArn("TopicArn", topicArn); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, Errorf(ErrEmptyBatchRequest, "The batch request doesn't contain any entries.")
	}
	if len(entries) > MaxBatchEntries {
		return nil, Errorf(ErrTooManyEntriesInBatch, "The batch request contains more entries than permissible.")
	}
	seen := map[string]bool{}
	total := 0
	for i := range entries {
		if err := validBatchID(entries[i].ID); err != nil {
			return nil, err
		}
		if seen[entries[i].ID] {
			return nil, Errorf(ErrBatchEntryIdsNotDistinct, "Two or more batch entries in the request have the same Id.")
		}
		seen[entries[i].ID] = true
		total += len(entries[i].Message) + attributesSize(entries[i].Attributes)
	}
	if total > MaxMessageSize {
		return nil, Errorf(ErrBatchRequestTooLong, "The length of all the messages put together is more than the limit.")
	}
	t, subs := e.topicAndSubs(topicArn)
	if t == nil {
		return nil, errNoTopic()
	}
	b := e.newBatch(t, subs)
	if t.fifo {
		t.mu.Lock()
		defer t.mu.Unlock()
	}
	out := make([]BatchResult, len(entries))
	for i := range entries {
		in := entries[i].PublishInput
		out[i].ID = entries[i].ID
		if err := e.validatePublish(t, &in); err != nil {
			out[i].Err = err
			continue
		}
		out[i].Result, out[i].Err = b.add(&in)
	}
	if err := b.commit(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
