// Package format renders publisher events as notifications in the message
// format a subscription chooses.
//
// The built-in formats reproduce the message shapes of real systems byte
// for byte in their key order:
//
//   - "cloudevents" (the default): a CloudEvents 1.0 structured JSON event;
//   - "photo-status": the photo service's photo status message;
//   - "media-job": the media-processing state machines' job-completed and
//     error notifications;
//   - "s3-records": an Amazon S3 event notification ({"Records":[...]});
//   - "mturk-event-doc": the crowd-work marketplace's event document.
//
// A custom format is a Go text/template declared in configuration
// (NewTemplate).
//
// Every Format is safe for concurrent use. Render never modifies the event.
// Errors for events a format cannot render wrap ErrCannotRender; an
// unsupported format version wraps ErrUnknownVersion. Both are permanent:
// rendering the same event again fails the same way.
package format

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/herald-dev/herald/publisher"
)

// Default is the name of the format a subscription gets when it names none.
const Default = "cloudevents"

// Content types of the built-in formats.
const (
	ContentTypeJSON        = "application/json"
	ContentTypeCloudEvents = "application/cloudevents+json"
)

var (
	// ErrUnknownFormat is returned by Lookup for a name that is not a
	// built-in format.
	ErrUnknownFormat = errors.New("unknown format")
	// ErrUnknownVersion is returned by Render for a format version the
	// format does not have.
	ErrUnknownVersion = errors.New("unknown format version")
	// ErrCannotRender is returned by Render for an event the format cannot
	// express: a missing or mistyped field, a status the format does not
	// know. The wrapping error says which.
	ErrCannotRender = errors.New("cannot render event")
)

// Message is one rendered notification.
type Message struct {
	// Body is the notification body (JSON for every built-in format).
	Body []byte
	// Subject is the SNS Subject, when the format has one ("" otherwise).
	Subject string
	// Attributes are message attributes to send with the body (String
	// type); nil when the format has none.
	Attributes map[string]string
	// ContentType is the body's media type, for example
	// "application/json" or "application/cloudevents+json".
	ContentType string
}

// Format renders events in one message format.
type Format interface {
	// Name returns the format's name, as subscriptions refer to it.
	Name() string
	// Render renders ev. version is the subscription's format version; ""
	// means the format's default. Errors wrap ErrCannotRender or
	// ErrUnknownVersion.
	Render(ev *publisher.Event, version string) (*Message, error)
}

var builtins = map[string]Format{
	"cloudevents":     cloudEvents{},
	"photo-status":    photoStatus{},
	"media-job":       mediaJob{},
	"s3-records":      s3Records{},
	"mturk-event-doc": mturkEventDoc{},
}

// custom holds the formats added with Register.
var custom struct {
	sync.RWMutex
	m map[string]Format
}

// ErrFormatExists is returned by Register for a name already taken.
var ErrFormatExists = errors.New("format name already in use")

// Register adds a custom format (typically a NewTemplate declared in
// configuration) under f.Name(), so that Lookup and subscriptions find it.
// A name already in use, built-in or registered, is refused with
// ErrFormatExists.
func Register(f Format) error {
	if f == nil || f.Name() == "" {
		return errors.New("format: Register: no format or an empty name")
	}
	name := f.Name()
	custom.Lock()
	defer custom.Unlock()
	if _, ok := builtins[name]; ok {
		return fmt.Errorf("format %q: %w (built in)", name, ErrFormatExists)
	}
	if _, ok := custom.m[name]; ok {
		return fmt.Errorf("format %q: %w", name, ErrFormatExists)
	}
	if custom.m == nil {
		custom.m = map[string]Format{}
	}
	custom.m[name] = f
	return nil
}

// Lookup returns the format called name, built in or registered; ""
// names Default. It returns an error wrapping ErrUnknownFormat for any
// other name.
func Lookup(name string) (Format, error) {
	if name == "" {
		name = Default
	}
	if f, ok := builtins[name]; ok {
		return f, nil
	}
	custom.RLock()
	f, ok := custom.m[name]
	custom.RUnlock()
	if !ok {
		return nil, fmt.Errorf("format %q: %w (have %v)", name, ErrUnknownFormat, Names())
	}
	return f, nil
}

// Names returns the names of the built-in and registered formats, sorted.
func Names() []string {
	custom.RLock()
	defer custom.RUnlock()
	names := make([]string, 0, len(builtins)+len(custom.m))
	for n := range builtins {
		names = append(names, n)
	}
	for n := range custom.m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// cannot returns an error wrapping ErrCannotRender for format name.
func cannot(name, msg string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", name, ErrCannotRender, fmt.Sprintf(msg, args...))
}

// checkVersion accepts "" and the versions listed, returning the version to
// use ("" → the first listed).
func checkVersion(name, version string, versions ...string) (string, error) {
	if version == "" {
		return versions[0], nil
	}
	if slices.Contains(versions, version) {
		return version, nil
	}
	return "", checkVersionErr(name, version, fmt.Sprintf("%q", versions))
}

// checkVersionErr returns the error for an unsupported version; want says
// what the format has.
func checkVersionErr(name, version, want string) error {
	return fmt.Errorf("%s: %w %q (have %s)", name, ErrUnknownVersion, version, want)
}

// checkEvent rejects a nil event and events missing the fields a format
// needs. Each field is named by its JSON name.
func checkEvent(name string, ev *publisher.Event, fields ...string) error {
	if ev == nil {
		return cannot(name, "nil event")
	}
	for _, f := range fields {
		var v string
		switch f {
		case "id":
			v = ev.ID
		case "tenant":
			v = ev.Tenant
		case "entity_type":
			v = ev.EntityType
		case "entity_id":
			v = ev.EntityID
		case "type":
			v = ev.Type
		case "status":
			v = ev.Status
		case "occurred_at":
			if ev.OccurredAt.IsZero() {
				return cannot(name, "occurred_at is required")
			}
			continue
		default:
			panic("format: checkEvent: unknown field " + f)
		}
		if v == "" {
			return cannot(name, "%s is required", f)
		}
	}
	return nil
}
