package format

import (
	"encoding/json"
	"strconv"

	"github.com/herald-dev/herald/publisher"
)

// photoStatus renders the photo service's photo status message: the photo
// object as the application holds it (the event's Data), with
//
//   - status set to the event's Status (Data's own status is used only
//     when the event has none);
//   - lowestClassification derived from helperBotAction, as the format's
//     deprecation note specifies (see LowestClassification);
//   - id taken from Data, or, when Data lacks it, the entity ID (a JSON
//     number when it is a canonical integer, a string otherwise).
//
// Data's own key order is kept; a field it lacks is inserted where the
// documented sample message has it. The only version is "1".
type photoStatus struct{}

// photoKeyOrder is the key order of the documented sample message.
var photoKeyOrder = []string{
	"domainClass", "publicKey", "manuallyEdited", "person", "status",
	"originalPhoto", "dateCreated", "id", "links", "version",
	"lowestClassification", "helperBotAction", "backgroundReplaced",
	"aspectRatio", "helperBotReviewed", "isAspectRatioCorrect",
}

// LowestClassification returns the deprecated lowestClassification value
// that the photo-status format derives from helperBotAction, as JSON
// number text: "0.999" for AUTO_APPROVE and RECOMMEND_APPROVAL, "0.001"
// for AUTO_DENY and RECOMMEND_DENIAL, "0.5" for anything else (including
// no action).
func LowestClassification(helperBotAction string) string {
	switch helperBotAction {
	case "AUTO_APPROVE", "RECOMMEND_APPROVAL":
		return "0.999"
	case "AUTO_DENY", "RECOMMEND_DENIAL":
		return "0.001"
	default:
		return "0.5"
	}
}

func (photoStatus) Name() string { return "photo-status" }

func (f photoStatus) Render(ev *publisher.Event, version string) (*Message, error) {
	if _, err := checkVersion(f.Name(), version, "1"); err != nil {
		return nil, err
	}
	if err := checkEvent(f.Name(), ev); err != nil {
		return nil, err
	}
	if len(ev.Data) == 0 {
		return nil, cannot(f.Name(), "data is required: the photo object")
	}
	o, err := parseObject(ev.Data)
	if err != nil {
		return nil, cannot(f.Name(), "data must be the photo object: %v", err)
	}
	status := ev.Status
	if status == "" {
		s, ok, err := o.stringField("status")
		if err != nil {
			return nil, cannot(f.Name(), "%v", err)
		}
		if !ok || s == "" {
			return nil, cannot(f.Name(), "status is required (in the event or data.status)")
		}
		status = s
	}
	action, _, err := o.stringField("helperBotAction")
	if err != nil {
		return nil, cannot(f.Name(), "%v", err)
	}
	if !o.has("id") {
		if ev.EntityID == "" {
			return nil, cannot(f.Name(), "data.id or entity_id is required")
		}
		o = o.setInOrder("id", entityIDValue(ev.EntityID), photoKeyOrder)
	}
	o = o.setInOrder("status", jsonString(status), photoKeyOrder)
	o = o.setInOrder("lowestClassification", json.RawMessage(LowestClassification(action)), photoKeyOrder)
	body, err := o.raw()
	if err != nil {
		return nil, cannot(f.Name(), "%v", err)
	}
	return &Message{Body: body, ContentType: ContentTypeJSON}, nil
}

// entityIDValue returns id as a JSON number when it is a canonical
// integer ("1419977"), else as a JSON string.
func entityIDValue(id string) json.RawMessage {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && strconv.FormatInt(n, 10) == id {
		return jsonInt(n)
	}
	return jsonString(id)
}
