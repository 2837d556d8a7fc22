package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/schema"
)

const photoSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["id", "status", "links"],
  "properties": {
    "id": {"type": "integer"},
    "status": {"enum": ["PENDING","APPROVED","DENIED","DISCARDED","READY_FOR_DOWNLOAD","DOWNLOADED","DONE","ENROUTE","ON_HOLD"]},
    "links": {"type": "object", "required": ["bytes"], "properties": {"bytes": {"type": "string", "format": "uri"}}}
  }
}`

func TestValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "photo.schema.json")
	if err := os.WriteFile(path, []byte(photoSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile, err := schema.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	fromDoc, err := schema.Parse([]byte(photoSchema))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*schema.Schema{fromFile, fromDoc} {
		ok, _ := consumer.DecodeJSON([]byte(`{"id":1419977,"status":"DOWNLOADED","links":{"bytes":"https://s3.amazonaws.com/x.jpg"}}`))
		if err := s.Validate(ok); err != nil {
			t.Fatalf("valid photo rejected: %v", err)
		}
		bad, _ := consumer.DecodeJSON([]byte(`{"id":"x","status":"LOST","links":{}}`))
		err := s.Validate(bad)
		if err == nil {
			t.Fatal("invalid photo accepted")
		}
		for _, want := range []string{"at /id", "at /status", "at /links", "bytes"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	}
}

func TestBadSchema(t *testing.T) {
	t.Parallel()
	if _, err := schema.Parse([]byte(`{"type": 12}`)); err == nil {
		t.Error("a schema with type 12 compiled")
	}
	if _, err := schema.Parse([]byte(`{`)); err == nil {
		t.Error("broken JSON compiled")
	}
	if _, err := schema.Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file loaded")
	}
}
