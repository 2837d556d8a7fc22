package sqlite

import (
	"encoding/json"
)

// encodeMap encodes queue attributes or tags as a JSON object.
func encodeMap(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// decodeMap decodes what encodeMap wrote; "{}" is a nil map.
func decodeMap(s string) (map[string]string, error) {
	if s == "{}" || s == "" {
		return nil, nil
	}
	var m map[string]string
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}
