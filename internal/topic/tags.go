package topic

import (
	"context"
	"maps"
	"slices"
)

// MaxTags is the most tags a topic may carry.
const MaxTags = 50

func validateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return Errorf(ErrTagLimitExceeded, "Could not complete request: tag quota of per resource exceeded")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 {
			return invalid("Tags Reason: Tag key must be between 1 and 128 characters")
		}
		if len(v) > 256 {
			return invalid("Tags Reason: Tag value must be at most 256 characters")
		}
	}
	return nil
}

// resourceTopic returns the topic a tagging call names by ResourceArn.
func (e *Engine) resourceTopic(arn string) (*Topic, error) {
	if _, err := e.parseTopicArn("ResourceArn", arn); err != nil {
		return nil, err
	}
	t := e.topics[arn]
	if t == nil {
		return nil, Errorf(ErrResourceNotFound, "Resource does not exist")
	}
	return t, nil
}

// TagResource adds or replaces tags of a topic.
func (e *Engine) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.resourceTopic(arn)
	if err != nil {
		return err
	}
	rec := t.rec
	rec.Tags = maps.Clone(rec.Tags)
	if rec.Tags == nil {
		rec.Tags = map[string]string{}
	}
	maps.Copy(rec.Tags, tags)
	if err := validateTags(rec.Tags); err != nil {
		return err
	}
	return e.saveTopic(ctx, t, rec)
}

// UntagResource removes tags of a topic; absent keys are ignored.
func (e *Engine) UntagResource(ctx context.Context, arn string, keys []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.resourceTopic(arn)
	if err != nil {
		return err
	}
	rec := t.rec
	rec.Tags = maps.Clone(rec.Tags)
	for _, k := range keys {
		delete(rec.Tags, k)
	}
	return e.saveTopic(ctx, t, rec)
}

// Tag is one tag.
type Tag struct{ Key, Value string }

// ListTags returns a topic's tags sorted by key.
func (e *Engine) ListTags(arn string) ([]Tag, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, err := e.resourceTopic(arn)
	if err != nil {
		return nil, err
	}
	keys := slices.Sorted(maps.Keys(t.rec.Tags))
	out := make([]Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, Tag{k, t.rec.Tags[k]})
	}
	return out, nil
}
