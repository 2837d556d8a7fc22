package format

import (
	"encoding/json"
	"strings"

	"github.com/herald-dev/herald/publisher"
)

// mediaJob renders the media-processing solution's state machine
// notifications. Data carries the state machine's details:
//
//	{"stateMachine": "SO0050-m2csolution-ingest",  (required)
//	 "input": {...},        (any JSON; {} when absent)
//	 "progress": 0,         (a number; 0 when absent; job-completed only)
//	 "errorMessage": "..."} (a string; required for ERROR)
//
// Status COMPLETED (or no status and event type "job-completed") renders
// the job-completed message; status ERROR renders the error message:
//
//	{"operation":"job-completed","input":...,"progress":0,"uuid":<entity ID>,"status":"COMPLETED","stateMachine":...}
//	{"uuid":<entity ID>,"stateMachine":...,"status":"ERROR","errorMessage":...,"input":...}
//
// The documented job-completed messages use two key orders: the ingest and
// labeling machines put input second, the analysis machine puts it last.
// Consumers written against the samples may have relied on either, so the
// order is chosen per machine: input last when the state machine name ends
// in "-analysis", second otherwise. Statuses match case-insensitively and
// are written in upper case.
//
// The Subject is "<stateMachine> <STATUS>", made a valid SNS subject
// (printable ASCII, under 100 characters). The only version is "1".
type mediaJob struct{}

func (mediaJob) Name() string { return "media-job" }

func (f mediaJob) Render(ev *publisher.Event, version string) (*Message, error) {
	if _, err := checkVersion(f.Name(), version, "1"); err != nil {
		return nil, err
	}
	if err := checkEvent(f.Name(), ev, "entity_id"); err != nil {
		return nil, err
	}
	var completed bool
	switch {
	case strings.EqualFold(ev.Status, "COMPLETED"):
		completed = true
	case ev.Status == "" && ev.Type == "job-completed":
		completed = true
	case strings.EqualFold(ev.Status, "ERROR"):
		completed = false
	case ev.Status == "":
		return nil, cannot(f.Name(), "status is required (COMPLETED or ERROR) for event type %q", ev.Type)
	default:
		return nil, cannot(f.Name(), "status %q is not known (want COMPLETED or ERROR)", ev.Status)
	}
	if len(ev.Data) == 0 {
		return nil, cannot(f.Name(), "data is required: the job's stateMachine, input, progress and errorMessage")
	}
	data, err := parseObject(ev.Data)
	if err != nil {
		return nil, cannot(f.Name(), "data must be an object: %v", err)
	}
	machine, ok, err := data.stringField("stateMachine")
	if err != nil {
		return nil, cannot(f.Name(), "%v", err)
	}
	if !ok || machine == "" {
		return nil, cannot(f.Name(), "data.stateMachine is required")
	}
	input, ok := data.get("input")
	if !ok {
		input = json.RawMessage(`{}`)
	}
	var o object
	status := "ERROR"
	if completed {
		status = "COMPLETED"
		progress, ok := data.get("progress")
		if !ok || kind(progress) == 'z' {
			progress = json.RawMessage(`0`)
		} else if kind(progress) != 'n' {
			return nil, cannot(f.Name(), "data.progress must be a number")
		}
		o = object{}.add("operation", jsonString("job-completed"))
		analysis := strings.HasSuffix(machine, "-analysis")
		if !analysis {
			o = o.add("input", input)
		}
		o = o.add("progress", progress).
			add("uuid", jsonString(ev.EntityID)).
			add("status", jsonString(status)).
			add("stateMachine", jsonString(machine))
		if analysis {
			o = o.add("input", input)
		}
	} else {
		msg, ok, err := data.stringField("errorMessage")
		if err != nil {
			return nil, cannot(f.Name(), "%v", err)
		}
		if !ok {
			return nil, cannot(f.Name(), "data.errorMessage is required for status ERROR")
		}
		o = object{}.
			add("uuid", jsonString(ev.EntityID)).
			add("stateMachine", jsonString(machine)).
			add("status", jsonString(status)).
			add("errorMessage", jsonString(msg)).
			add("input", input)
	}
	body, err := o.raw()
	if err != nil {
		return nil, cannot(f.Name(), "%v", err)
	}
	return &Message{
		Body:        body,
		Subject:     snsSubject(machine + " " + status),
		ContentType: ContentTypeJSON,
	}, nil
}

// snsSubject makes s a valid SNS Subject: printable ASCII only (anything
// else becomes '?'), no leading space, at most 99 characters.
func snsSubject(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b = append(b, byte(r))
	}
	out := strings.TrimLeft(string(b), " ")
	if len(out) > 99 {
		out = out[:99]
	}
	return out
}
