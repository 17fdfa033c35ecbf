package detect

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Encoded payloads: base64, base32, hex, percent-encoding, HTML character
// references, \uXXXX / \xNN escapes and Morse runs are decoded, ROT13 and
// Atbash are reversed, and the decoded text is scanned again by every
// detector (to depth 2) and checked for code. A hit is reported on the
// encoded span. Every decoder is bounded: matches per kind, bytes per
// decoded run (maxDecoded) and decoded bytes per text (decodeBudget).

var (
	b64Run    = regexp.MustCompile(`[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}={0,2}`)
	b32Run    = regexp.MustCompile(`\b[A-Z2-7]{24,}={0,6}`)
	hexRun    = regexp.MustCompile(`\b(?:[0-9a-fA-F]{2}[ :]?){16,}\b|(?:\\x[0-9a-fA-F]{2}){8,}`)
	pctRun    = regexp.MustCompile(`(?:%[0-9a-fA-F]{2}[A-Za-z0-9._~+-]{0,3}){6,}`)
	entityRun = regexp.MustCompile(`(?:[A-Za-z0-9 ,.'!?:-]{0,40}(?:&#[xX][0-9a-fA-F]{1,6};?|&#[0-9]{1,7};?))+[A-Za-z0-9 ,.'!?:-]{0,40}`)
	escRun    = regexp.MustCompile(`(?:[A-Za-z0-9 ,.'!?:-]{0,40}(?:\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}|\\x[0-9a-fA-F]{2}))+[A-Za-z0-9 ,.'!?:-]{0,40}`)
	morseRun  = regexp.MustCompile(`(?:[.\-]{1,7}(?: {1,3}|/ ?|$)){12,}`)
	morseWord = regexp.MustCompile(`\s{2,}|\s*/\s*`)
	rot13Cue  = regexp.MustCompile(`(?i)\brot-?13\b|\b(?:vtaber|qvfertneq|vafgehpgvbaf|flfgrz\s+cebzcg|wnvyoernx|cergraq|lbh\s+ner\s+abj)\b`)
	codeRe    = regexp.MustCompile(`\b(?:os\.system|os\.popen|subprocess\.\w+|__import__|eval\s*\(|exec\s*\(|child_process|Runtime\.getRuntime|/bin/(?:ba)?sh|rm\s+-rf\s+/|/etc/passwd|/etc/shadow|powershell|cmd\.exe|nc\s+-e|Invoke-Expression)`)
)

// atbashCues are Atbash spellings (a↔z) of words injections use, and the
// cipher's name; one must occur before the whole text is reversed.
var atbashCues = []string{"atbash", "rtmliv", "wrhivtziw", "rmhgifxgrlmh", "kiverlfh", "hbhgvn kilnkg", "qzrooyivzp", "kivgvmw", "blf ziv mld"}

// Bounds on decoding.
const (
	maxDecoded   = 64 << 10 // bytes of one decoded run that are rescanned
	decodeBudget = 1 << 20  // decoded bytes rescanned per text and depth
	minEscapes   = 3        // escapes a \u / \x run needs
)

// decoder is one encoding found by a regexp and reversed by decode.
type decoder struct {
	kind   string
	re     *regexp.Regexp
	n      int               // matches per text
	pre    func(string) bool // cheap test that the text can hold a run
	decode func(string) (string, bool)
}

var decoders = []decoder{
	{"base64", b64Run, 64, func(t string) bool { return hasRun(t, isB64Byte, 24) }, decodeB64},
	{"base32", b32Run, 32, func(t string) bool { return hasRun(t, isB32Byte, 24) }, decodeB32},
	{"hex", hexRun, 32, func(t string) bool { return hasRun(t, isHexish, 32) }, decodeHex},
	{"URL", pctRun, 32, func(t string) bool { return strings.Count(t, "%") >= 6 }, decodePct},
	{"HTML-entity", entityRun, 32, func(t string) bool { return strings.Contains(t, "&#") }, decodeEntities},
	{"escape", escRun, 32, hasEscapes, decodeEscapes},
	{"Morse", morseRun, 8, func(t string) bool { return hasRun(t, isMorseByte, 36) }, decodeMorseRun},
}

func findEncoded(text string, role promptcore.Role, depth int) []finding {
	var fs []finding
	budget := decodeBudget
	try := func(s, e int, kind, decoded string) {
		if budget <= 0 || !printable(decoded) {
			return
		}
		if len(decoded) > maxDecoded {
			decoded = decoded[:maxDecoded]
		}
		budget -= len(decoded)
		if why := decodedReason(decoded, role, depth); why != "" {
			fs = append(fs, finding{detector: DetEncoded, start: s, end: e,
				message:  fmt.Sprintf("%s-encoded payload %s: encoding hides instructions from reviewers and keyword filters while models decode it readily.", kind, why),
				evidence: kind + ":" + evidenceOf(decoded)})
		}
	}
	for _, d := range decoders {
		if !d.pre(text) {
			continue
		}
		for _, m := range d.re.FindAllStringIndex(text, d.n) {
			if dec, ok := d.decode(text[m[0]:m[1]]); ok {
				try(m[0], m[1], d.kind, dec)
			}
		}
	}
	fs = append(fs, substitutionHits(text, "ROT13", rot13Pre(text) && rot13Cue.MatchString(text), rot13)...)
	fs = append(fs, substitutionHits(text, "Atbash", anyContains(strings.ToLower(text), atbashCues), atbash)...)
	return fs
}

// decodedReason says what the decoded text triggers, or "".
func decodedReason(decoded string, role promptcore.Role, depth int) string {
	if hits := runText(decoded, role, depth+1); len(hits) > 0 {
		return "decodes to text that triggers " + hits[0].Rule + " (" + firstSentence(hits[0].Message) + ")"
	}
	if m := codeRe.FindString(decoded); m != "" {
		return "decodes to code or a shell command (" + m + ")"
	}
	if strings.Contains(decoded, "EICAR-STANDARD") {
		return "decodes to the EICAR test string"
	}
	return ""
}

// substitutionHits reverses a letter-substitution cipher over the whole
// text (offsets are unchanged) and reports the first injection phrase.
func substitutionHits(text, kind string, cue bool, reverse func(string) string) []finding {
	if !cue {
		return nil
	}
	r := reverse(text)
	if r == text {
		return nil
	}
	hits := findInjection(r)
	if len(hits) == 0 {
		return nil
	}
	h := hits[0]
	return []finding{{detector: DetEncoded, start: h.start, end: h.end,
		message:  kind + "-encoded prompt-injection phrase: encoding hides instructions from reviewers and keyword filters while models decode it readily.",
		evidence: strings.ToLower(kind) + ":" + evidenceOf(r[h.start:h.end])}}
}

func isB64Byte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '_' || b == '-'
}

func isHexish(b byte) bool {
	return b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' || b >= '0' && b <= '9' || b == ' ' || b == ':' || b == '\\' || b == 'x'
}

func isMorseByte(b byte) bool { return b == '.' || b == '-' || b == ' ' || b == '/' }

// hasEscapes reports at least minEscapes \u, \U or \x escapes.
func hasEscapes(t string) bool {
	return strings.Count(t, `\u`)+strings.Count(t, `\U`)+strings.Count(t, `\x`) >= minEscapes
}

func isB32Byte(b byte) bool { return b >= 'A' && b <= 'Z' || b >= '2' && b <= '7' }

// hasRun reports whether text has n consecutive bytes satisfying ok.
func hasRun(text string, ok func(byte) bool, n int) bool {
	run := 0
	for i := 0; i < len(text); i++ {
		if ok(text[i]) {
			run++
			if run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// rot13Pre is a cheap literal prefilter for rot13Cue.
func rot13Pre(text string) bool {
	for _, k := range []string{"13", "vtaber", "qvfertneq", "vafgehpgvbaf", "flfgrz", "wnvyoernx", "cergraq", "lbh", "Vtaber", "VTABER", "Lbh"} {
		if strings.Contains(text, k) {
			return true
		}
	}
	return false
}

func decodeB64(s string) (string, bool) {
	s = strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(s); err == nil {
			return string(d), true
		}
	}
	// Trailing partial quantum: drop up to 3 characters.
	for cut := 1; cut <= 3 && cut < len(s); cut++ {
		if d, err := base64.RawStdEncoding.DecodeString(s[:len(s)-cut]); err == nil {
			return string(d), true
		}
	}
	return "", false
}

// printable requires valid UTF-8 with at most 5% control characters and
// some letters.
func printable(s string) bool {
	if len(s) < 6 || !utf8.ValidString(s) {
		return false
	}
	bad, letters, n := 0, 0, 0
	for _, r := range s {
		n++
		if unicode.IsLetter(r) {
			letters++
		}
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' || r == utf8.RuneError {
			bad++
		}
	}
	return bad*20 <= n && letters*3 >= n
}

func firstSentence(s string) string {
	if i := strings.Index(s, ":"); i > 0 {
		return s[:i]
	}
	return truncate(s, 60)
}

var morse = map[string]byte{
	".-": 'a', "-...": 'b', "-.-.": 'c', "-..": 'd', ".": 'e', "..-.": 'f', "--.": 'g', "....": 'h',
	"..": 'i', ".---": 'j', "-.-": 'k', ".-..": 'l', "--": 'm', "-.": 'n', "---": 'o', ".--.": 'p',
	"--.-": 'q', ".-.": 'r', "...": 's', "-": 't', "..-": 'u', "...-": 'v', ".--": 'w', "-..-": 'x',
	"-.--": 'y', "--..": 'z', "-----": '0', ".----": '1', "..---": '2', "...--": '3', "....-": '4',
	".....": '5', "-....": '6', "--...": '7', "---..": '8', "----.": '9', ".-.-.-": '.', "--..--": ',',
	"..--..": '?', "-.-.--": '!', ".----.": '\'', "-.--.": '(', "-.--.-": ')', "---...": ':',
	"-....-": '-', ".-..-.": '"', "-..-.": '/', "..--.-": '_', "-...-": '=', ".-.-.": '+', ".--.-.": '@',
}

// decodeMorse decodes dot-dash letters separated by spaces; two or more
// spaces or a slash separate words.
func decodeMorse(s string) string {
	var b strings.Builder
	unknown, n := 0, 0
	for _, word := range morseWord.Split(strings.TrimSpace(s), -1) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		for _, code := range strings.Fields(word) {
			c, ok := morse[code]
			if !ok {
				c = '?'
				unknown++
			}
			b.WriteByte(c)
			n++
		}
	}
	if unknown*10 > n {
		return ""
	}
	return b.String()
}
