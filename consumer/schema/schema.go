// Package schema validates events against a JSON Schema (drafts 4, 6, 7,
// 2019-09 and 2020-12; the document's $schema decides, 2020-12 when it
// names none), for the consumer's validation step.
package schema

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schema is a compiled JSON Schema; it implements consumer.Validator and is
// safe for concurrent use.
type Schema struct {
	s *jsonschema.Schema
}

// Load compiles the schema in the file at path. References to other files
// are resolved relative to it.
func Load(path string) (*Schema, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	s, err := c.Compile(abs)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	return &Schema{s: s}, nil
}

// Parse compiles a schema given as a document.
func Parse(doc []byte) (*Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	const loc = "mem://schema.json"
	if err := c.AddResource(loc, v); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return &Schema{s: s}, nil
}

// Validate checks doc, a value decoded with consumer.DecodeJSON (numbers as
// json.Number). The error lists every violation, one per line, each with
// its location in the document.
func (s *Schema) Validate(doc any) error {
	err := s.s.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return errors.New(describe(ve))
	}
	return err
}

var english = message.NewPrinter(language.English)

// describe flattens a validation error tree to its leaves.
func describe(ve *jsonschema.ValidationError) string {
	var lines []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			lines = append(lines, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(english)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(lines, "; ")
}
