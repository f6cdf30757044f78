package kit

import (
	"strings"
	"unicode/utf8"

	"github.com/opsgate/opsgate"
)

// fence is a Markdown code fence; reopening and closing one costs at most 8 bytes per post.
const fence = "```"

// SplitMarkdown splits s into posts of at most limit bytes, closing a code block cut in two at
// the end of one post and reopening it at the start of the next, so every post renders.
func SplitMarkdown(s string, limit int) []string {
	parts := opsgate.SplitText(s, limit-8)
	inCode := false
	for i, p := range parts {
		opened := inCode
		if strings.Count(p, fence)%2 == 1 {
			inCode = !inCode
		}
		if opened {
			p = fence + "\n" + p
		}
		if inCode {
			p += "\n" + fence
		}
		parts[i] = p
	}
	return parts
}

// CodeBlock is content as a Markdown code block, under a bold title when there is one.
func CodeBlock(title, content string) string {
	s := fence + "\n" + strings.TrimRight(content, "\n") + "\n" + fence
	if title != "" {
		s = "**" + title + "**\n" + s
	}
	return s
}

// TruncateBytes shortens s to at most n bytes, cut on a rune boundary and ending in "…" when cut
// (for platforms whose limits count bytes).
func TruncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n = max(n-len("…"), 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
