// Package policy turns a scan result into a decision: which findings are
// reported, which block, and the exit code. It has no side effects; the
// output formats never change the decision.
package policy

import (
	"fmt"
	"strings"

	"github.com/modelgate/modelgate/scanner"
)

// Exit codes, as ClamAV, picklescan and ModelScan use them.
const (
	ExitPass  = 0 // nothing at or above the fail-on severity
	ExitFail  = 1 // blocking findings
	ExitError = 2 // operational error: bad flag, unreadable path, internal error
)

// Verdicts.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// Gate holds the thresholds. FailOn of scanner.SeverityUnset means never
// fail ("none").
type Gate struct {
	FailOn    scanner.Severity
	ReportMin scanner.Severity
}

// DefaultGate fails on high and reports everything.
var DefaultGate = Gate{FailOn: scanner.SeverityHigh, ReportMin: scanner.SeverityInfo}

// ParseFailOn reads a --fail-on value: a severity or "none".
func ParseFailOn(s string) (scanner.Severity, error) {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		return scanner.SeverityUnset, nil
	}
	sev, err := scanner.ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("unknown fail-on %q (want critical, high, medium, low, info or none)", s)
	}
	return sev, nil
}

// FailOnName is the --fail-on spelling of a threshold.
func FailOnName(s scanner.Severity) string {
	if s == scanner.SeverityUnset {
		return "none"
	}
	return s.String()
}

// Decision is what the gate concluded.
type Decision struct {
	Gate Gate
	// Reported are the findings shown in every output, in result order:
	// those at or above ReportMin, plus every blocking finding (a finding
	// that fails the build is always shown).
	Reported []scanner.Finding
	// Blocking[i] says whether Reported[i] is at or above FailOn.
	Blocking []bool
	// BlockingCount is the number of blocking findings.
	BlockingCount int
	// Hidden counts findings below ReportMin.
	Hidden int
	// Suppressed are the findings the policy file or the baseline
	// accepts, in result order.
	Suppressed []Suppressed
	// Disabled counts findings of rules the policy file turns off.
	Disabled int
	// BaselineUsed says a baseline was applied (reported findings are new).
	BaselineUsed bool
	// Notes are policy warnings: expired or stale suppressions, a stale
	// baseline.
	Notes    []Note
	Verdict  string
	ExitCode int
}

// SuppressedCount counts the suppressed findings of a kind.
func (d *Decision) SuppressedCount(kind string) int {
	n := 0
	for _, s := range d.Suppressed {
		if s.Kind == kind {
			n++
		}
	}
	return n
}

// IsBlocking reports whether a severity fails the gate.
func (g Gate) IsBlocking(s scanner.Severity) bool {
	return g.FailOn != scanner.SeverityUnset && s >= g.FailOn
}

// CountBySeverity counts the reported findings per severity.
func (d *Decision) CountBySeverity() map[scanner.Severity]int {
	counts := map[scanner.Severity]int{}
	for _, f := range d.Reported {
		counts[f.Severity]++
	}
	return counts
}
