// Package text renders a report for people: one line per finding, then a
// summary of files, findings and the gate's verdict.
package text

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/format"
)

// Options control the rendering.
type Options struct {
	// Color adds ANSI colours (only for terminals).
	Color bool
}

const (
	reset = "\x1b[0m"
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
)

var severityColor = map[scanner.Severity]string{
	scanner.SeverityCritical: "\x1b[1;35m",
	scanner.SeverityHigh:     "\x1b[1;31m",
	scanner.SeverityMedium:   "\x1b[33m",
	scanner.SeverityLow:      "\x1b[36m",
	scanner.SeverityInfo:     "\x1b[2m",
}

type printer struct {
	w   io.Writer
	opt Options
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) paint(style, s string) string {
	if !p.opt.Color || style == "" {
		return s
	}
	return style + s + reset
}

// Write renders the findings and the summary.
func Write(w io.Writer, rep *report.Report, opt Options) error {
	p := &printer{w: w, opt: opt}
	p.findings(rep)
	p.summary(rep)
	return p.err
}

func (p *printer) findings(rep *report.Report) {
	d := &rep.Decision
	width := 0
	for _, f := range d.Reported {
		width = max(width, len(f.Location.String()))
	}
	width = min(width, 60)
	for i, f := range d.Reported {
		sev := strings.ToUpper(f.Severity.String())
		mark := " "
		if d.Blocking[i] {
			mark = "✗"
		}
		p.printf("%s %-*s  %s  %s  %s\n", mark, width, f.Location.String(),
			p.paint(severityColor[f.Severity], fmt.Sprintf("%-8s", sev)), p.paint(dim, f.RuleID), f.Message)
	}
	if len(d.Reported) > 0 {
		p.printf("\n")
	}
}

func (p *printer) summary(rep *report.Report) {
	res, d := rep.Result, &rep.Decision
	scanned, skipped := res.FileCounts()
	p.printf("%s %s · %s\n", p.paint(bold, rep.Tool.Name), rep.Tool.Version, res.Elapsed().Round(time.Millisecond))
	p.printf("  files scanned   %d%s\n", sum(scanned), breakdown(scanned))
	for _, line := range inventory(scanned) {
		p.printf("                  %s\n", line)
	}
	p.printf("  files skipped   %d%s\n", sum(skipped), breakdown(skipped))
	if res.FilesSniffed > 0 {
		p.printf("  other files     %d checked by content, not models\n", res.FilesSniffed)
	}
	if len(res.Errors) > 0 {
		p.printf("  scan errors     %d (see MG0001/MG0005 findings)\n", len(res.Errors))
	}
	counts := d.CountBySeverity()
	var parts []string
	for _, s := range scanner.Severities {
		parts = append(parts, p.paint(severityColor[s], fmt.Sprintf("%s %d", s, counts[s])))
	}
	p.printf("  findings        %d: %s\n", len(d.Reported), strings.Join(parts, ", "))
	if d.Hidden > 0 {
		p.printf("  not shown       %d below --report-min %s\n", d.Hidden, d.Gate.ReportMin)
	}
	if n := len(d.Suppressed); n > 0 {
		p.printf("  suppressed      %d%s\n", n, suppressedBreakdown(d))
	}
	if d.Disabled > 0 {
		p.printf("  disabled        %d of rules turned off in %s\n", d.Disabled, rep.ConfigPath)
	}
	p.printf("  verdict         %s\n", p.verdict(d))
	for _, n := range d.Notes {
		p.printf("%s\n", p.paint(severityColor[scanner.SeverityMedium], n.String()))
	}
}

// suppressedBreakdown says what suppressed findings: " (2 by the policy
// file, 5 in the baseline)".
func suppressedBreakdown(d *policy.Decision) string {
	var parts []string
	if n := d.SuppressedCount(policy.KindConfig); n > 0 {
		parts = append(parts, fmt.Sprintf("%d by the policy file", n))
	}
	if n := d.SuppressedCount(policy.KindBaseline); n > 0 {
		parts = append(parts, fmt.Sprintf("%d in the baseline", n))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func (p *printer) verdict(d *policy.Decision) string {
	failOn := policy.FailOnName(d.Gate.FailOn)
	if d.Verdict == policy.VerdictFail {
		return p.paint("\x1b[1;31m", "FAIL") + fmt.Sprintf(": %d finding%s at or above --fail-on %s", d.BlockingCount, plural(d.BlockingCount), failOn)
	}
	if d.Gate.FailOn == scanner.SeverityUnset {
		return p.paint("\x1b[1;32m", "PASS") + " (--fail-on none)"
	}
	return p.paint("\x1b[1;32m", "PASS") + fmt.Sprintf(": nothing at or above --fail-on %s", failOn)
}

// inventory groups the scanned formats by what loading them can do.
func inventory(scanned map[format.Format]int) []string {
	byRisk := map[format.Risk]map[format.Format]int{}
	for f, n := range scanned {
		r := format.RiskOf(f)
		if r == format.RiskText || r == format.RiskNone {
			continue
		}
		if byRisk[r] == nil {
			byRisk[r] = map[format.Format]int{}
		}
		byRisk[r][f] = n
	}
	var lines []string
	for _, r := range format.Risks {
		if m := byRisk[r]; m != nil {
			lines = append(lines, fmt.Sprintf("%s: %d%s", r, sum(m), breakdown(m)))
		}
	}
	return lines
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func sum[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// breakdown renders " (a 2, b 1)", largest first, then by name.
func breakdown[K ~string](m map[K]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b K) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
