package format

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
)

// FuzzRender sends random Data (and status, type and entity ID) through
// every format: none may panic, and whenever Render succeeds the body must
// be valid JSON.
func FuzzRender(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "seed", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "COMPLETED", "job-completed", "<uuid>")
	}
	for _, d := range []string{
		`{"helperBotAction":"AUTO_DENY","id":"x"}`,
		`{"stateMachine":"m-analysis","progress":1e400,"input":null}`,
		`{"stateMachine":"m","errorMessage":"e"}`,
		`{"bucket":"b","size":18446744073709551615,"eTag":"e","region":"us-gov-west-1"}`,
		`{"HITTypeId":"t","AssignmentId":"a"}`,
		`{"a":1,"a":2}`, `[]`, `null`, `"s"`, `1`, `{"a":`, `{} {}`, ``, "{\"\xff\":\"\xfe\"}",
	} {
		f.Add([]byte(d), "ERROR", "ObjectCreated:Copy", "1419977")
		f.Add([]byte(d), "", "AssignmentSubmitted", "a b/c")
	}
	custom, err := NewTemplate("custom", `{"data":{{json .Data}},"f":{{json (field "a.0.b")}},"raw":{{.RawData}}}`)
	if err != nil {
		f.Fatal(err)
	}
	formats := []Format{custom}
	for _, name := range Names() {
		fm, _ := Lookup(name)
		formats = append(formats, fm)
	}
	f.Fuzz(func(t *testing.T, data []byte, status, typ, entityID string) {
		ev := &publisher.Event{
			ID: "e1", Tenant: "t", EntityType: "thing", EntityID: entityID, Type: typ, Status: status,
			OccurredAt: time.Unix(1700000000, 0), Sequence: 3, Data: data,
		}
		for _, fm := range formats {
			m, err := fm.Render(ev, "")
			if err != nil {
				if !errors.Is(err, ErrCannotRender) {
					t.Errorf("%s: error %v does not wrap ErrCannotRender", fm.Name(), err)
				}
				continue
			}
			if !json.Valid(m.Body) {
				t.Errorf("%s: Render succeeded with invalid JSON %q for data %q", fm.Name(), m.Body, data)
			}
		}
	})
}
