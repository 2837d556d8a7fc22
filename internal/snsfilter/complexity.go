package snsfilter

// SNS's own limits, checked once the policy compiles.
const (
	// MaxKeys is how many keys a policy (each "$or" branch of it) may have.
	// Only top-level keys count: {"a":{"b":[…],"c":[…]}} has one.
	MaxKeys = 5
	// MaxCombinations is the most combinations a policy may have: the sum,
	// over its "$or" branches, of the product, over the branch's keys, of
	// the number of values in the key's list times how deep the list is
	// nested (1 at the top level). AWS's example: a list of four values
	// three levels deep and one of three values two levels deep make
	// 3 x 4 x 2 x 3 = 72.
	MaxCombinations = 150
	// MaxSize is the largest policy, in bytes.
	MaxSize = 256 * 1024
)

var (
	errTooManyKeys = &Error{Reason: reasonPrefix + "Filter policy can not have more than 5 keys"}
	errTooComplex  = &Error{Reason: reasonPrefix + "Filter policy is too complex"}
	errNested      = &Error{Reason: "Filter policy scope MessageAttributes does not support nested filter policy"}
	errTooLarge    = &Error{Reason: reasonPrefix + "Filter policy is too long"}
)

// checkLimits applies the key and combination limits to compiled rules:
// the keys of every branch first, then the combinations of all.
func checkLimits(rules []branch) *Error {
	for _, b := range rules {
		if topKeys(b) > MaxKeys {
			return errTooManyKeys
		}
	}
	if combinations(rules) > MaxCombinations {
		return errTooComplex
	}
	return nil
}

func topKeys(b branch) int {
	n := 0
	for i, l := range b {
		seen := false
		for _, m := range b[:i] {
			if m.top == l.top {
				seen = true
				break
			}
		}
		if !seen {
			n++
		}
	}
	return n
}

// combinations computes the policy's complexity, saturating well above
// the limit.
func combinations(rules []branch) int {
	const ceiling = 1 << 30
	sum := 0
	for _, b := range rules {
		prod := 1
		for _, l := range b {
			prod *= min(l.count*l.depth, ceiling)
			prod = min(prod, ceiling)
		}
		sum = min(sum+prod, ceiling)
	}
	return sum
}
