package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normText is text folded for lexicon matching with a map from every byte
// of the folded text back to the original byte range it came from.
type normText struct {
	s          string
	start, end []int // original [start,end) of each byte of s
}

// confusables folds common Cyrillic and Greek look-alikes of Latin letters
// (a hand-picked subset of UTS #39 confusables.txt; lowercase after NFKC).
var confusables = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p',
	'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's', 'һ': 'h', 'ԁ': 'd',
	'ԛ': 'q', 'ԝ': 'w', 'ɡ': 'g', 'ı': 'i', 'ӏ': 'l', 'ү': 'y', 'ԍ': 'g',
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w', 'μ': 'u', 'ϲ': 'c', 'ϳ': 'j',
}

// leet folds leetspeak digits and symbols.
var leet = map[rune]rune{
	'4': 'a', '@': 'a', '3': 'e', '1': 'i', '0': 'o', '5': 's', '$': 's', '7': 't',
}

// isZeroWidth reports the characters stripped before matching.
func isZeroWidth(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r >= 0x2060 && r <= 0x2064, r == 0xFEFF,
		r == 0x00AD, r == 0x034F, r == 0x180E, r >= 0x202A && r <= 0x202E,
		r >= 0x2066 && r <= 0x2069, r >= 0xFE00 && r <= 0xFE0F,
		r >= 0xE0000 && r <= 0xE01EF:
		return true
	}
	return false
}

// normalize applies NFKC (per code point), strips zero-width and format
// characters, folds confusables and leetspeak, maps curly quotes to ASCII
// and lowercases. Folding is per code point so offsets stay exact.
func normalize(text string) normText {
	var b strings.Builder
	b.Grow(len(text))
	n := normText{start: make([]int, 0, len(text)), end: make([]int, 0, len(text))}
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		j := i + size
		if isZeroWidth(r) {
			i = j
			continue
		}
		var out string
		if r < utf8.RuneSelf {
			out = string(rune(foldRune(r)))
		} else {
			k := utf8.EncodeRune(buf[:], r)
			folded := norm.NFKC.String(string(buf[:k]))
			var fb strings.Builder
			for _, fr := range folded {
				fb.WriteRune(foldRune(fr))
			}
			out = fb.String()
		}
		b.WriteString(out)
		for k := 0; k < len(out); k++ {
			n.start = append(n.start, i)
			n.end = append(n.end, j)
		}
		i = j
	}
	n.s = b.String()
	return n
}

func foldRune(r rune) rune {
	switch r {
	case '\u2018', '\u2019', '\u02bc', '\u2032':
		return '\''
	case '\u201c', '\u201d':
		return '"'
	}
	r = unicode.ToLower(r)
	if c, ok := confusables[r]; ok {
		return c
	}
	if c, ok := leet[r]; ok {
		return c
	}
	return r
}

// span maps a folded byte range back to the original text.
func (n normText) span(s, e int) (int, int) {
	if s >= len(n.start) || e <= s {
		return 0, 0
	}
	return n.start[s], n.end[e-1]
}
