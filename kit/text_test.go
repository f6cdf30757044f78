package kit

import "testing"

// Truncate counts characters, not bytes, and leaves text that fits exactly as it was.
func TestTruncateCountsCharacters(t *testing.T) {
	for _, c := range []struct {
		in    string
		limit int
		want  string
	}{
		{"héllo", 5, "héllo"},           // 6 bytes, 5 characters: fits
		{"héllo!", 5, "héll…"},          // one character too many
		{"ab\xffcd", 5, "ab\xffcd"},     // invalid UTF-8 that fits is not touched
		{"ab\xffcdef", 5, "ab\uFFFDc…"}, // cut: as []rune makes it
		{"日本語のテキスト", 4, "日本語…"},
	} {
		if got := Truncate(c.in, c.limit); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.limit, got, c.want)
		}
	}
}
