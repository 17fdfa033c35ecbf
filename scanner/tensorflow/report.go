package tensorflow

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner"
)

// perRuleLimit caps the findings of one rule in one file; the rest are
// summed up in one closing finding, so a hostile model cannot flood the
// report.
const perRuleLimit = 20

// noOffset marks a finding without a byte offset.
const noOffset = -1

// report collects one file's findings, capped per rule (see
// scanner.Collector).
type report struct{ *scanner.Collector }

func newReport(in *scanner.Input) *report {
	return &report{scanner.NewCollector(in, scanner.DefaultPerRuleCap)}
}

func (r *report) add(rule string, off int64, message, evidence string) {
	r.Add(rule, off, message, evidence)
}

func (r *report) findings() []scanner.Finding { return r.Findings() }

// excerptLen caps quoted names and excerpts, in bytes of quoted text.
const excerptLen = 80

// quote renders untrusted text for messages and evidence: Go-quoted so
// control characters stay visible and inert, and cut at about excerptLen
// bytes of quoted text.
func quote(s string) string {
	b := make([]byte, 0, min(len(s), excerptLen)+8)
	b = append(b, '"')
	for i := 0; i < len(s); {
		if len(b) > excerptLen {
			b = append(b, "…"...)
			break
		}
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		mark := len(b)
		b = strconv.AppendQuote(b, s[i:i+size]) // "x", quotes included
		b = append(b[:mark], b[mark+1:len(b)-1]...)
		i += size
	}
	return string(append(b, '"'))
}

// plural renders "1 node", "3 nodes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
