package tflite

import (
	"fmt"
	"github.com/modelgate/modelgate/internal/textcheck"
	"github.com/modelgate/modelgate/scanner"
	"strings"
	"unicode/utf8"
)

// checkText reports code and URLs in s.
func checkText(rep *report, where, s string, off int64) {
	var labels []string
	first := -1
	for _, c := range textcheck.CodePatterns {
		if loc := c.RE.FindStringIndex(s); loc != nil {
			labels = append(labels, c.Label)
			if first < 0 || loc[0] < first {
				first = loc[0]
			}
		}
	}
	if labels != nil {
		rep.add(ruleCode, off+int64(first),
			fmt.Sprintf("%s contains code or shell command text (%s); TFLite never runs it, but tools and model cards that display or template it can", where, strings.Join(labels, ", ")),
			fmt.Sprintf("%s: %s", where, scanner.Quote(textcheck.Excerpt(s, first))))
	}
	if loc := textcheck.URL.FindStringIndex(s); loc != nil {
		u := textcheck.RedactURL(s[loc[0]:loc[1]])
		rep.add(ruleURL, off+int64(loc[0]),
			fmt.Sprintf("%s contains the URL %s", where, scanner.Quote(u)),
			fmt.Sprintf("%s: %s", where, scanner.Quote(u)))
	}
}

// clip shortens s to at most n bytes on a rune boundary, marking a cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
