package jinja

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// gonja's errors are written for its developers: they repeat the whole template, dump parse-tree
// nodes (`filtered_expression(x)`, `&{<Token[Name] ...>}`) and chain every evaluation step. The
// people who read ours wrote the template, so they get the line and the innermost reason.
var (
	reNear       = regexp.MustCompile(`\(Line: (\d+) Col: (\d+), near "[^"]*"\)`)
	reExecLine   = regexp.MustCompile(`^Unable to (?:render expression|execute controlStructure) at line (\d+)$`)
	reNodeDump   = regexp.MustCompile(`^[A-Za-z_]+\(.*\)$|&\{|<Token`)
	reControl    = regexp.MustCompile(`Unable to parse controlStructure "(\w+)"`)
	internalStep = []string{"unable to execute template", "unable to evaluate filter", "Unable to evaluate target",
		"unable to load template", "failed to reader template"}
)

// parseError rewrites a gonja compile error of src.
func parseError(src string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "failed to parse template '"+src+"': ")
	msg = reNear.ReplaceAllString(msg, "(line $1, column $2)")
	msg = reControl.ReplaceAllString(msg, "{% $1 %}")
	return errors.New("template: " + oneLine(msg))
}

// execError rewrites a gonja render error: "line N: " and the steps a person can act on.
func execError(err error) error {
	line := ""
	var keep []string
	for _, seg := range strings.Split(err.Error(), ": ") {
		if m := reExecLine.FindStringSubmatch(seg); m != nil {
			line = "line " + m[1] + ": "
			continue
		}
		if reNodeDump.MatchString(seg) || hasAnyPrefix(seg, internalStep) {
			continue
		}
		keep = append(keep, seg)
	}
	if len(keep) == 0 {
		return fmt.Errorf("template: %scannot be rendered", line)
	}
	return errors.New("template: " + line + oneLine(strings.Join(keep, ": ")))
}

// oneLine keeps an error on one line: it is shown in chat and logged as one entry.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
