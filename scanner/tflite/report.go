package tflite

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner"
)

// maxPerRule caps the findings of one rule in one file; the rest are
// counted in a single summary finding so that a hostile file cannot flood
// the report.
const maxPerRule = 20

// maxExcerpt caps, in bytes of quoted text, names and excerpts in messages
// and evidence.
const maxExcerpt = 80

// report collects findings for one file, capped per rule.
type report struct {
	in     *scanner.Input
	out    []scanner.Finding
	counts map[string]int
}

func newReport(in *scanner.Input) *report {
	return &report{in: in, counts: map[string]int{}}
}

// add records a finding at a byte offset of the file (clamped to the file).
func (r *report) add(rule string, off int64, message, evidence string) {
	r.counts[rule]++
	if r.counts[rule] <= maxPerRule {
		r.out = append(r.out, r.in.FindingAt(rule, min(max(off, 0), r.in.Size), message, evidence))
	}
}

// findings returns what was recorded plus one summary per capped rule.
func (r *report) findings() []scanner.Finding {
	out := r.out
	rules := make([]string, 0, len(r.counts))
	for rule := range r.counts {
		rules = append(rules, rule)
	}
	slices.Sort(rules)
	for _, rule := range rules {
		if extra := r.counts[rule] - maxPerRule; extra > 0 {
			out = append(out, r.in.Finding(rule,
				fmt.Sprintf("%d more %s findings in this file are not listed (at most %d per rule are reported)", extra, rule, maxPerRule),
				fmt.Sprintf("%d more not listed", extra)))
		}
	}
	return out
}

// quote renders a name or excerpt for messages and evidence: Go-quoted, so
// control characters and odd bytes stay visible and inert, and clipped to
// about maxExcerpt bytes of quoted text.
func quote(s string) string {
	b := []byte{'"'}
	for len(s) > 0 {
		if len(b) > maxExcerpt {
			b = append(b, "…"...)
			break
		}
		_, size := utf8.DecodeRuneInString(s)
		q := strconv.Quote(s[:size])
		b = append(b, q[1:len(q)-1]...)
		s = s[size:]
	}
	return string(append(b, '"'))
}

// byteCount renders a size: "1 byte", "16 bytes".
func byteCount[T ~int64 | ~uint64 | ~int](n T) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
