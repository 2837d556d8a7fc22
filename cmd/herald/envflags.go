package main

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
)

// envInUsage finds the environment variable a flag's usage names at its
// end, in brackets: "... [HERALD_LISTEN]".
var envInUsage = regexp.MustCompile(`\[([A-Z][A-Z0-9_]*)\]$`)

// setFromEnv runs after fs parsed the command line. It gives each flag
// that the command line did not set, and whose usage names an environment
// variable, that variable's value when it is set and not empty. A value
// the flag refuses (HERALD_MAX_QUEUES=lots, HERALD_IN_MEMORY=yes) is an
// error naming the variable, never a silent fallback to the default. It
// returns the names of the flags the command line set.
func setFromEnv(fs *flag.FlagSet, getenv func(string) string) (onCommandLine map[string]bool, err error) {
	onCommandLine = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		m := envInUsage.FindStringSubmatch(f.Usage)
		if m == nil || onCommandLine[f.Name] {
			return
		}
		v := getenv(m[1])
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q (for --%s): %v", m[1], v, f.Name, err))
		}
	})
	return onCommandLine, errors.Join(errs...)
}
