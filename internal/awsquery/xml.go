package awsquery

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"reflect"
	"strconv"
	"strings"
)

// A query name with a dot, as in `query:"Topics.member"` or
// `query:"Attributes.entry,key,value"`, names a wrapped list or map (SNS's
// shape): <Topics><member>…</member></Topics>. Without a dot the list is
// flattened (SQS's shape): one element per item, named for the field.

// EncodeXML writes the Query-protocol response of action: the output's
// members inside <ActionResult> (omitted for actions without output), then
// ResponseMetadata.
func (s Service) EncodeXML(action string, out any, requestID string) []byte {
	var b bytes.Buffer
	if s.Declaration {
		b.WriteString(xmlDeclaration)
	}
	b.WriteString("<" + action + `Response xmlns="` + s.Namespace + `">`)
	if out != nil {
		v := reflect.ValueOf(out)
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() == reflect.Struct && v.NumField() > 0 {
			b.WriteString("<" + action + "Result>")
			writeStruct(&b, v)
			b.WriteString("</" + action + "Result>")
		}
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	b.WriteString(requestID)
	b.WriteString("</RequestId></ResponseMetadata>")
	b.WriteString("</" + action + "Response>")
	return b.Bytes()
}

func writeStruct(b *bytes.Buffer, v reflect.Value) {
	for _, f := range fields(v.Type()) {
		writeField(b, f.query, f, v.FieldByIndex(f.index))
	}
}

func writeField(b *bytes.Buffer, name string, f fieldInfo, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		writeField(b, name, f, v.Elem())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() == 0 && f.omit {
				return
			}
			writeText(b, name, base64.StdEncoding.EncodeToString(v.Bytes()))
			return
		}
		wrapper, member, wrapped := strings.Cut(name, ".")
		if !wrapped {
			member = name
		} else if v.Len() == 0 && f.omit {
			return
		}
		if wrapped {
			b.WriteString("<" + wrapper + ">")
		}
		for i := 0; i < v.Len(); i++ {
			writeField(b, member, fieldInfo{}, v.Index(i))
		}
		if wrapped {
			b.WriteString("</" + wrapper + ">")
		}
	case reflect.Map:
		keys := v.MapKeys()
		sortValues(keys)
		wrapper, entry, wrapped := strings.Cut(name, ".")
		if !wrapped {
			entry = name
		} else if v.Len() == 0 && f.omit {
			return
		}
		if wrapped {
			b.WriteString("<" + wrapper + ">")
		}
		for _, k := range keys {
			b.WriteString("<" + entry + ">")
			writeText(b, f.keyName, k.String())
			writeField(b, f.valName, fieldInfo{}, v.MapIndex(k))
			b.WriteString("</" + entry + ">")
		}
		if wrapped {
			b.WriteString("</" + wrapper + ">")
		}
	case reflect.Struct:
		b.WriteString("<" + name + ">")
		writeStruct(b, v)
		b.WriteString("</" + name + ">")
	case reflect.String:
		if v.Len() == 0 && f.omit {
			return
		}
		writeText(b, name, v.String())
	case reflect.Int, reflect.Int32, reflect.Int64:
		if v.Int() == 0 && f.omit {
			return
		}
		writeText(b, name, strconv.FormatInt(v.Int(), 10))
	case reflect.Bool:
		if !v.Bool() && f.omit {
			return
		}
		writeText(b, name, strconv.FormatBool(v.Bool()))
	}
}

func writeText(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">")
}

func sortValues(keys []reflect.Value) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j].String() < keys[j-1].String(); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}
