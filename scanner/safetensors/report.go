package safetensors

import (
	"fmt"
	"unicode/utf8"

	"github.com/modelgate/modelgate/scanner"
)

// maxPerRule caps the findings of one rule in one file; the rest are
// counted in a single summary finding so a hostile header cannot flood the
// report.
const maxPerRule = 20

// maxExcerpt caps, in runes, names and metadata excerpts in messages and
// evidence.
const maxExcerpt = 80

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

// clip shortens s to at most max runes, marking a cut with "…".
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	i, n := 0, 0
	for i < len(s) && n < max {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return s[:i] + "…"
}

// tensorName renders a tensor name for messages and evidence.
func tensorName(name string) string { return "tensor " + scanner.Quote(name) }

// byteCount renders a size: "1 byte", "16 bytes".
func byteCount[T ~int64 | ~uint64](n T) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
