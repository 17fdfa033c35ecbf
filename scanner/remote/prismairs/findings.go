package prismairs

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/prompt/promptcore"
)

// Rule IDs.
const (
	RuleBlocked          = "MG6201"
	RuleInjection        = "MG6202"
	RuleDLP              = "MG6203"
	RuleURLCategory      = "MG6204"
	RuleToxic            = "MG6205"
	RuleMaliciousCode    = "MG6206"
	RuleAgent            = "MG6207"
	RuleTopic            = "MG6208"
	RuleDBSecurity       = "MG6209"
	RuleUngrounded       = "MG6210"
	RuleOtherDetection   = "MG6211"
	RuleMaliciousAllowed = "MG6212"
)

// detectorRules maps prompt_detected / response_detected keys to rules.
var detectorRules = map[string]string{
	"injection":       RuleInjection,
	"dlp":             RuleDLP,
	"url_cats":        RuleURLCategory,
	"toxic_content":   RuleToxic,
	"malicious_code":  RuleMaliciousCode,
	"agent":           RuleAgent,
	"topic_violation": RuleTopic,
	"db_security":     RuleDBSecurity,
	"ungrounded":      RuleUngrounded,
}

// findings maps one item's answer to findings at the item's span.
func (it *item) findings(in *scanner.Input, profile string) []scanner.Finding {
	r := it.result
	where := fmt.Sprintf(" (%s %s", it.field, it.trID)
	if it.seg.Source != "" {
		where += ", in " + it.seg.Source
	}
	where += ", role " + string(it.seg.Role) + ")"
	var fs []scanner.Finding
	add := func(rule, msg, evidence string) {
		fs = append(fs, it.finding(in, rule, msg+where, evidence))
	}
	switch {
	case strings.EqualFold(r.Action, "block"):
		add(RuleBlocked, fmt.Sprintf("Prisma AIRS profile %s would block this text (category %s).", scanner.Quote(profile), r.Category), "action=block category="+r.Category)
	case strings.EqualFold(r.Category, "malicious"):
		add(RuleMaliciousAllowed, fmt.Sprintf("Prisma AIRS categorised this text as malicious; profile %s allows it.", scanner.Quote(profile)), "action="+r.Action+" category=malicious")
	}
	for _, d := range []struct {
		name     string
		detected map[string]any
	}{{"prompt_detected", r.PromptDetected}, {"response_detected", r.ResponseDetected}} {
		for _, key := range slices.Sorted(maps.Keys(d.detected)) {
			if !fired(d.detected[key]) {
				continue
			}
			rule, ok := detectorRules[key]
			if !ok {
				rule = RuleOtherDetection
			}
			add(rule, fmt.Sprintf("Prisma AIRS detector %s fired.", key), d.name+"."+key)
		}
	}
	return fs
}

// fired reads a detector flag: true, or an object that is not empty.
func fired(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case map[string]any:
		return len(v) > 0
	}
	return false
}

// finding is a finding at the item's span, its severity by the text's role.
func (it *item) finding(in *scanner.Input, rule, msg, evidence string) scanner.Finding {
	f := in.Finding(rule, msg, evidence)
	start, end := it.seg.Locate(it.start), it.seg.Locate(it.end)
	f.Location.StartLine, f.Location.StartColumn = start.Line, start.Column
	f.Location.EndLine, f.Location.EndColumn = end.Line, end.Column
	if r, ok := scanner.LookupRule(rule); ok {
		f.Severity = bandSeverity(r.Severity, it.seg.Role)
	}
	return f
}

// bandSeverity lowers a rule's severity as the embedded prompt rules do:
// one step for example, test and expected data (not below low), to info
// for red-team payloads, where attacks are expected.
func bandSeverity(s scanner.Severity, role promptcore.Role) scanner.Severity {
	switch role {
	case promptcore.RoleRedTeam:
		return scanner.SeverityInfo
	case promptcore.RoleExample, promptcore.RoleTestInput, promptcore.RoleExpected, promptcore.RoleUnknown:
		return max(s-1, scanner.SeverityLow)
	}
	return s
}
