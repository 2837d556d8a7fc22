// Package access decides who may call the broker: it authenticates SQS and
// SNS requests with SigV4 against the identities file, and authorizes them
// with IAM's logic against the queue's or topic's policy.
//
// The rules, as AWS applies them to resource policies:
//
//   - A queue or topic belongs to the account in its ARN. A caller of the
//     owning account may do anything (Herald has no IAM user policies)
//     unless the resource's policy explicitly denies it.
//   - A caller of another account needs a statement of the policy that
//     allows it, and none that denies it. A queue or topic without a
//     policy is reachable by its own account only.
//   - The condition keys offered are aws:SecureTransport (the request came
//     over HTTPS), aws:PrincipalArn, aws:PrincipalAccount, aws:SourceIp,
//     aws:CurrentTime, aws:EpochTime and aws:username; for an SNS delivery
//     into a queue, aws:SourceArn (the topic) and aws:SourceAccount.
//   - SNS delivers into a queue only if the queue's policy allows the SNS
//     service (or "*") sqs:SendMessage for that topic, as in AWS.
//   - The links SNS sends to HTTP subscribers (SubscribeURL,
//     UnsubscribeURL) are unsigned requests for ConfirmSubscription and
//     Unsubscribe: those two actions are accepted without a signature; the
//     token or the subscription ARN is their proof.
package access

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herald-dev/herald/internal/auth"
	"github.com/herald-dev/herald/internal/identity"
	"github.com/herald-dev/herald/internal/policy"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/sigv4"
)

// Config configures Access.
type Config struct {
	// Identities are the callers' access keys. Required.
	Identities *identity.Set
	// Region is the region requests must be signed for.
	Region string
	// TopicPolicy returns a topic's policy document and whether the topic
	// exists (nil: topics have no policies).
	TopicPolicy func(topicArn string) (doc string, ok bool)
	// Logger reports policies that do not parse. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Access is the broker's authenticator and authorizer.
type Access struct {
	cfg      Config
	sqs, sns *sigv4.Verifier
	log      *slog.Logger

	mu       sync.Mutex
	policies map[string]*policy.Policy // parsed documents by text; nil for one that does not parse
}

// New returns an Access.
func New(cfg Config) *Access {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lookup := func(id string) (sigv4.Identity, bool) {
		x, ok := cfg.Identities.Lookup(id)
		return sigv4.Identity{AccessKeyID: x.AccessKeyID, SecretAccessKey: x.SecretAccessKey,
			Account: x.Account, PrincipalARN: x.PrincipalARN, PrincipalID: x.PrincipalID}, ok
	}
	return &Access{
		cfg:      cfg,
		sqs:      &sigv4.Verifier{Lookup: lookup, Service: "sqs", Region: cfg.Region, Now: cfg.Now},
		sns:      &sigv4.Verifier{Lookup: lookup, Service: "sns", Region: cfg.Region, Now: cfg.Now},
		log:      cfg.Logger,
		policies: map[string]*policy.Policy{},
	}
}

// AuthenticateSQS verifies an SQS request's signature.
func (a *Access) AuthenticateSQS(r *http.Request, body []byte) (auth.Caller, error) {
	return a.authenticate(a.sqs, r, body)
}

// AuthenticateSNS verifies an SNS request's signature; an unsigned
// ConfirmSubscription or Unsubscribe (the links SNS gives subscribers) is
// accepted as anonymous.
func (a *Access) AuthenticateSNS(r *http.Request, body []byte) (auth.Caller, error) {
	c, err := a.authenticate(a.sns, r, body)
	var se *auth.Error
	if errors.As(err, &se) && se.Code == sigv4.CodeMissingAuthenticationToken {
		switch snsAction(r, body) {
		case "ConfirmSubscription", "Unsubscribe":
			return auth.Caller{Anonymous: true, Secure: r.TLS != nil, SourceIP: auth.SourceIP(r)}, nil
		}
	}
	return c, err
}

func (a *Access) authenticate(v *sigv4.Verifier, r *http.Request, body []byte) (auth.Caller, error) {
	id, err := v.Verify(r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return auth.Caller{}, &auth.Error{Code: se.Code, Message: se.Message, Status: se.Status}
		}
		return auth.Caller{}, err
	}
	return auth.Caller{Account: id.Account, PrincipalARN: id.PrincipalARN, PrincipalID: id.PrincipalID,
		Secure: r.TLS != nil, SourceIP: auth.SourceIP(r)}, nil
}

// snsAction reads the Action of a Query request (URL or form body).
func snsAction(r *http.Request, body []byte) string {
	if act := r.URL.Query().Get("Action"); act != "" {
		return act
	}
	if vals, err := url.ParseQuery(string(body)); err == nil {
		return vals.Get("Action")
	}
	return ""
}

// AuthorizeSQS decides whether c may perform action on q.
func (a *Access) AuthorizeSQS(c auth.Caller, action string, q *queue.Queue) error {
	if a.allowed(c, action, q.Arn(), q.Account(), q.Policy()) {
		return nil
	}
	return &auth.Error{Code: "AccessDenied", Status: http.StatusForbidden,
		Message: "Access to the resource https://sqs." + a.cfg.Region + ".amazonaws.com/" + q.Account() + "/" + q.Name() + " is denied."}
}

// AuthorizeSNS decides whether c may perform action on the topic (""
// for actions on the caller's own account, like CreateTopic).
func (a *Access) AuthorizeSNS(c auth.Caller, action, topicArn string) error {
	if c.Anonymous {
		return nil // ConfirmSubscription / Unsubscribe by their links
	}
	if topicArn == "" {
		return nil // account-level actions act on the caller's own account
	}
	owner := arnAccount(topicArn)
	if owner == "" {
		return nil // not an ARN: the action reports InvalidParameter itself
	}
	doc := ""
	if a.cfg.TopicPolicy != nil {
		d, ok := a.cfg.TopicPolicy(topicArn)
		if !ok && owner == c.Account {
			return nil // the action reports NotFound itself
		}
		doc = d
	}
	if a.allowed(c, action, topicArn, owner, doc) {
		return nil
	}
	return &auth.Error{Code: "AuthorizationError", Status: http.StatusForbidden,
		Message: "User: " + c.PrincipalARN + " is not authorized to perform: " + action + " on resource: " + topicArn}
}

// AuthorizeDelivery decides whether the topic may deliver into q: the
// queue's policy must allow the SNS service sqs:SendMessage with the
// topic as aws:SourceArn.
func (a *Access) AuthorizeDelivery(topicArn string, q *queue.Queue) error {
	p := a.parse(q.Policy())
	if p != nil {
		req := policy.Request{Service: "sns.amazonaws.com", Action: "sqs:SendMessage", Resource: q.Arn(),
			Context: a.context(auth.Caller{Secure: true})}
		req.Context["aws:sourcearn"] = []string{topicArn}
		req.Context["aws:sourceaccount"] = []string{arnAccount(topicArn)}
		if p.Evaluate(req) == policy.Allow {
			return nil
		}
	}
	return &auth.Error{Code: "AccessDenied", Status: http.StatusForbidden,
		Message: "The policy of queue " + q.Arn() + " does not allow topic " + topicArn + " to send messages (sqs:SendMessage with aws:SourceArn)."}
}

// allowed applies the rules of the package doc.
func (a *Access) allowed(c auth.Caller, action, resource, owner, doc string) bool {
	decision := policy.NotApplicable
	if p := a.parse(doc); p != nil {
		decision = p.Evaluate(policy.Request{PrincipalARN: c.PrincipalARN, PrincipalAccount: c.Account,
			Action: action, Resource: resource, Context: a.context(c)})
	}
	switch {
	case decision == policy.Deny:
		return false
	case c.Account == owner:
		return true
	}
	return decision == policy.Allow
}

// context returns the global condition keys of a request by c.
func (a *Access) context(c auth.Caller) map[string][]string {
	now := a.cfg.Now().UTC()
	ctx := map[string][]string{
		"aws:securetransport": {strconv.FormatBool(c.Secure)},
		"aws:currenttime":     {now.Format(time.RFC3339)},
		"aws:epochtime":       {strconv.FormatInt(now.Unix(), 10)},
	}
	if c.PrincipalARN != "" {
		ctx["aws:principalarn"] = []string{c.PrincipalARN}
		ctx["aws:principalaccount"] = []string{c.Account}
		if i := strings.LastIndexByte(c.PrincipalARN, '/'); i >= 0 {
			ctx["aws:username"] = []string{c.PrincipalARN[i+1:]}
		}
	}
	if c.SourceIP != "" {
		ctx["aws:sourceip"] = []string{c.SourceIP}
	}
	return ctx
}

// parse returns the parsed policy of doc (nil for "" or a document that
// does not parse, which is logged once and then grants nothing).
func (a *Access) parse(doc string) *policy.Policy {
	if doc == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.policies[doc]; ok {
		return p
	}
	p, err := policy.Parse(doc)
	if err != nil {
		a.log.Warn("a queue or topic policy does not parse; it grants nothing", "err", err)
		p = nil
	}
	if len(a.policies) >= 10000 {
		clear(a.policies) // documents change rarely; start over rather than grow
	}
	a.policies[doc] = p
	return p
}

// arnAccount returns the account field of an ARN ("" when arn is not
// arn:partition:service:region:account:resource).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
