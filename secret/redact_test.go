package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestRedactorEncodings(t *testing.T) {
	const v = "p@ss w/rd+é?&=~x" // characters each encoding treats differently
	r := NewRedactor()
	r.Add(v)
	texts := map[string]string{
		"raw":             "password is " + v + ".",
		"base64 std":      "b64=" + base64.StdEncoding.EncodeToString([]byte(v)),
		"base64 raw std":  "b64=" + base64.RawStdEncoding.EncodeToString([]byte(v)) + " end",
		"base64 url":      base64.URLEncoding.EncodeToString([]byte(v)),
		"base64 raw url":  base64.RawURLEncoding.EncodeToString([]byte(v)),
		"query escape":    "https://h/?pw=" + url.QueryEscape(v) + "&x=1",
		"path escape":     "https://h/" + url.PathEscape(v) + "/x",
		"basic auth":      "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+v)),
		"offset 1":        base64.StdEncoding.EncodeToString([]byte("a" + v + "tail")),
		"offset 2 url":    base64.URLEncoding.EncodeToString([]byte("ab" + v + "z")),
		"json escaped":    fmt.Sprintf(`{"pw":%q}`, v),
		"userinfo in url": (&url.URL{Scheme: "https", User: url.UserPassword("u", v), Host: "h"}).String(),
	}
	for name, text := range texts {
		got := r.Redact(text)
		if strings.Contains(got, v) || leaks(got, v) {
			t.Errorf("%s: %q still holds the value: %q", name, text, got)
		}
		if !strings.Contains(got, Redacted) {
			t.Errorf("%s: nothing redacted in %q", name, got)
		}
	}
	// Padding goes with the value, not left behind.
	if got := r.Redact("x " + base64.StdEncoding.EncodeToString([]byte(v)) + " y"); got != "x "+Redacted+" y" {
		t.Errorf("padded base64: %q", got)
	}
	// Ordinary text is untouched, and short values are not registered.
	r.Add("abc")
	if got := r.Redact("abc def"); got != "abc def" {
		t.Errorf("short value redacted: %q", got)
	}
}

// leaks reports whether any standard encoding of v survived in s.
func leaks(s, v string) bool {
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if strings.Contains(s, e.EncodeToString([]byte(v))) {
			return true
		}
	}
	return strings.Contains(s, url.QueryEscape(v)) || strings.Contains(s, url.PathEscape(v))
}

func TestRedactingHandler(t *testing.T) {
	r := NewRedactor()
	r.Add(canary)
	var buf bytes.Buffer
	log := slog.New(NewRedactingHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}), r))
	log = log.With("preset", "with "+canary)
	log.WithGroup("g").Debug("message "+canary,
		"s", canary,
		"err", errors.New("failed with "+canary),
		"b64", base64.StdEncoding.EncodeToString([]byte(canary)),
		"url", url.QueryEscape(canary),
		"map", map[string]string{"pw": canary},
		"bytes", []byte(canary),
		"value", NewValue(canary),
		slog.Group("nested", "deep", canary),
		"n", 42,
	)
	out := buf.String()
	if strings.Contains(out, canary) || leaks(out, canary) {
		t.Fatalf("log line holds the value: %s", out)
	}
	if !strings.Contains(out, `"n":42`) || !strings.Contains(out, "message "+Redacted) {
		t.Fatalf("log line lost its shape: %s", out)
	}
}

func BenchmarkRedact(b *testing.B) {
	r := NewRedactor()
	for i := 0; i < 50; i++ {
		r.Add(fmt.Sprintf("secret-value-%03d-xyzzy", i))
	}
	line := "time=2026-11-22T19:00:00Z level=INFO msg=\"command finished\" user=U123 channel=C456 command=network status=succeeded"
	b.Run("clean-line", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = r.Redact(line)
		}
	})
	withSecret := line + " token=secret-value-042-xyzzy"
	b.Run("line-with-secret", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = r.Redact(withSecret)
		}
	})
}

// percentEncode writes every byte of s as %XX (hex digits in the case of hexDigits) except
// the bytes in keep and ASCII letters and digits, as URL encoders do with their own sets.
func percentEncode(s, keep, hexDigits string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// A value is found whichever of its bytes an encoder escaped, in either hex case, with %20 or +
// for a space: RFC 3986, encodeURIComponent, encodeURI, HTML forms, Go's url package.
func TestRedactorPercentEncodings(t *testing.T) {
	const upper, lower = "0123456789ABCDEF", "0123456789abcdef"
	for _, v := range []string{"p@ss w/rd+é?&=~x", "Tok3n@ops gate/9Zq!x", "it's (a) *secret*", "key:with;all,$chars#[x]", "al%ue?x8 a+b%41"} {
		r := NewRedactor()
		r.Add(v)
		forms := map[string]string{
			"encodeURIComponent":       percentEncode(v, "-_.!~*'()", upper),
			"encodeURIComponent lower": percentEncode(v, "-_.!~*'()", lower),
			"RFC 3986 strict":          percentEncode(v, "-_.~", upper),
			"RFC 3986 strict lower":    percentEncode(v, "-_.~", lower),
			"encodeURI":                percentEncode(v, "-_.!~*'();/?:@&=+$,#", upper),
			"form (WHATWG, + space)":   strings.ReplaceAll(percentEncode(v, "-_.* ", upper), " ", "+"),
			"path escape lower":        lowerEscapes(url.PathEscape(v)),
			"query escape lower":       lowerEscapes(url.QueryEscape(v)),
			"mixed hex case":           mixEscapes(percentEncode(v, "-_.~", upper)),
			"base64, percent-encoded":  url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(v))),
		}
		for name, f := range forms {
			text := "https://h/x?pw=" + f + "&n=1"
			if got := r.Redact(text); got != "https://h/x?pw="+Redacted+"&n=1" {
				t.Errorf("%q, %s form %q: got %q", v, name, f, got)
			}
		}
		clean := "disk 93% full, %zz, %4, 100%25 sure; trailing %"
		if got := r.Redact(clean); got != clean {
			t.Errorf("clean text changed: %q", got)
		}
	}
}

// mixEscapes lowers the hex digits of every other %XX in s.
func mixEscapes(s string) string {
	b := []byte(s)
	for i, n := 0, 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			if n++; n%2 == 0 {
				b[i+1], b[i+2] = bytes.ToLower(b[i+1 : i+2])[0], bytes.ToLower(b[i+2 : i+3])[0]
			}
		}
	}
	return string(b)
}

// lowerEscapes lowers the hex digits of every %XX in s.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = bytes.ToLower(b[i+1 : i+2])[0], bytes.ToLower(b[i+2 : i+3])[0]
		}
	}
	return string(b)
}
