package subscription

import (
	"fmt"

	"github.com/herald-dev/herald/consumer"
)

// Condition is one test on an event's data. At least one of Equals and
// Exists must be set; when both are, both must hold.
type Condition struct {
	// Path selects values in the data, in consumer.ParsePath syntax: a
	// dotted path ("person.organization.id", "Records[0].s3.object.key") or
	// a JSON Pointer ("/person/organization/id").
	Path string `json:"path"`
	// Equals holds when the first value the path selects, rendered by
	// consumer.ValueString, is one of these. Numbers are compared as
	// written in the data: "1.0" does not equal 1. A JSON null is "null".
	Equals []string `json:"equals,omitempty"`
	// Exists, when set, holds when the path selects some value (true) or
	// none (false). A JSON null is a value.
	Exists *bool `json:"exists,omitempty"`
}

// compile parses the conditions' paths, returning one error per bad
// condition.
func compile(conds []Condition) ([]consumer.Path, []error) {
	if len(conds) == 0 {
		return nil, nil
	}
	paths := make([]consumer.Path, len(conds))
	var errs []error
	for i, c := range conds {
		p, err := consumer.ParsePath(c.Path)
		if err != nil {
			errs = append(errs, fmt.Errorf("filter[%d].path: %w", i, err))
		}
		paths[i] = p
		switch {
		case c.Exists == nil && len(c.Equals) == 0:
			errs = append(errs, fmt.Errorf("filter[%d]: needs equals or exists", i))
		case c.Exists != nil && !*c.Exists && len(c.Equals) > 0:
			errs = append(errs, fmt.Errorf("filter[%d]: exists false with equals can never hold", i))
		}
	}
	return paths, errs
}

// current reports whether paths were compiled from conds' paths as they
// read now.
func current(paths []consumer.Path, conds []Condition) bool {
	if len(paths) != len(conds) {
		return false
	}
	for i := range conds {
		if paths[i].String() != conds[i].Path {
			return false
		}
	}
	return true
}

// holds evaluates c with its parsed path on doc; hasDoc is false when the
// event has no usable data, so that nothing is selected.
func (c *Condition) holds(p consumer.Path, doc any, hasDoc bool) bool {
	var first any
	found := false
	if hasDoc {
		first, found = p.First(doc)
	}
	if c.Exists != nil && *c.Exists != found {
		return false
	}
	if len(c.Equals) == 0 {
		return true
	}
	if !found {
		return false
	}
	return contains(c.Equals, consumer.ValueString(first))
}
