package detect

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Homoglyph and mixed-script words (UTS #39 restriction levels, simplified):
// a word that mixes Latin letters with Cyrillic or Greek ones, such as
// "ignоre" with a Cyrillic о, or a word spelled entirely in Cyrillic or
// Greek look-alikes of Latin letters ("ѕуѕтем") inside Latin text. Both
// defeat keyword filters and make links and names look like something
// else, while a model reads the intended word. Genuine Greek or Cyrillic
// text is not reported: whole-script words count only when the text
// around them is Latin, and a word mixing scripts counts only when all its
// non-Latin letters are Latin look-alikes.

// maxHomoglyphHits bounds the findings per text.
const maxHomoglyphHits = 16

// notConfusable are Greek letters that are common in Latin prose as units
// or symbols (μm, µs) rather than disguise.
var notConfusable = map[rune]bool{'μ': true, 'µ': true}

// wordScripts describes the letters of one word.
type wordScripts struct {
	latin, foreign, lookalike int  // letter counts: Latin, Cyrillic/Greek, Cyrillic/Greek Latin look-alikes
	other                     bool // letters of any other script
	first                     rune // the first Cyrillic/Greek look-alike
}

// scriptsOf classifies the letters of word.
func scriptsOf(word string) wordScripts {
	var ws wordScripts
	for _, r := range word {
		switch {
		case !unicode.IsLetter(r):
		case unicode.Is(unicode.Latin, r):
			ws.latin++
		case unicode.Is(unicode.Cyrillic, r) || unicode.Is(unicode.Greek, r):
			ws.foreign++
			if isLookalike(r) {
				ws.lookalike++
				if ws.first == 0 {
					ws.first = r
				}
			}
		default:
			ws.other = true
		}
	}
	return ws
}

// isLookalike reports a Cyrillic or Greek letter that folds to a Latin one.
func isLookalike(r rune) bool {
	if notConfusable[r] {
		return false
	}
	_, ok := confusables[unicode.ToLower(r)]
	return ok
}

// mixedScript reports a word that mixes Latin with Cyrillic/Greek letters
// that all look like Latin ones. A Cyrillic letter without a Latin twin
// ("демoing") shows a bilingual writer, not a disguise.
func (ws wordScripts) mixedScript() bool {
	return ws.latin > 0 && ws.foreign > 0 && ws.lookalike == ws.foreign && !ws.other
}

// wholeScriptLookalike reports a word made only of Cyrillic/Greek letters
// that all look like Latin ones.
func (ws wordScripts) wholeScriptLookalike() bool {
	return ws.latin == 0 && ws.foreign > 0 && ws.lookalike == ws.foreign && !ws.other
}

// skeleton folds look-alikes to Latin, for messages ("ignоre" → "ignore").
func skeleton(word string) string {
	return strings.Map(func(r rune) rune {
		if isLookalike(r) {
			c := confusables[unicode.ToLower(r)]
			if unicode.IsUpper(r) {
				return unicode.ToUpper(c)
			}
			return c
		}
		return r
	}, word)
}

// wordSpan is one word of a text.
type wordSpan struct {
	start, end int
}

// words splits text into runs of letters, marks and digits.
func words(text string) []wordSpan {
	var out []wordSpan
	start := -1
	for i, r := range text {
		in := unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			out = append(out, wordSpan{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, wordSpan{start, len(text)})
	}
	return out
}

// hasForeignLetter is a cheap prefilter: any Cyrillic or Greek code point.
func hasForeignLetter(text string) bool {
	for i := 0; i < len(text); i++ {
		if b := text[i]; b == 0xCE || b == 0xCF || b >= 0xD0 && b <= 0xD4 {
			return true
		}
	}
	return false
}

func findHomoglyph(text string) []finding {
	if !hasForeignLetter(text) {
		return nil
	}
	ws := words(text)
	latinWords := 0
	for _, w := range ws {
		if s := scriptsOf(text[w.start:w.end]); s.latin > 0 && s.foreign == 0 {
			latinWords++
		}
	}
	var fs []finding
	for i, w := range ws {
		word := text[w.start:w.end]
		if utf8.RuneCountInString(word) < 3 {
			continue
		}
		s := scriptsOf(word)
		var why string
		switch {
		case s.mixedScript():
			why = "mixes Latin letters with Cyrillic or Greek look-alikes"
		case s.wholeScriptLookalike() && latinContext(text, ws, i) && latinWords*2 >= len(ws):
			why = "is spelled in Cyrillic or Greek letters that look like Latin ones, inside Latin text"
		default:
			continue
		}
		fs = append(fs, finding{detector: DetHomoglyph, start: w.start, end: w.end,
			message: fmt.Sprintf("Homoglyph word %q (reads as %q) %s (first: %U %q): look-alike letters defeat keyword filters and disguise names while models read the intended word.",
				truncate(word, 40), truncate(skeleton(word), 40), why, s.first, s.first),
			evidence: evidenceOf(word)})
		if len(fs) == maxHomoglyphHits {
			break
		}
	}
	return fs
}

// latinContext reports whether the nearest words on either side of word i
// are Latin-only.
func latinContext(text string, ws []wordSpan, i int) bool {
	isLatin := func(j int) bool {
		s := scriptsOf(text[ws[j].start:ws[j].end])
		return s.latin > 0 && s.foreign == 0
	}
	left := i > 0 && isLatin(i-1)
	right := i+1 < len(ws) && isLatin(i+1)
	return left || right
}
