// Package policy parses, validates, edits and evaluates the resource policies
// attached to SQS queues (the queue attribute Policy) and SNS topics (the topic
// attribute Policy), following the IAM policy language and IAM's evaluation
// logic for a single resource-based policy. It is pure: no HTTP, no storage,
// no clock (the caller puts aws:CurrentTime into the request context).
//
// # Grammar
//
// A document is a JSON object with the elements Version ("2012-10-17" or
// "2008-10-17", optional), Id (optional) and Statement (required; one
// statement object or a non-empty array of them). A statement has Sid, Effect
// ("Allow" or "Deny", case-sensitive, required), exactly one of Principal /
// NotPrincipal, exactly one of Action / NotAction, at most one of Resource /
// NotResource, and Condition. Element names are case-sensitive; unknown or
// duplicated elements are errors, as are duplicated non-empty Sids (SQS and SNS
// address statements by Sid in AddPermission / RemovePermission).
//
// Principal is "*" or an object whose keys are AWS, Service, Federated or
// CanonicalUser, each a string or a non-empty list. AWS values are "*", a
// 12-digit account id, or an iam/sts ARN with a 12-digit account; partial
// wildcards are rejected, as IAM does. An account id is stored and rendered as
// the account's root ARN (arn:aws:iam::<id>:root), which is what AWS does.
//
// Action values are "*" or "<service>:<name>" where the name may hold the
// wildcards * and ?; matching is case-insensitive. Resource values are "*" or
// an ARN with at least six colon-separated components ("arn", partition,
// service, region, account, resource); each of the first five components and
// the remainder are matched separately with * and ? (case-sensitive), so a
// wildcard never crosses the colons between the first six components.
//
// # Evaluation
//
// A statement applies to a request when its principal, action, resource and
// every condition match. Evaluate returns Deny if any applying statement is a
// Deny (an explicit deny always wins), else Allow if any applying statement is
// an Allow, else NotApplicable (the caller falls back to its default: the
// resource owner's account is allowed, everybody else implicitly denied).
//
// Principals:
//   - "*" and {"AWS": "*"} are equivalent and match every caller, including
//     anonymous callers and AWS services.
//   - An account id or account root ARN matches every principal of that
//     account (the account owner delegates through its own IAM policies,
//     which are outside this package). The request's account is
//     Request.PrincipalAccount, or the account field of PrincipalARN.
//   - A user or role ARN matches that exact ARN; a role ARN also matches the
//     role's sessions (arn:aws:sts::<acct>:assumed-role/<name>/<session>).
//   - {"Service": "sns.amazonaws.com"} matches a request whose Service is
//     "sns" or "sns.amazonaws.com" (case-insensitive). A request made by a
//     service matches only "*", {"AWS": "*"} and Service entries, never an
//     account or ARN entry, even if PrincipalAccount is set.
//   - Federated and CanonicalUser entries are accepted but never match.
//   - NotPrincipal applies to every caller that the listed entries do not
//     match, with the matching above.
//
// Resource and NotResource absent: the statement applies to the resource the
// policy is attached to, that is to any Request.Resource.
//
// # Conditions
//
// Operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
// StringNotEqualsIgnoreCase, StringLike, StringNotLike, NumericEquals,
// NumericNotEquals, NumericLessThan, NumericLessThanEquals, NumericGreaterThan,
// NumericGreaterThanEquals, DateEquals, DateNotEquals, DateLessThan,
// DateLessThanEquals, DateGreaterThan, DateGreaterThanEquals, Bool,
// BinaryEquals, IpAddress, NotIpAddress, ArnEquals, ArnLike, ArnNotEquals,
// ArnNotLike and Null; every one but Null takes the IfExists suffix and the
// ForAllValues: / ForAnyValue: prefixes. Operator names are matched
// case-insensitively and rendered as written; unknown operators are errors.
// Condition key names are case-insensitive (Request.Context keys must be
// lower-case; a differently cased key is still found, more slowly). Values are
// compared case-sensitively except by the IgnoreCase operators, Bool, and the
// Arn operators' ARN-syntax parts (none: ARNs are case-sensitive).
//
// Several operators in one Condition, and several keys under one operator, are
// ANDed; several values for one key are ORed. A key is present when the
// request context has at least one value for it. For a key with request values
// V and policy values P:
//   - plain positive operator: true if some v in V matches some p in P;
//   - plain negated operator (StringNotEquals, StringNotEqualsIgnoreCase,
//     StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress,
//     ArnNotEquals, ArnNotLike): true if no v in V matches any p in P, the
//     exact negation of the positive form;
//   - key missing, no IfExists, no set prefix: positive operators are false
//     and negated operators are true (IAM's documented rule: "the key is not
//     matched" holds when the key is absent);
//   - …IfExists: a missing key makes the condition true; a present key is
//     evaluated as without the suffix;
//   - ForAllValues: true when every v in V satisfies the operator (for a
//     negated operator: matches none of P); true when the key is missing;
//   - ForAnyValue: true when at least one v in V satisfies the operator;
//     false when the key is missing (whether or not the operator is negated);
//   - Null: "true" holds when the key is missing, "false" when present.
//
// Operator details: StringLike uses * and ? over the whole value; the Arn
// operators (ArnEquals and ArnLike behave identically, as IAM documents)
// match each of the six ARN components separately with * and ?, and a policy
// value with fewer than six components is matched against the whole value;
// numeric values are decimal numbers; dates are ISO 8601 (2006-01-02,
// 2006-01-02T15:04Z07:00, 2006-01-02T15:04:05Z07:00 with optional fraction,
// or those without a zone, read as UTC) or epoch seconds; Bool compares
// "true"/"false" case-insensitively; BinaryEquals compares base64 text;
// IpAddress takes IPv4/IPv6 addresses or CIDR blocks. Policy values are
// validated at Parse (a bad number, date, CIDR, boolean or base64 value is an
// error); a request value that cannot be read for the operator matches
// nothing, so negated operators hold for it. Condition values may be written
// as JSON strings, numbers or booleans and are rendered back as written.
// Policy variables such as ${aws:username} are not expanded: they are literal
// text.
//
// Missing keys the caller did not supply are derived from the request for
// aws:principalarn, aws:principalaccount and aws:principalservicename.
//
// # Limits
//
// SQS and SNS document their policy quotas; they are exported as SQSLimits and
// SNSLimits and checked by CheckLimits, which the caller runs (Parse does not
// impose either service's limits).
package policy
