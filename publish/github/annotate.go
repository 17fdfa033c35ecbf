package github

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/report/markdown"
	"github.com/modelgate/modelgate/scanner"
)

// GitHub shows at most this many annotations of each level per step and
// silently drops the rest.
const annotationsPerLevel = 10

// maxSummaryBytes keeps the job summary under GitHub's 1 MiB per step.
const maxSummaryBytes = 1<<20 - 4096

// annotate writes workflow-command annotations (::error file=…,line=…::),
// most important first, within GitHub's per-step caps: blocking findings
// are errors, other medium-or-worse findings warnings, the rest notices.
// Warnings and notices the publisher already wrote count against the caps.
// When findings do not fit, one notice (or log line) says how many and
// points to the summary.
func (p *Publisher) annotate(rep *report.Report) {
	d := &rep.Decision
	idx := make([]int, len(d.Reported))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(compareBool(d.Blocking[b], d.Blocking[a]), cmp.Compare(d.Reported[b].Severity, d.Reported[a].Severity))
	})
	dropped := 0
	for _, i := range idx {
		level := annotationLevel(d.Reported[i].Severity, d.Blocking[i])
		budget := annotationsPerLevel - p.log.used(level)
		if level == "notice" {
			budget-- // keep one notice for the overflow line
		}
		if budget <= 0 {
			dropped++
			continue
		}
		p.annotation(level, &d.Reported[i])
	}
	if dropped == 0 {
		return
	}
	msg := fmt.Sprintf("%d more modelgate findings are not annotated (GitHub shows at most %d annotations of each level per step): see the job summary or the SARIF file.", dropped, annotationsPerLevel)
	if p.log.used("notice") < annotationsPerLevel {
		p.log.notice("%s", msg)
	} else {
		p.log.info("modelgate: %s", msg)
	}
}

func annotationLevel(s scanner.Severity, blocking bool) string {
	switch {
	case blocking:
		return "error"
	case s >= scanner.SeverityMedium:
		return "warning"
	}
	return "notice"
}

// annotation writes one; go-githubactions escapes the properties and the
// message.
func (p *Publisher) annotation(level string, f *scanner.Finding) {
	l := f.Location
	fields := map[string]string{"file": l.Path}
	title := f.RuleID
	if rule, ok := scanner.LookupRule(f.RuleID); ok {
		title += " " + rule.Title
	}
	fields["title"] = title
	if l.StartLine > 0 {
		fields["line"] = strconv.Itoa(l.StartLine)
		if l.EndLine > l.StartLine {
			fields["endLine"] = strconv.Itoa(l.EndLine)
		}
	}
	msg := fmt.Sprintf("%s: %s", f.Severity, f.Message)
	if l.Member != "" {
		msg += " (in " + l.Member + ")"
	}
	if l.StartLine == 0 && l.ByteOffset != nil {
		msg += fmt.Sprintf(" (at byte %d)", *l.ByteOffset)
	}
	a := p.gha.WithFieldsMap(fields)
	msg = p.log.redact(msg)
	p.log.count(level)
	switch level {
	case "error":
		a.Errorf("%s", msg)
	case "warning":
		a.Warningf("%s", msg)
	default:
		a.Noticef("%s", msg)
	}
}

// writeSummary appends the report to the job summary when the runner
// provides GITHUB_STEP_SUMMARY (go-githubactions panics otherwise).
func (p *Publisher) writeSummary(rep *report.Report) {
	if p.getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	opt := p.markdownOptions(maxSummaryBytes, "GitHub's 1 MiB job-summary limit")
	opt.FullReport = "the SARIF file"
	body := p.log.redact(markdown.Render(rep, opt))
	defer func() {
		if r := recover(); r != nil {
			p.log.warning("Writing the job summary failed: %v", r)
		}
	}()
	p.gha.AddStepSummary(body)
}
