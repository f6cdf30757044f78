package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

var reBadFlagValue = regexp.MustCompile(`^invalid argument "(.*)" for "(?:-\w, )?(--[\w-]+)" flag: `)

// flagTypeWords says in words what each flag type takes.
var flagTypeWords = map[string]string{
	"int": "a whole number", "int64": "a whole number", "uint": "a whole number", "float64": "a number",
	"bool": "true or false", "duration": "a duration like 30s or 5m",
}

// flagError words a flag parsing error for people: pflag's own text ends with the Go parser's
// (`strconv.ParseInt: parsing "abc": invalid syntax`). Exit status 2.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if m := reBadFlagValue.FindStringSubmatch(msg); m != nil {
		what := "a valid value"
		if f := cmd.Flags().Lookup(strings.TrimPrefix(m[2], "--")); f != nil && flagTypeWords[f.Value.Type()] != "" {
			what = flagTypeWords[f.Value.Type()]
		}
		msg = fmt.Sprintf("%s %q is not %s", m[2], m[1], what)
	}
	return usageErrorf("%s", msg)
}

// platformFlag puts in *p the registered name (lower case) of the chat platform it names; an
// unknown one is a usage error (exit 2) listing those opsgate knows. An empty *p stays empty when
// optional (no platform: all of them).
func platformFlag(p *string, optional bool) error {
	if *p == "" && optional {
		return nil
	}
	name, err := kit.ChatPlatform(*p)
	if err != nil {
		return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
	}
	*p = name
	return nil
}
