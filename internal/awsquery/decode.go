// Package awsquery is the AWS Query protocol's codec, shared by the SQS and
// SNS adapters: it decodes a flattened form (Attribute.1.Name,
// Attributes.entry.1.key, Tags.member.1.Key, ...) into an input struct and
// writes an output struct as AWS's XML response, both driven by one `query`
// struct tag.
package awsquery

import (
	"encoding/base64"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The Query protocol flattens lists and maps into numbered form keys
// (Attribute.1.Name, MessageAttribute.2.Value.StringValue, TagKey.3, ...).
// Input and output structs carry one `query` tag that names the flattened
// member and, for maps, the key and value elements:
//
//	Attributes map[string]string `json:"Attributes" query:"Attribute,Name,Value"`
//	QueueUrls  []string          `json:"QueueUrls" query:"QueueUrl"`
//
// A field without a query tag uses its JSON name. Decode reads a form into
// such a struct; EncodeXML (xml.go) writes one as AWS's XML.

type fieldInfo struct {
	index   []int
	json    string
	query   string
	keyName string
	valName string
	omit    bool
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

func fields(t reflect.Type) []fieldInfo {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]fieldInfo)
	}
	var fs []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			// Embedded structs contribute their fields, as in encoding/json.
			for _, inner := range fields(f.Type) {
				inner.index = append([]int{i}, inner.index...)
				fs = append(fs, inner)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		js := f.Tag.Get("json")
		if js == "-" {
			continue
		}
		name, opts, _ := strings.Cut(js, ",")
		if name == "" {
			name = f.Name
		}
		fi := fieldInfo{index: []int{i}, json: name, query: name, omit: strings.Contains(opts, "omitempty"), keyName: "Name", valName: "Value"}
		if q := f.Tag.Get("query"); q != "" {
			parts := strings.Split(q, ",")
			fi.query = parts[0]
			if len(parts) == 3 {
				fi.keyName, fi.valName = parts[1], parts[2]
			}
		}
		fs = append(fs, fi)
	}
	fieldCache.Store(t, fs)
	return fs
}

// ValueError reports a form value that does not parse as its field's type.
type ValueError struct {
	Key, Value string
}

func (e *ValueError) Error() string {
	return "Value " + e.Value + " for parameter " + e.Key + " is invalid."
}

// Decode fills the struct pointed to by dst from form values. The only
// error is a *ValueError.
func Decode(vals url.Values, dst any) error {
	return decodeStruct(vals, "", reflect.ValueOf(dst).Elem())
}

func decodeStruct(vals url.Values, prefix string, v reflect.Value) error {
	for _, f := range fields(v.Type()) {
		fv := v.FieldByIndex(f.index)
		if err := decodeValue(vals, prefix+f.query, f, fv); err != nil {
			return err
		}
	}
	return nil
}

func decodeValue(vals url.Values, key string, f fieldInfo, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct {
			if !hasPrefix(vals, key+".") {
				return nil
			}
			nv := reflect.New(v.Type().Elem())
			if err := decodeStruct(vals, key+".", nv.Elem()); err != nil {
				return err
			}
			v.Set(nv)
			return nil
		}
		s, ok := first(vals, key)
		if !ok {
			return nil
		}
		nv := reflect.New(v.Type().Elem())
		if err := setScalar(nv.Elem(), key, s); err != nil {
			return err
		}
		v.Set(nv)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // []byte, base64
			s, ok := first(vals, key)
			if !ok {
				return nil
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return invalidValue(key, s)
			}
			v.SetBytes(b)
			return nil
		}
		idx := indices(vals, key)
		out := reflect.MakeSlice(v.Type(), 0, len(idx))
		for _, n := range idx {
			ev := reflect.New(v.Type().Elem()).Elem()
			ek := key + "." + strconv.Itoa(n)
			if ev.Kind() == reflect.Struct {
				if err := decodeStruct(vals, ek+".", ev); err != nil {
					return err
				}
			} else if err := decodeValue(vals, ek, fieldInfo{}, ev); err != nil {
				return err
			}
			out = reflect.Append(out, ev)
		}
		if len(idx) > 0 {
			v.Set(out)
		} else if _, ok := vals[key]; ok {
			v.Set(out) // "Name=" is how an empty list is sent
		}
	case reflect.Map:
		idx := indices(vals, key)
		if len(idx) == 0 {
			return nil
		}
		m := reflect.MakeMapWithSize(v.Type(), len(idx))
		for _, n := range idx {
			ek := key + "." + strconv.Itoa(n) + "."
			k, _ := first(vals, ek+f.keyName)
			ev := reflect.New(v.Type().Elem()).Elem()
			if ev.Kind() == reflect.Struct {
				if err := decodeStruct(vals, ek+f.valName+".", ev); err != nil {
					return err
				}
			} else if err := decodeValue(vals, ek+f.valName, fieldInfo{}, ev); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k), ev)
		}
		v.Set(m)
	case reflect.Struct:
		return decodeStruct(vals, key+".", v)
	default:
		s, ok := first(vals, key)
		if !ok {
			return nil
		}
		return setScalar(v, key, s)
	}
	return nil
}

func setScalar(v reflect.Value, key, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return invalidValue(key, s)
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return invalidValue(key, s)
		}
		v.SetBool(b)
	}
	return nil
}

func invalidValue(key, s string) error {
	return &ValueError{Key: key, Value: s}
}

func first(vals url.Values, key string) (string, bool) {
	vs, ok := vals[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func hasPrefix(vals url.Values, prefix string) bool {
	for k := range vals {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// indices returns the sorted member numbers N present as key.N or key.N.*.
func indices(vals url.Values, key string) []int {
	prefix := key + "."
	var out []int
	seen := map[int]bool{}
	for k := range vals {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}
