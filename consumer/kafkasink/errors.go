package kafkasink

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
)

// permanentErrs are the produce errors about the record itself: producing
// the same event again yields the same record and the same answer. The
// package documentation has the whole classification and its reasons.
var permanentErrs = []error{
	kerr.MessageTooLarge,
	kerr.RecordListTooLarge,
	kerr.InvalidRecord,
	kerr.InvalidTopicException,
}

// isPermanent reports whether a produce error is about the record itself.
func isPermanent(err error) bool {
	for _, p := range permanentErrs {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}
