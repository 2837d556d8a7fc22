package topic

import "strings"

// arn is a parsed SNS ARN: arn:aws:sns:region:account:resource.
type arn struct {
	region, account, resource string
}

// parseArn checks the shape SNS checks and words its errors as SNS does,
// naming the parameter.
func parseArn(param, s string) (arn, error) {
	if s == "" {
		return arn{}, invalid("%s Reason: no value for required parameter", param)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 {
		return arn{}, invalid("%s Reason: An ARN must have at least 6 elements, not %d", param, len(parts))
	}
	if parts[0] != "arn" || parts[2] != "sns" {
		return arn{}, invalid("%s", param)
	}
	return arn{region: parts[3], account: parts[4], resource: parts[5]}, nil
}

// parseTopicArn parses a topic ARN.
func (e *Engine) parseTopicArn(param, s string) (arn, error) {
	a, err := parseArn(param, s)
	if err != nil {
		return a, err
	}
	if strings.Contains(a.resource, ":") || !validTopicName(a.resource) {
		return a, invalid("%s", param)
	}
	return a, nil
}

// parseSubArn parses a subscription ARN: a topic ARN, ":", an id.
func parseSubArn(s string) (topicArn string, err error) {
	a, err := parseArn("SubscriptionArn", s)
	if err != nil {
		return "", err
	}
	i := strings.LastIndexByte(s, ':')
	if !strings.Contains(a.resource, ":") || i == len(s)-1 {
		return "", invalid("SubscriptionId")
	}
	return s[:i], nil
}
