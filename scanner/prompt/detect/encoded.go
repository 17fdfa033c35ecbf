package detect

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Encoded payloads: base64, hex, percent-encoding and ROT13 runs are
// decoded, and the decoded text is scanned again by every detector (to
// depth 2) and checked for code. A hit is reported on the encoded span.

var (
	b64Run    = regexp.MustCompile(`[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}={0,2}`)
	hexRun    = regexp.MustCompile(`\b(?:[0-9a-fA-F]{2}[ :]?){16,}\b|(?:\\x[0-9a-fA-F]{2}){8,}`)
	pctRun    = regexp.MustCompile(`(?:%[0-9a-fA-F]{2}[A-Za-z0-9._~+-]{0,3}){6,}`)
	morseRun  = regexp.MustCompile(`(?:[.\-]{1,7}(?: {1,3}|/ ?|$)){12,}`)
	morseWord = regexp.MustCompile(`\s{2,}|\s*/\s*`)
	rot13Cue  = regexp.MustCompile(`(?i)\brot-?13\b|\b(?:vtaber|qvfertneq|vafgehpgvbaf|flfgrz\s+cebzcg|wnvyoernx|cergraq|lbh\s+ner\s+abj)\b`)
	codeRe    = regexp.MustCompile(`\b(?:os\.system|os\.popen|subprocess\.\w+|__import__|eval\s*\(|exec\s*\(|child_process|Runtime\.getRuntime|/bin/(?:ba)?sh|rm\s+-rf\s+/|/etc/passwd|/etc/shadow|powershell|cmd\.exe|nc\s+-e|Invoke-Expression)`)
	eicar     = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
)

func findEncoded(text string, role promptcore.Role, depth int) []finding {
	var fs []finding
	try := func(s, e int, kind, decoded string) {
		if !printable(decoded) {
			return
		}
		why := ""
		if hits := runText(decoded, role, depth+1); len(hits) > 0 {
			why = "decodes to text that triggers " + hits[0].Rule + " (" + firstSentence(hits[0].Message) + ")"
		} else if m := codeRe.FindString(decoded); m != "" {
			why = "decodes to code or a shell command (" + m + ")"
		} else if strings.Contains(decoded, "EICAR-STANDARD") {
			why = "decodes to the EICAR test string"
		}
		if why == "" {
			return
		}
		fs = append(fs, finding{detector: DetEncoded, start: s, end: e,
			message:  fmt.Sprintf("%s-encoded payload %s: encoding hides instructions from reviewers and keyword filters while models decode it readily.", kind, why),
			evidence: kind + ":" + evidenceOf(decoded)})
	}
	if !hasRun(text, isB64Byte, 24) {
		goto hex
	}
	for _, m := range b64Run.FindAllStringIndex(text, 64) {
		s := text[m[0]:m[1]]
		if d, ok := decodeB64(s); ok {
			try(m[0], m[1], "base64", d)
		}
	}
hex:
	if !hasRun(text, isHexish, 32) {
		goto pct
	}
	for _, m := range hexRun.FindAllStringIndex(text, 32) {
		s := strings.NewReplacer(" ", "", ":", "", `\x`, "").Replace(text[m[0]:m[1]])
		if d, err := hex.DecodeString(s); err == nil {
			try(m[0], m[1], "hex", string(d))
		}
	}
pct:
	if strings.Count(text, "%") < 6 {
		goto morse
	}
	for _, m := range pctRun.FindAllStringIndex(text, 32) {
		if d, err := url.PathUnescape(text[m[0]:m[1]]); err == nil {
			try(m[0], m[1], "URL", d)
		}
	}
morse:
	if !hasRun(text, isMorseByte, 36) {
		goto rot
	}
	for _, m := range morseRun.FindAllStringIndex(text, 8) {
		if d := decodeMorse(text[m[0]:m[1]]); len(d) >= 12 {
			try(m[0], m[1], "Morse", d)
		}
	}
rot:
	if rot13Pre(text) && rot13Cue.MatchString(text) {
		if r := rot13(text); r != text {
			if hits := findInjection(r); len(hits) > 0 {
				h := hits[0]
				fs = append(fs, finding{detector: DetEncoded, start: h.start, end: h.end,
					message:  "ROT13-encoded prompt-injection phrase: encoding hides instructions from reviewers and keyword filters while models decode it readily.",
					evidence: "rot13:" + evidenceOf(r[h.start:h.end])})
			}
		}
	}
	return fs
}

func isB64Byte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '_' || b == '-'
}

func isHexish(b byte) bool {
	return b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' || b >= '0' && b <= '9' || b == ' ' || b == ':' || b == '\\' || b == 'x'
}

func isMorseByte(b byte) bool { return b == '.' || b == '-' || b == ' ' || b == '/' }

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

func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
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
