package detect

import (
	"encoding/base32"
	"encoding/hex"
	"html"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Decoders for the encoded-payload detector. Each takes one matched run
// and returns the decoded text, or false when the run does not decode;
// none allocates more than a small multiple of its input.

func decodeB32(s string) (string, bool) {
	enc := base32.StdEncoding
	if !strings.HasSuffix(s, "=") {
		enc = base32.StdEncoding.WithPadding(base32.NoPadding)
		s = s[:len(s)/8*8+validB32Tail(len(s)%8)]
	}
	d, err := enc.DecodeString(s)
	return string(d), err == nil
}

// validB32Tail keeps the longest valid unpadded tail length (RFC 4648:
// 0, 2, 4, 5 or 7 characters after the last full 8-character group).
func validB32Tail(n int) int {
	for ; n > 0; n-- {
		switch n {
		case 2, 4, 5, 7:
			return n
		}
	}
	return 0
}

func decodeHex(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", ":", "", `\x`, "").Replace(s)
	d, err := hex.DecodeString(s)
	return string(d), err == nil
}

func decodePct(s string) (string, bool) {
	d, err := url.PathUnescape(s)
	return d, err == nil
}

// decodeEntities resolves HTML character references (&#105;, &#x69;) in a
// run that mixes them with plain letters ("&#x69;gnore"); a run that
// decodes to itself is not an encoding.
func decodeEntities(s string) (string, bool) {
	d := html.UnescapeString(s)
	return d, d != s
}

// decodeEscapes resolves \uXXXX (with surrogate pairs), \UXXXXXXXX and
// \xNN escapes; \xNN bytes may spell UTF-8 together. A run needs
// minEscapes escapes.
func decodeEscapes(s string) (string, bool) {
	if strings.Count(s, `\`) < minEscapes {
		return "", false
	}
	var b []byte
	var pendingHigh rune
	for i := 0; i < len(s); {
		if s[i] != '\\' || i+1 >= len(s) {
			b = append(b, s[i])
			i++
			continue
		}
		width := escapeWidth(s[i+1])
		if width == 0 || i+2+width > len(s) {
			b = append(b, s[i])
			i++
			continue
		}
		v, err := strconv.ParseUint(s[i+2:i+2+width], 16, 32)
		if err != nil {
			return "", false
		}
		i += 2 + width
		switch r := rune(v); {
		case width == 2:
			b = append(b, byte(v))
		case utf16.IsSurrogate(r) && r < 0xDC00:
			pendingHigh = r
		case utf16.IsSurrogate(r):
			b = utf8.AppendRune(b, utf16.DecodeRune(pendingHigh, r))
			pendingHigh = 0
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b), true
}

// escapeWidth is the number of hex digits after \u, \U or \x (0 for
// anything else).
func escapeWidth(c byte) int {
	switch c {
	case 'u':
		return 4
	case 'U':
		return 8
	case 'x':
		return 2
	}
	return 0
}

func decodeMorseRun(s string) (string, bool) {
	d := decodeMorse(s)
	return d, len(d) >= 12
}

// atbash maps a↔z, b↔y, … in both cases; it is its own inverse. It works
// on bytes, so offsets in the result are offsets in s even when s is not
// valid UTF-8.
func atbash(s string) string {
	return mapASCIILetters(s, func(b, base byte) byte { return base + 25 - (b - base) })
}

// rot13 rotates ASCII letters by 13, byte for byte like atbash.
func rot13(s string) string {
	return mapASCIILetters(s, func(b, base byte) byte { return base + (b-base+13)%26 })
}

// mapASCIILetters applies f to every ASCII letter (base 'a' or 'A') and
// leaves every other byte alone.
func mapASCIILetters(s string, f func(b, base byte) byte) string {
	out := []byte(s)
	for i, b := range out {
		switch {
		case b >= 'a' && b <= 'z':
			out[i] = f(b, 'a')
		case b >= 'A' && b <= 'Z':
			out[i] = f(b, 'A')
		}
	}
	return string(out)
}
