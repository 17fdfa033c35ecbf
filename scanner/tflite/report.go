package tflite

import (
	"fmt"

	"github.com/modelgate/modelgate/scanner"
)

// maxPerRule caps the findings of one rule in one file; the rest are
// counted in a single summary finding so that a hostile file cannot flood
// the report.
const maxPerRule = 20

// maxExcerpt caps, in bytes of quoted text, names and excerpts in messages
// and evidence.
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

// byteCount renders a size: "1 byte", "16 bytes".
func byteCount[T ~int64 | ~uint64 | ~int](n T) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
