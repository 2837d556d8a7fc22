package queue

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/herald-dev/herald/internal/policy"
)

// Queue attribute names.
const (
	AttrAll                                   = "All"
	AttrDelaySeconds                          = "DelaySeconds"
	AttrMaximumMessageSize                    = "MaximumMessageSize"
	AttrMessageRetentionPeriod                = "MessageRetentionPeriod"
	AttrPolicy                                = "Policy"
	AttrReceiveMessageWaitTimeSeconds         = "ReceiveMessageWaitTimeSeconds"
	AttrVisibilityTimeout                     = "VisibilityTimeout"
	AttrRedrivePolicy                         = "RedrivePolicy"
	AttrRedriveAllowPolicy                    = "RedriveAllowPolicy"
	AttrKmsMasterKeyID                        = "KmsMasterKeyId"
	AttrKmsDataKeyReusePeriodSeconds          = "KmsDataKeyReusePeriodSeconds"
	AttrSqsManagedSseEnabled                  = "SqsManagedSseEnabled"
	AttrFifoQueue                             = "FifoQueue"
	AttrContentBasedDeduplication             = "ContentBasedDeduplication"
	AttrDeduplicationScope                    = "DeduplicationScope"
	AttrFifoThroughputLimit                   = "FifoThroughputLimit"
	AttrApproximateNumberOfMessages           = "ApproximateNumberOfMessages"
	AttrApproximateNumberOfMessagesNotVisible = "ApproximateNumberOfMessagesNotVisible"
	AttrApproximateNumberOfMessagesDelayed    = "ApproximateNumberOfMessagesDelayed"
	AttrCreatedTimestamp                      = "CreatedTimestamp"
	AttrLastModifiedTimestamp                 = "LastModifiedTimestamp"
	AttrQueueArn                              = "QueueArn"
)

// Limits and defaults, as SQS has them.
const (
	MaxMessageSize           = 1 << 20 // 1 MiB
	MinMessageSize           = 1024
	DefaultRetention         = 345600  // 4 days
	MaxRetention             = 1209600 // 14 days
	MinRetention             = 60
	MaxVisibilityTimeout     = 43200 // 12 hours
	DefaultVisibilityTimeout = 30
	MaxDelaySeconds          = 900
	MaxWaitTimeSeconds       = 20
	MaxInflightStandard      = 120000
	MaxInflightFifo          = 120000
	DedupWindowMillis        = 5 * 60 * 1000
	MaxBatchEntries          = 10
	MaxReceiveCountLimit     = 1000
)

// settable lists the attributes SetQueueAttributes and CreateQueue accept,
// with the validator of each value.
var settable = map[string]func(v string) string{
	AttrDelaySeconds:                  intRange(0, MaxDelaySeconds),
	AttrMaximumMessageSize:            intRange(MinMessageSize, MaxMessageSize),
	AttrMessageRetentionPeriod:        intRange(MinRetention, MaxRetention),
	AttrReceiveMessageWaitTimeSeconds: intRange(0, MaxWaitTimeSeconds),
	AttrVisibilityTimeout:             intRange(0, MaxVisibilityTimeout),
	AttrKmsDataKeyReusePeriodSeconds:  intRange(60, 86400),
	AttrPolicy:                        validPolicy,
	AttrRedrivePolicy:                 func(string) string { return "" }, // checked with the queue set at hand
	AttrRedriveAllowPolicy:            validRedriveAllowPolicy,
	AttrKmsMasterKeyID:                func(string) string { return "" },
	AttrSqsManagedSseEnabled:          boolValue,
	AttrFifoQueue:                     boolValue,
	AttrContentBasedDeduplication:     boolValue,
	AttrDeduplicationScope:            oneOf("messageGroup", "queue"),
	AttrFifoThroughputLimit:           oneOf("perQueue", "perMessageGroupId"),
}

var fifoOnly = map[string]bool{
	AttrContentBasedDeduplication: true,
	AttrDeduplicationScope:        true,
	AttrFifoThroughputLimit:       true,
}

// readable lists every attribute name GetQueueAttributes accepts.
var readable = map[string]bool{
	AttrAll: true, AttrApproximateNumberOfMessages: true, AttrApproximateNumberOfMessagesNotVisible: true,
	AttrApproximateNumberOfMessagesDelayed: true, AttrCreatedTimestamp: true, AttrLastModifiedTimestamp: true,
	AttrQueueArn: true,
}

func init() {
	for k := range settable {
		readable[k] = true
	}
}

func intRange(lo, hi int) func(string) string {
	return func(v string) string {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return fmt.Sprintf("Must be an integer from %d to %d.", lo, hi)
		}
		return ""
	}
}

func boolValue(v string) string {
	if v != "true" && v != "false" {
		return "Must be true or false."
	}
	return ""
}

func oneOf(vals ...string) func(string) string {
	return func(v string) string {
		for _, x := range vals {
			if v == x {
				return ""
			}
		}
		return "Must be one of " + strings.Join(vals, ", ") + "."
	}
}

func validPolicy(v string) string {
	if v == "" {
		return ""
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(v), &doc); err != nil {
		return "Invalid JSON policy document."
	}
	if _, ok := doc["Statement"]; !ok {
		return "Policy document must contain a Statement."
	}
	if len(v) > policy.SQSMaxPolicyBytes {
		return fmt.Sprintf("Policy is %d bytes; the most is %d.", len(v), policy.SQSMaxPolicyBytes)
	}
	p, err := policy.Parse(v)
	if err != nil {
		return err.Error()
	}
	if err := p.CheckLimits(policy.SQSLimits); err != nil {
		return err.Error()
	}
	return ""
}

// RedriveAllowPolicy is the parsed RedriveAllowPolicy attribute.
type RedriveAllowPolicy struct {
	Permission      string   `json:"redrivePermission"`
	SourceQueueArns []string `json:"sourceQueueArns,omitempty"`
}

func validRedriveAllowPolicy(v string) string {
	if v == "" {
		return ""
	}
	var p RedriveAllowPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return "Invalid value for RedriveAllowPolicy. Reason: Invalid JSON."
	}
	switch p.Permission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueArns) > 0 {
			return "Invalid value for RedriveAllowPolicy. Reason: sourceQueueArns can only be specified when redrivePermission is byQueue."
		}
	case "byQueue":
		if len(p.SourceQueueArns) == 0 || len(p.SourceQueueArns) > 10 {
			return "Invalid value for RedriveAllowPolicy. Reason: sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue."
		}
	default:
		return "Invalid value for RedriveAllowPolicy. Reason: redrivePermission must be allowAll, denyAll or byQueue."
	}
	return ""
}

// RedrivePolicy is the parsed RedrivePolicy attribute.
type RedrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// parseRedrivePolicy accepts maxReceiveCount as a number or a string, as SQS
// does.
func parseRedrivePolicy(v string) (*RedrivePolicy, error) {
	if v == "" {
		return nil, nil
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.", v)
	}
	p := &RedrivePolicy{}
	arn, _ := raw["deadLetterTargetArn"].(string)
	if arn == "" {
		return nil, Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: deadLetterTargetArn.", v)
	}
	p.DeadLetterTargetArn = arn
	switch m := raw["maxReceiveCount"].(type) {
	case float64:
		p.MaxReceiveCount = int(m)
	case string:
		n, err := strconv.Atoi(m)
		if err != nil {
			return nil, Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %s, valid values are from 1 to 1000 both inclusive.", v, m)
		}
		p.MaxReceiveCount = n
	case nil:
		return nil, Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: maxReceiveCount.", v)
	default:
		return nil, Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount.", v)
	}
	if p.MaxReceiveCount < 1 || p.MaxReceiveCount > MaxReceiveCountLimit {
		return nil, Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %d, valid values are from 1 to 1000 both inclusive.", v, p.MaxReceiveCount)
	}
	return p, nil
}

// config is a queue's parsed attributes.
type config struct {
	fifo               bool
	delay              int64 // seconds
	maxSize            int
	retention          int64 // seconds
	waitTime           int
	visibility         int64 // seconds
	contentDedup       bool
	dedupPerGroup      bool
	redrive            *RedrivePolicy
	redriveAllow       *RedriveAllowPolicy
	perGroupThroughput bool
}

func atoi(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return n
}

// parseConfig reads validated attributes into a config.
func parseConfig(attrs map[string]string) config {
	c := config{
		fifo:               attrs[AttrFifoQueue] == "true",
		delay:              int64(atoi(attrs[AttrDelaySeconds], 0)),
		maxSize:            atoi(attrs[AttrMaximumMessageSize], MaxMessageSize),
		retention:          int64(atoi(attrs[AttrMessageRetentionPeriod], DefaultRetention)),
		waitTime:           atoi(attrs[AttrReceiveMessageWaitTimeSeconds], 0),
		visibility:         int64(atoi(attrs[AttrVisibilityTimeout], DefaultVisibilityTimeout)),
		contentDedup:       attrs[AttrContentBasedDeduplication] == "true",
		dedupPerGroup:      attrs[AttrDeduplicationScope] == "messageGroup",
		perGroupThroughput: attrs[AttrFifoThroughputLimit] == "perMessageGroupId",
	}
	c.redrive, _ = parseRedrivePolicy(attrs[AttrRedrivePolicy])
	if v := attrs[AttrRedriveAllowPolicy]; v != "" {
		var p RedriveAllowPolicy
		if json.Unmarshal([]byte(v), &p) == nil {
			c.redriveAllow = &p
		}
	}
	return c
}

// defaultAttributes are the attributes a new queue reports when not set.
func defaultAttributes(fifo bool) map[string]string {
	m := map[string]string{
		AttrDelaySeconds:                  "0",
		AttrMaximumMessageSize:            strconv.Itoa(MaxMessageSize),
		AttrMessageRetentionPeriod:        strconv.Itoa(DefaultRetention),
		AttrReceiveMessageWaitTimeSeconds: "0",
		AttrVisibilityTimeout:             strconv.Itoa(DefaultVisibilityTimeout),
		AttrSqsManagedSseEnabled:          "true",
	}
	if fifo {
		m[AttrFifoQueue] = "true"
		m[AttrContentBasedDeduplication] = "false"
		m[AttrDeduplicationScope] = "queue"
		m[AttrFifoThroughputLimit] = "perQueue"
	}
	return m
}

// validateAttributes checks attributes for CreateQueue (create=true) or
// SetQueueAttributes on a queue of the given type.
func validateAttributes(attrs map[string]string, fifo, create bool) error {
	for name, v := range attrs {
		check, ok := settable[name]
		if !ok {
			return Errorf(ErrInvalidAttributeName, "Unknown Attribute %s.", name)
		}
		if name == AttrFifoQueue {
			if !create {
				if !fifo {
					return Errorf(ErrInvalidAttributeName, "Unknown Attribute FifoQueue.")
				}
				if v != "true" {
					return Errorf(ErrInvalidAttributeValue, "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
				}
				continue
			}
			if !fifo {
				if v == "true" {
					return Errorf(ErrInvalidParameterValue, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
				}
				return Errorf(ErrInvalidAttributeName, "Unknown Attribute FifoQueue.")
			}
		}
		if fifoOnly[name] && !fifo {
			if name == AttrContentBasedDeduplication {
				return Errorf(ErrInvalidAttributeName, "Unknown Attribute ContentBasedDeduplication.")
			}
			return Errorf(ErrInvalidAttributeName, "You can specify the %s only when FifoQueue is set to true.", name)
		}
		if reason := check(v); reason != "" {
			if name == AttrPolicy || name == AttrRedriveAllowPolicy {
				return Errorf(ErrInvalidAttributeValue, "Invalid value for the parameter %s. Reason: %s", name, reason)
			}
			return Errorf(ErrInvalidAttributeValue, "Invalid value for the parameter %s. Reason: %s", name, reason)
		}
		if name == AttrRedrivePolicy {
			if _, err := parseRedrivePolicy(v); err != nil {
				return err
			}
		}
	}
	if attrs[AttrKmsMasterKeyID] != "" && attrs[AttrSqsManagedSseEnabled] == "true" {
		return Errorf(ErrInvalidAttributeName, "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
	}
	return nil
}

// sameAttributeValue compares an attribute as CreateQueue does when the
// queue exists: JSON documents by content, everything else as text.
func sameAttributeValue(name, current, requested string) bool {
	if current == requested {
		return true
	}
	switch name {
	case AttrPolicy, AttrRedriveAllowPolicy:
		return samePolicy(current, requested)
	case AttrRedrivePolicy:
		a, errA := parseRedrivePolicy(current)
		b, errB := parseRedrivePolicy(requested)
		return errA == nil && errB == nil && a != nil && b != nil && *a == *b
	}
	return false
}

// ValidAttributeName reports whether GetQueueAttributes knows name.
func ValidAttributeName(name string) bool { return readable[name] }
