package scanner

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// DefaultPerRuleCap is how many findings of one rule a scanner reports per
// file before it summarises the rest.
const DefaultPerRuleCap = 20

// Collector gathers one file's findings, capped per rule, so that a hostile
// file cannot flood the report: after the cap, one closing finding per
// rule says how many more there were.
type Collector struct {
	in     *Input
	cap    int
	out    []Finding
	counts map[string]int
}

// NewCollector returns a collector for in with the given per-rule cap.
func NewCollector(in *Input, perRule int) *Collector {
	return &Collector{in: in, cap: perRule, counts: map[string]int{}}
}

// Add records a finding at byte offset off; a negative offset, or one
// beyond the input, records it without an offset.
func (c *Collector) Add(rule string, off int64, message, evidence string) {
	if c.counts[rule]++; c.counts[rule] > c.cap {
		return
	}
	if off < 0 || off > c.in.Size {
		c.out = append(c.out, c.in.Finding(rule, message, evidence))
		return
	}
	c.out = append(c.out, c.in.FindingAt(rule, off, message, evidence))
}

// AddFinding records a finding built by the caller (for example with a
// line region), under the same per-rule cap.
func (c *Collector) AddFinding(f Finding) {
	if c.counts[f.RuleID]++; c.counts[f.RuleID] <= c.cap {
		c.out = append(c.out, f)
	}
}

// Count is how many findings of rule were added, listed or not.
func (c *Collector) Count(rule string) int { return c.counts[rule] }

// Findings returns the recorded findings and one summary per capped rule.
func (c *Collector) Findings() []Finding {
	out := c.out
	var capped []string
	for rule, n := range c.counts {
		if n > c.cap {
			capped = append(capped, rule)
		}
	}
	slices.Sort(capped)
	for _, rule := range capped {
		extra := c.counts[rule] - c.cap
		out = append(out, c.in.Finding(rule,
			fmt.Sprintf("%d further %s findings in this file are not listed; only the first %d are.", extra, rule, c.cap),
			fmt.Sprintf("%d more not listed", extra)))
	}
	return out
}

// Input is the input the findings are about.
func (c *Collector) Input() *Input { return c.in }

// maxQuoted bounds a quoted name or excerpt, in bytes of quoted text.
const maxQuoted = 80

// Quote renders an untrusted name or excerpt for messages and evidence:
// Go-quoted, so control characters and odd bytes stay visible and inert,
// and clipped to about 80 bytes of quoted text.
func Quote(s string) string {
	b := []byte{'"'}
	for len(s) > 0 {
		if len(b) > maxQuoted {
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
