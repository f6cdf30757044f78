package stackstorm

import (
	"strings"
	"unicode/utf8"
)

// DefaultLimits are the per-message text limits, in characters, of the platforms opsgate speaks:
// a longer announcement is split into several messages, never truncated (hubot's silent
// 500-character cut is a well-known surprise). Slack's is the usable size of one section block.
var DefaultLimits = map[string]int{
	"slack":      3000,
	"mattermost": 16383,
	"webex":      7439,
	"teams":      28000,
	"discord":    2000,
	"terminal":   0, // no limit
}

// SplitText cuts s into pieces of at most limit characters (limit <= 0: no limit), preferring to
// cut at a line break, then at a space. A ``` code block cut in two is closed at the end of one
// piece and reopened in the next so both render as code.
func SplitText(s string, limit int) []string {
	if limit <= 0 || utf8.RuneCountInString(s) <= limit {
		return []string{s}
	}
	const fence = "```"
	var out []string
	inCode := false
	for s != "" {
		room := limit
		if inCode {
			room -= len(fence) + 1 // reopening fence and newline
		}
		room -= len(fence) + 1 // a closing fence we may need to add
		if room < 1 {
			room = 1
		}
		if utf8.RuneCountInString(s) <= room+len(fence)+1 {
			piece := s
			if inCode {
				piece = fence + "\n" + piece
			}
			out = append(out, piece)
			break
		}
		cut := byteIndexOfRune(s, room)
		if i := strings.LastIndex(s[:cut], "\n"); i > cut/2 {
			cut = i + 1
		} else if i := strings.LastIndex(s[:cut], " "); i > cut/2 {
			cut = i + 1
		}
		piece := s[:cut]
		s = s[cut:]
		opened := inCode
		if strings.Count(piece, fence)%2 == 1 {
			inCode = !inCode
		}
		if opened {
			piece = fence + "\n" + piece
		}
		if inCode {
			piece = strings.TrimRight(piece, "\n") + "\n" + fence
		}
		out = append(out, strings.TrimRight(piece, " "))
	}
	return out
}

// byteIndexOfRune returns the byte offset of the n-th rune of s (len(s) if s is shorter).
func byteIndexOfRune(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
