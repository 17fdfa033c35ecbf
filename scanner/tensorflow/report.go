package tensorflow

import (
	"fmt"

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

// plural renders "1 node", "3 nodes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
