package secret

import "strings"

// percentIndex finds values written with any of their bytes percent-encoded (%XX, either hex
// case; '+' for a space), whichever set of bytes an encoder chose to escape: RFC 3986,
// encodeURIComponent, encodeURI, HTML forms and Go's url package all differ, and listing every
// form of every value would not catch the mixes. It reads the text once, decoding as it goes.
type percentIndex struct {
	// first2 has a bit for the first two bytes of each value, so most positions of a text
	// are passed over after one look; byFirst2 holds the values to try where the bit is set.
	first    [256]bool
	first2   [1 << 16 / 64]uint64
	byFirst2 map[uint16][]string
}

func newPercentIndex(values []string) percentIndex {
	p := percentIndex{byFirst2: map[uint16][]string{}}
	for _, v := range values {
		// A space may be written '+': index the value under those first bytes too.
		for _, c0 := range plusForms(v[0]) {
			for _, c1 := range plusForms(v[1]) {
				k := uint16(c0)<<8 | uint16(c1)
				p.first[c0] = true
				p.first2[k/64] |= 1 << (k % 64)
				p.byFirst2[k] = append(p.byFirst2[k], v)
			}
		}
	}
	return p
}

func plusForms(c byte) []byte {
	if c == ' ' {
		return []byte{' ', '+'}
	}
	return []byte{c}
}

// redact replaces every percent-encoded occurrence of a value in s. Text without a '%' holds
// none that the replacer does not catch, and costs one scan.
func (p *percentIndex) redact(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		c0, n := s[i], 1 // decoded inline: decodeAt is not inlined, and most bytes are not '%'
		if c0 == '%' {
			c0, n = decodeAt(s, i)
		}
		if !p.first[c0] {
			i++
			continue
		}
		if i+n >= len(s) {
			break
		}
		c1 := s[i+n]
		if c1 == '%' {
			c1, _ = decodeAt(s, i+n)
		}
		if k := uint16(c0)<<8 | uint16(c1); p.first2[k/64]&(1<<(k%64)) != 0 {
			end := -1
			for _, v := range p.byFirst2[k] {
				end = max(end, matchAt(s, i, v))
			}
			if end > i {
				b.WriteString(s[last:i])
				b.WriteString(Redacted)
				i, last = end, end
				continue
			}
		}
		i++
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// matchAt returns where v ends in s when s from i is v with any bytes percent-encoded, else -1.
func matchAt(s string, i int, v string) int {
	for j := 0; j < len(v); j++ {
		if i >= len(s) {
			return -1
		}
		c, n := decodeAt(s, i)
		if c != v[j] && (s[i] != '+' || v[j] != ' ') {
			return -1
		}
		i += n
	}
	return i
}

// decodeAt returns the byte s[i:] starts with, decoding a %XX escape, and how long it was.
func decodeAt(s string, i int) (byte, int) {
	if s[i] == '%' && i+2 < len(s) {
		if h, l := unhex(s[i+1]), unhex(s[i+2]); h < 16 && l < 16 {
			return h<<4 | l, 3
		}
	}
	return s[i], 1
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}
