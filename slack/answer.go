package slack

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// readAnswer reads Slack's answer to a chat.post* call into a: ok and error, and with full the
// channel and ts too, exactly as json.Unmarshal would. encoding/json was a tenth of a reply's
// CPU (two passes, reflection, five allocations), so the common answer, an object whose keys
// and wanted values are plain ASCII, is read by a scan of its top level after json.Valid; any
// other answer, and every error, is encoding/json's.
func readAnswer(b []byte, a *chatAnswer, full bool) error {
	if json.Valid(b) && scanAnswer(b, a, full) {
		return nil
	}
	// Decoded into values of their own, so that a stays on its caller's stack.
	if full {
		var f chatAnswer
		err := json.Unmarshal(b, &f)
		*a = f
		return err
	}
	var s chatStatus
	err := json.Unmarshal(b, &s)
	*a = chatAnswer{OK: s.OK, Error: s.Error}
	return err
}

// scanAnswer reads the top level of b, valid JSON, and reports false where json.Unmarshal could
// read differently: not an object, a key or wanted value with escapes or beyond ASCII, a key
// matching a field only case-insensitively, a wanted value of another type (null included).
// A repeated key counts last, as with json.Unmarshal.
func scanAnswer(b []byte, a *chatAnswer, full bool) bool {
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return false
	}
	for i = skipSpace(b, i+1); b[i] != '}'; {
		k, j, ok := plainString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, skipSpace(b, j)+1) // past the colon
		var dst *string
		is := func(name string) bool { return string(k) == name }
		switch {
		case is("ok") && bytes.HasPrefix(b[i:], []byte("true")):
			a.OK, i = true, i+len("true")
		case is("ok") && bytes.HasPrefix(b[i:], []byte("false")):
			a.OK, i = false, i+len("false")
		case is("ok"):
			return false
		case is("error"):
			dst = &a.Error
		case full && is("channel"):
			dst = &a.Channel
		case full && is("ts"):
			dst = &a.TS
		case bytes.EqualFold(k, []byte("ok")) || bytes.EqualFold(k, []byte("error")) ||
			full && (bytes.EqualFold(k, []byte("channel")) || bytes.EqualFold(k, []byte("ts"))):
			return false
		default:
			i = skipValue(b, i)
		}
		if dst != nil {
			v, j, ok := plainString(b, i)
			if !ok {
				return false
			}
			*dst, i = string(v), j
		}
		if i = skipSpace(b, i); b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return true
}

// plainString returns the content of the JSON string at b[i] and the index past it, false when
// b[i] starts none or it holds an escape or a byte beyond ASCII (json.Unmarshal would decode it).
func plainString(b []byte, i int) ([]byte, int, bool) {
	if b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c >= utf8.RuneSelf:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// skipValue returns the index just past the JSON value at b[i] (b is valid JSON).
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
			continue
		case '}', ']':
			if depth--; depth < 0 {
				return i // the enclosing object ends a number or literal
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
			continue
		default:
			continue // inside a number or literal
		}
		if depth == 0 {
			return i + 1
		}
	}
	return i
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
