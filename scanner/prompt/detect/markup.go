package detect

import (
	"regexp"
	"strings"
)

// Hidden markup: HTML comments carrying instructions and elements styled
// so that a human reader never sees them while the model still reads them.

var (
	htmlComment = regexp.MustCompile(`(?s)<!--(.*?)-->`)
	hiddenStyle = regexp.MustCompile(`(?is)<(\w+)\b[^>]*?\bstyle\s*=\s*["'][^"']*?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0*)?(?:px|pt|em|rem|%)?\s*[;"']|opacity\s*:\s*0(?:\.0*)?\s*[;"']|color\s*:\s*(?:#fff(?:fff)?|white)\b[^"']*background(?:-color)?\s*:\s*(?:#fff(?:fff)?|white)\b)[^>]*>`)
	hiddenAttr  = regexp.MustCompile(`(?i)<(\w+)\b[^>]*?\s(?:hidden|aria-hidden\s*=\s*["']?true)\b[^>]*>`)
)

func findMarkup(text string) []finding {
	var fs []finding
	for _, m := range htmlComment.FindAllStringSubmatchIndex(text, 32) {
		body := text[m[2]:m[3]]
		if len(body) > 4000 {
			continue
		}
		if len(findInjection(body)) == 0 && !imperative.MatchString(body) {
			continue
		}
		fs = append(fs, finding{detector: DetMarkup, start: m[0], end: m[1],
			message:  "HTML comment containing instructions: it is invisible when the Markdown or HTML is rendered but the model reads it.",
			evidence: evidenceOf(text[m[0]:m[1]])})
	}
	for _, re := range []*regexp.Regexp{hiddenStyle, hiddenAttr} {
		for _, m := range re.FindAllStringIndex(text, 32) {
			body := text[m[1]:]
			if k := strings.Index(body, "</"); k >= 0 {
				body = body[:k]
			}
			body = truncate(body, 2000)
			if len(findInjection(body)) == 0 && !imperative.MatchString(body) {
				continue // hidden UI state (tabs, menus) without instructions
			}
			fs = append(fs, finding{detector: DetMarkup, start: m[0], end: m[1],
				message:  "Element hidden from readers (display:none, zero font size, zero opacity, white-on-white or hidden attribute): content in it reaches the model but not the reviewer.",
				evidence: evidenceOf(text[m[0]:m[1]])})
		}
	}
	return fs
}

// imperative matches instruction-like comment bodies addressed to a model.
var imperative = regexp.MustCompile(`(?i)\b(?:you\s+(?:must|should|will|are\s+now)|(?:assistant|ai|llm|model|agent|chatbot)s?\b[^.\n]{0,40}\b(?:must|should|ignore|send|fetch|include|reveal|append)|do\s+not\s+(?:tell|mention|reveal|show)\s+(?:the\s+)?user)\b`)
