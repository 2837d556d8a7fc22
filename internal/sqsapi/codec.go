package sqsapi

import (
	"errors"
	"net/url"

	"github.com/herald-dev/herald/internal/awsquery"
	"github.com/herald-dev/herald/internal/queue"
)

// Namespace is the XML namespace of every SQS Query response.
const Namespace = "http://queue.amazonaws.com/doc/2012-11-05/"

// service is how SQS shapes its responses.
var service = awsquery.Service{Namespace: Namespace, ErrorTypePrefix: "com.amazonaws.sqs#", Declaration: true, ErrorDetail: true}

// decodeQuery fills the input struct dst from a Query form.
func decodeQuery(vals url.Values, dst any) error {
	err := awsquery.Decode(vals, dst)
	var ve *awsquery.ValueError
	if errors.As(err, &ve) {
		return queue.Errorf(queue.ErrInvalidParameterValue, "%s", ve.Error())
	}
	return err
}
