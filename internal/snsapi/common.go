package snsapi

import (
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/topic"
)

// Tag is the wire form of a tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// MessageAttributeValue is the wire form of a message attribute.
type MessageAttributeValue struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue,omitempty"`
	BinaryValue []byte  `json:"BinaryValue,omitempty"`
}

func toDomainAttrs(in map[string]MessageAttributeValue) queue.MessageAttributes {
	if len(in) == 0 {
		return nil
	}
	out := make(queue.MessageAttributes, len(in))
	for k, v := range in {
		a := queue.AttributeValue{DataType: v.DataType, BinaryValue: v.BinaryValue}
		if v.StringValue != nil {
			a.StringValue = *v.StringValue
		}
		out[k] = a
	}
	return out
}

// attributesInput is embedded by inputs that carry an attribute map.
type attributesInput struct {
	Attributes map[string]string `json:"Attributes" query:"Attributes.entry,key,value"`
}

// attributesOutput is the output of the Get…Attributes actions.
type attributesOutput struct {
	Attributes map[string]string `json:"Attributes" query:"Attributes.entry,key,value"`
}

// emptyResult is the output of actions whose XML response carries an empty
// <ActionResult/> element (TagResource, UntagResource), which the SDKs
// expect.
type emptyResult struct{ _ struct{} }

func (c *call) engine() *topic.Engine { return c.h.cfg.Engine }
