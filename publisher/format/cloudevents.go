package format

import (
	"net/url"
	"strconv"
	"time"

	"github.com/herald-dev/herald/publisher"
)

// cloudEvents renders a CloudEvents 1.0 event in the structured JSON
// format:
//
//	{"specversion":"1.0","id":<event ID>,"source":"/herald/<tenant>/<entity type>",
//	 "type":<event type>,"subject":<entity ID>,"time":<occurred at, RFC 3339 UTC>,
//	 "datacontenttype":"application/json","heraldtenant":<tenant>,
//	 "heraldentitytype":<entity type>,"heraldstatus":<status>,
//	 "heraldsequence":"<sequence>","data":<data>}
//
// The source names the producer as the tenant's entity collection, each
// segment path-escaped, so that source+id is unique as the specification
// requires (Herald stamps ids unique anyway). heraldstatus is omitted when
// the event has no status; datacontenttype and data are omitted when it
// has no data. heraldsequence is a String: the CloudEvents Integer type is
// 32-bit and a sequence is 64-bit. The only version is "1.0".
type cloudEvents struct{}

func (cloudEvents) Name() string { return "cloudevents" }

func (f cloudEvents) Render(ev *publisher.Event, version string) (*Message, error) {
	v, err := checkVersion(f.Name(), version, "1.0")
	if err != nil {
		return nil, err
	}
	if err := checkEvent(f.Name(), ev, "id", "tenant", "entity_type", "type"); err != nil {
		return nil, err
	}
	source := "/herald/" + url.PathEscape(ev.Tenant) + "/" + url.PathEscape(ev.EntityType)
	o := object{}.
		add("specversion", jsonString(v)).
		add("id", jsonString(ev.ID)).
		add("source", jsonString(source)).
		add("type", jsonString(ev.Type))
	if ev.EntityID != "" {
		o = o.add("subject", jsonString(ev.EntityID))
	}
	if !ev.OccurredAt.IsZero() {
		o = o.add("time", jsonString(ev.OccurredAt.UTC().Format(time.RFC3339Nano)))
	}
	if len(ev.Data) > 0 {
		o = o.add("datacontenttype", jsonString(ContentTypeJSON))
	}
	o = o.add("heraldtenant", jsonString(ev.Tenant)).
		add("heraldentitytype", jsonString(ev.EntityType))
	if ev.Status != "" {
		o = o.add("heraldstatus", jsonString(ev.Status))
	}
	o = o.add("heraldsequence", jsonString(strconv.FormatInt(ev.Sequence, 10)))
	if len(ev.Data) > 0 {
		o = o.add("data", ev.Data)
	}
	body, err := o.raw()
	if err != nil {
		return nil, cannot(f.Name(), "data is not valid JSON: %v", err)
	}
	return &Message{Body: body, ContentType: ContentTypeCloudEvents}, nil
}
