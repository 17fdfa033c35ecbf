package detect

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Invisible and smuggling characters, checked on the raw text: Unicode tag
// characters (hidden ASCII), variation-selector smuggling, zero-width and
// filler characters, private-use code points and bidi controls (Trojan
// Source). Legitimate uses are allowed: a single variation selector after
// an emoji or ideograph, ZWJ inside emoji sequences, ZWNJ/ZWJ inside
// Arabic-script and Indic words, U+FEFF at offset 0.

type invKind int

const (
	invNone invKind = iota
	invTag
	invSelector
	invZeroWidth
	invFiller
	invPrivate
	invBidi
)

var invNames = [...]string{"", "Unicode tag", "variation selector", "zero-width", "invisible filler", "private-use", "bidi control"}

func isEmojiBase(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2300 && r <= 0x23FF,
		r >= 0x2B00 && r <= 0x2BFF, r >= 0x2190 && r <= 0x21FF, r >= 0x3000 && r <= 0x303F,
		r == 0x00A9, r == 0x00AE, r == 0x203C, r == 0x2049, r == 0x2122, r == 0x2139,
		r >= 0x3290 && r <= 0x32FF, r >= 0x2460 && r <= 0x24FF, r >= 0x25A0 && r <= 0x25FF:
		return true
	}
	return unicode.Is(unicode.So, r) || unicode.Is(unicode.Sm, r)
}

// joinsScript reports scripts where ZWNJ/ZWJ are part of ordinary spelling.
func joinsScript(r rune) bool {
	switch {
	case r >= 0x0600 && r <= 0x08FF, r >= 0xFB50 && r <= 0xFEFC, // Arabic, Persian, Urdu
		r >= 0x0700 && r <= 0x074F, // Syriac
		r >= 0x0900 && r <= 0x0DFF, // Devanagari .. Sinhala
		r >= 0x1800 && r <= 0x18AF, // Mongolian
		r >= 0x0F00 && r <= 0x0FFF, // Tibetan
		r >= 0x1000 && r <= 0x109F: // Myanmar
		return true
	}
	return false
}

func isHangulJamo(r rune) bool { return r >= 0x1100 && r <= 0x11FF || r >= 0xAC00 && r <= 0xD7A3 }

func isBidi(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

func isSelector(r rune) bool { return r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF }

// classify returns the kind of suspicious character at text[i:], given the
// previous and next runes (0 at the edges).
func classify(i int, r, prev, next rune, prevSel bool) invKind {
	switch {
	case r >= 0xE0000 && r <= 0xE007F:
		return invTag
	case isSelector(r):
		if prevSel || isSelector(next) {
			return invSelector // a run of selectors
		}
		if prev == 0 || prev < 0x80 && !(next == 0x20E3 || unicode.IsDigit(prev) || prev == '#' || prev == '*') {
			return invSelector
		}
		if r >= 0xE0100 && !unicode.Is(unicode.Han, prev) {
			return invSelector // ideographic variation selectors only follow ideographs
		}
		if isEmojiBase(prev) || unicode.Is(unicode.Han, prev) || prev >= 0x80 && !unicode.IsLetter(prev) {
			return invNone
		}
		if prev == '#' || prev == '*' || unicode.IsDigit(prev) {
			return invNone // keycap
		}
		return invSelector
	case r == 0x200D:
		if (isEmojiBase(prev) || isSelector(prev) || prev >= 0x1F3FB && prev <= 0x1F3FF) && isEmojiBase(next) {
			return invNone
		}
		if joinsScript(prev) && joinsScript(next) {
			return invNone
		}
		return invZeroWidth
	case r == 0x200C:
		if joinsScript(prev) && joinsScript(next) {
			return invNone
		}
		return invZeroWidth
	case r == 0x200B, r >= 0x2060 && r <= 0x2064, r == 0x180E, r == 0x034F:
		return invZeroWidth
	case r == 0x00AD:
		return invZeroWidth
	case r == 0xFEFF:
		if i == 0 {
			return invNone
		}
		return invZeroWidth
	case r == 0x3164, r == 0xFFA0, r == 0x2800:
		return invFiller
	case r == 0x115F || r == 0x1160:
		if isHangulJamo(prev) || isHangulJamo(next) {
			return invNone
		}
		return invFiller
	case r >= 0xE000 && r <= 0xF8FF, r >= 0xF0000 && r <= 0xFFFFD, r >= 0x100000 && r <= 0x10FFFD:
		return invPrivate
	case isBidi(r):
		return invBidi
	}
	return invNone
}

type invRun struct {
	start, end int
	kinds      [len(invNames)]int
	runes      []rune
}

func findInvisible(text string, role promptcore.Role) []finding {
	instr := BandOf(role) == BandInstruction
	var runs []*invRun
	var cur *invRun
	var prev rune
	prevSel := false
	bidiDepth := 0 // open embeddings/overrides/isolates
	var bidiOpen, unterminated []int
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		next, _ := utf8.DecodeRuneInString(text[i+size:])
		if i+size >= len(text) {
			next = 0
		}
		if r == '\n' || r == 0x2029 {
			// A paragraph end closes every open embedding.
			unterminated = append(unterminated, bidiOpen...)
			bidiOpen, bidiDepth = nil, 0
		}
		k := classify(i, r, prev, next, prevSel)
		if k == invBidi {
			switch {
			case r >= 0x202A && r <= 0x202E && r != 0x202C, r >= 0x2066 && r <= 0x2068:
				bidiDepth++
				bidiOpen = append(bidiOpen, i)
			case r == 0x202C || r == 0x2069:
				if bidiDepth > 0 {
					bidiDepth--
					bidiOpen = bidiOpen[:len(bidiOpen)-1]
				}
			}
			// In data text, RTL marks and balanced isolates are ordinary;
			// only overrides (U+202D/U+202E) count there.
			if !instr && r != 0x202D && r != 0x202E {
				k = invNone
			}
		}
		if k != invNone {
			if cur == nil || cur.end != i {
				cur = &invRun{start: i}
				runs = append(runs, cur)
			}
			cur.end = i + size
			cur.kinds[k]++
			if len(cur.runes) < 4096 {
				cur.runes = append(cur.runes, r)
			}
		}
		prevSel = isSelector(r)
		if !isSelector(r) || prev == 0 {
			prev = r
		}
		i += size
	}
	var fs []finding
	for _, run := range runs {
		fs = append(fs, invFinding(run))
	}
	// Unbalanced embeddings in data text (instruction text already reports
	// every control).
	unterminated = append(unterminated, bidiOpen...)
	if !instr {
		for _, off := range unterminated {
			r, size := utf8.DecodeRuneInString(text[off:])
			if r == 0x202D || r == 0x202E {
				continue // already reported
			}
			fs = append(fs, finding{detector: DetInvisible, start: off, end: off + size,
				message:  fmt.Sprintf("Unterminated bidi control U+%04X: the text after it is displayed in a different order than it is read, which can hide instructions from reviewers (Trojan Source).", r),
				evidence: fmt.Sprintf("U+%04X", r)})
		}
	}
	return fs
}

func invFinding(run *invRun) finding {
	f := finding{detector: DetInvisible, start: run.start, end: run.end}
	n := len(run.runes)
	switch {
	case run.kinds[invTag] > 0:
		var hidden strings.Builder
		for _, r := range run.runes {
			if r >= 0xE0020 && r <= 0xE007E {
				hidden.WriteRune(r - 0xE0000)
			}
		}
		h := redactSecret(hidden.String())
		f.message = fmt.Sprintf("%d invisible Unicode tag characters spell hidden ASCII %q: models read tag characters while reviewers cannot see them (ASCII smuggling).", run.kinds[invTag], truncate(h, 80))
		f.evidence = "tags:" + truncate(h, 40)
		return f
	case run.kinds[invBidi] > 0:
		f.message = fmt.Sprintf("Bidi control characters (%s) reorder how the text is displayed versus how it is read, which can hide or disguise instructions (Trojan Source, CVE-2021-42574).", codepoints(run.runes, 6))
	case run.kinds[invSelector] > 0:
		f.message = fmt.Sprintf("%d variation selectors not attached to an emoji or ideograph: runs of selectors can smuggle hidden bytes past reviewers.", run.kinds[invSelector])
	case run.kinds[invPrivate] > 0:
		f.message = fmt.Sprintf("%d private-use code points: they render as nothing or as boxes and can carry hidden data.", run.kinds[invPrivate])
	case run.kinds[invFiller] > 0:
		f.message = fmt.Sprintf("%d invisible filler characters (Hangul filler, braille blank): they look like blank space but are read by the model.", run.kinds[invFiller])
	default:
		f.message = fmt.Sprintf("%d zero-width or invisible formatting characters outside an emoji sequence or joining script: they hide text or split words to evade filters, and can encode hidden bits.", n)
	}
	f.evidence = codepoints(run.runes, 6)
	return f
}

func codepoints(rs []rune, max int) string {
	var parts []string
	for i, r := range rs {
		if i == max {
			parts = append(parts, fmt.Sprintf("…(%d)", len(rs)))
			break
		}
		parts = append(parts, fmt.Sprintf("U+%04X", r))
	}
	return strings.Join(parts, " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

var secretShape = regexp.MustCompile(`(?i)(sk-[a-z0-9_-]{8,}|AKIA[0-9A-Z]{12,}|gh[pousr]_[A-Za-z0-9]{16,}|xox[abpr]-[A-Za-z0-9-]{8,}|-----BEGIN|eyJ[A-Za-z0-9_-]{10,}\.|[A-Za-z0-9+/_-]{24,})`)

// redactSecret replaces secret-looking tokens with their first four
// characters and a marker.
func redactSecret(s string) string {
	return secretShape.ReplaceAllStringFunc(s, func(m string) string {
		if len(m) <= 4 {
			return m
		}
		return m[:4] + "…[redacted]"
	})
}
