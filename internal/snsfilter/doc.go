// Package snsfilter implements Amazon SNS subscription filter policies:
// their validation, with the error texts AWS returns, and their matching
// against a message's attributes (FilterPolicyScope MessageAttributes) or
// its JSON body (FilterPolicyScope MessageBody).
//
// SNS validates a policy in three steps, and Parse follows them:
//
//  1. The policy is parsed as JSON. A syntax error is reported as
//     "FilterPolicy: failed to parse JSON. <Jackson's message>" followed by
//     Jackson's location line, whose source is redacted.
//  2. The parsed policy is written back as compact JSON (Jackson's form:
//     no spaces, doubles as Java prints them) and compiled by AWS's rule
//     compiler (the one open-sourced as aws/event-ruler, in the version
//     SNS runs: anything-but takes a prefix but no suffix). Its errors carry
//     a location line whose column counts characters in that compact text.
//     When the "$or" form does not compile, "$or" is read as a plain key.
//  3. The compiled policy is checked against SNS's own limits: no nesting
//     in the MessageAttributes scope, at most five keys, and at most 150
//     combinations.
//
// Matching follows the rule engine: AND across keys, OR within a key's list,
// "$or" across branches; values keep their JSON type (the string "100" is
// not the number 100); numbers compare as doubles (100, 1e2 and 100.0 are
// equal); a String.Array attribute or a JSON array in the body matches when
// any element matches, anything-but included; values one branch takes from
// a body array they share must come from the same element of it. Binary
// attributes are ignored, and a message with no attributes (or an empty
// body) never matches a non-empty policy, {"exists": false} included.
// {"exists": true} needs a value that is neither null nor empty; it never
// matches an intermediate node of the body.
//
// Where neither AWS's documentation nor a recorded AWS response settles a
// case, the rule engine's behaviour is followed; see the tests.
package snsfilter
