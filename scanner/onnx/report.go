package onnx

import (
	"fmt"
	"slices"
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

// report collects one file's findings.
type report struct {
	in    *scanner.Input
	out   []scanner.Finding
	count map[string]int
}

func newReport(in *scanner.Input) *report {
	return &report{in: in, count: map[string]int{}}
}

// add records a finding, at a byte offset unless off is negative.
func (r *report) add(rule string, off int64, message, evidence string) {
	r.count[rule]++
	if r.count[rule] > perRuleLimit {
		return
	}
	if off < 0 || off > r.in.Size {
		r.out = append(r.out, r.in.Finding(rule, message, evidence))
		return
	}
	r.out = append(r.out, r.in.FindingAt(rule, off, message, evidence))
}

// findings returns the findings with one summary per capped rule.
func (r *report) findings() []scanner.Finding {
	out := r.out
	var capped []string
	for rule, n := range r.count {
		if n > perRuleLimit {
			capped = append(capped, rule)
		}
	}
	slices.Sort(capped)
	for _, rule := range capped {
		extra := r.count[rule] - perRuleLimit
		out = append(out, r.in.Finding(rule,
			fmt.Sprintf("%d further %s findings in this model are not listed; only the first %d are", extra, rule, perRuleLimit),
			fmt.Sprintf("%d more not listed", extra)))
	}
	return out
}

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
