package awsquery

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type attrValue struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue,omitempty"`
	BinaryValue []byte  `json:"BinaryValue,omitempty"`
}

type input struct {
	Name       string               `json:"Name"`
	Count      int                  `json:"Count"`
	Flag       bool                 `json:"Flag"`
	Attributes map[string]string    `json:"Attributes" query:"Attributes.entry,key,value"`
	Flat       map[string]string    `json:"Flat" query:"Attribute,Name,Value"`
	Tags       []tag                `json:"Tags" query:"Tags.member"`
	Keys       []string             `json:"Keys" query:"TagKeys.member"`
	MsgAttrs   map[string]attrValue `json:"MessageAttributes" query:"MessageAttributes.entry,Name,Value"`
}

func TestDecodeWrappedAndFlattened(t *testing.T) {
	vals, _ := url.ParseQuery("Name=n&Count=3&Flag=true" +
		"&Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.2.key=b&Attributes.entry.2.value=2" +
		"&Attribute.1.Name=x&Attribute.1.Value=y" +
		"&Tags.member.1.Key=k1&Tags.member.1.Value=v1&Tags.member.2.Key=k2&Tags.member.2.Value=v2" +
		"&TagKeys.member.2=second&TagKeys.member.1=first" +
		"&MessageAttributes.entry.1.Name=s&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=hi" +
		"&MessageAttributes.entry.2.Name=b&MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes.entry.2.Value.BinaryValue=AAE%3D")
	var in input
	if err := Decode(vals, &in); err != nil {
		t.Fatal(err)
	}
	hi := "hi"
	want := input{
		Name: "n", Count: 3, Flag: true,
		Attributes: map[string]string{"a": "1", "b": "2"},
		Flat:       map[string]string{"x": "y"},
		Tags:       []tag{{"k1", "v1"}, {"k2", "v2"}},
		Keys:       []string{"first", "second"},
		MsgAttrs:   map[string]attrValue{"s": {DataType: "String", StringValue: &hi}, "b": {DataType: "Binary", BinaryValue: []byte{0, 1}}},
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %+v\nwant %+v", in, want)
	}
}

func TestDecodeBadValue(t *testing.T) {
	vals, _ := url.ParseQuery("Count=many")
	var in input
	err := Decode(vals, &in)
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Key != "Count" || ve.Value != "many" {
		t.Fatalf("err %v, want a ValueError for Count", err)
	}
	if got := err.Error(); got != "Value many for parameter Count is invalid." {
		t.Errorf("message %q", got)
	}
}

type output struct {
	Topics     []struct{ TopicArn string } `json:"Topics" query:"Topics.member"`
	Attributes map[string]string           `json:"Attributes" query:"Attributes.entry,key,value"`
	Flat       []string                    `json:"Flat" query:"QueueUrl"`
	Next       string                      `json:"NextToken,omitempty"`
	Empty      []string                    `json:"Empty,omitempty" query:"Empty.member"`
}

func TestEncodeXMLShapes(t *testing.T) {
	out := output{
		Topics:     []struct{ TopicArn string }{{"arn:a"}, {"arn:<b>"}},
		Attributes: map[string]string{"z": "1", "a": "&"},
		Flat:       []string{"u1", "u2"},
	}
	got := string(Service{Namespace: "http://example/ns/", Declaration: true}.EncodeXML("ListThings", &out, "rid"))
	want := `<?xml version="1.0"?><ListThingsResponse xmlns="http://example/ns/"><ListThingsResult>` +
		`<Topics><member><TopicArn>arn:a</TopicArn></member><member><TopicArn>arn:&lt;b&gt;</TopicArn></member></Topics>` +
		`<Attributes><entry><key>a</key><value>&amp;</value></entry><entry><key>z</key><value>1</value></entry></Attributes>` +
		`<QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl>` +
		`</ListThingsResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListThingsResponse>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// An action without output has no Result element.
	if got := string((Service{Namespace: "ns"}).EncodeXML("DeleteThing", nil, "r")); strings.Contains(got, "Result") || strings.HasPrefix(got, "<?xml") {
		t.Errorf("empty output: %s", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("Name=n&Attributes.entry.1.key=a&Attributes.entry.1.value=1&Tags.member.1.Key=k")
	f.Add("MessageAttributes.entry.1.Name=s&MessageAttributes.entry.1.Value.BinaryValue=%%%")
	f.Add("TagKeys.member.99999999999999999999=x&Count=-1")
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		var in input
		_ = Decode(vals, &in)
	})
}
