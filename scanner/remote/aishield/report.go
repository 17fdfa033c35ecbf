package aishield

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/remote"
)

// Rule IDs.
const (
	RuleVulnerable = "MG6401"
	RuleEntry      = "MG6402"
)

// maxEntries caps the report entries turned into findings.
const maxEntries = 50

// jobStatus is job_status_detailed's answer; the misspelt keys are real.
type jobStatus map[string]any

func (s jobStatus) get(key string) string {
	switch v := s[key].(type) {
	case string:
		return strings.ToLower(strings.TrimSpace(v))
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// done applies the documented terminal states: any stage failed is a
// failure; supply chain ends with SupplyChainStatus; a model analysis
// ends with the defence report, or with the vulnerability engine when
// defence generation is not triggered or the task has no defence.
func (s jobStatus) done(cfg Config) (bool, error) {
	for k := range s {
		if strings.HasSuffix(k, "Status") && s.get(k) == "failed" {
			return true, remote.ScanFailed(Vendor, k+"=failed", s.get("CurrentStatus"))
		}
	}
	if cfg.Analysis == SupplyChain {
		return s.get("SupplyChainStatus") == "completed", nil
	}
	ve := s.get("VunerabilityEngine_Status")
	veDone := ve == "completed" || ve == "passed"
	switch {
	case s.get("DefenseReport_Status") == "completed":
		return true, nil
	case veDone && strings.EqualFold(s.get("CurrentStatus"), "defense generation is not triggered"):
		return true, nil
	case veDone && noDefence(cfg):
		return true, nil
	}
	return false, nil
}

// noDefence: analyses that end with the vulnerability engine.
func noDefence(cfg Config) bool {
	return strings.Contains(cfg.AnalysisType, "poisoning") || cfg.TaskType == "nlp" ||
		cfg.TaskType == "text_recommendation" || cfg.TaskType == "object_detection"
}

// mapReport turns the score and the report's entries into findings.
func (e *Engine) mapReport(in *scanner.Input, j job, status jobStatus, report any) remote.Report {
	rep := remote.Report{Sent: true, Verdict: "completed"}
	score, ok := findScore(report)
	if !ok {
		score, ok = parseScore(status["VulnerabiltyScore"])
	}
	if ok {
		rep.Verdict = fmt.Sprintf("score %.2f", score)
		if score >= e.cfg.Threshold {
			msg := fmt.Sprintf("AIShield's vulnerability score is %.2f (threshold %.2f).", score, e.cfg.Threshold)
			if j.link != "" {
				msg += " Report: " + j.link
			}
			rep.Findings = append(rep.Findings, in.Finding(RuleVulnerable, msg, fmt.Sprintf("score=%.2f", score)))
		}
	}
	var entries []map[string]any
	collectEntries(report, &entries)
	for i, ent := range entries {
		if i == maxEntries {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %d more report entries not listed", in.Path, len(entries)-maxEntries))
			break
		}
		rep.Findings = append(rep.Findings, entryFinding(in, ent))
	}
	return rep
}

// scoreKeys are the spellings of the score seen or expected.
var scoreKeys = []string{"vulnerabiltyscore", "vulnerabilityscore", "vulnerability_score", "vulnerabilty_score", "score"}

// findScore looks for a score anywhere in the report, preferring the
// most specific key.
func findScore(v any) (float64, bool) {
	for _, key := range scoreKeys {
		if s, ok := findKey(v, key, 0); ok {
			return s, true
		}
	}
	return 0, false
}

func findKey(v any, key string, depth int) (float64, bool) {
	if depth > 8 {
		return 0, false
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.EqualFold(k, key) {
				if s, ok := parseScore(x); ok {
					return s, true
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if s, ok := findKey(v[k], key, depth+1); ok {
				return s, true
			}
		}
	case []any:
		for _, x := range v {
			if s, ok := findKey(x, key, depth+1); ok {
				return s, true
			}
		}
	}
	return 0, false
}

// parseScore reads 0.82, "0.82", "82%" or 82 (scaled to 0.82).
func parseScore(v any) (float64, bool) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), "%"), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if f > 1 {
		f /= 100
	}
	return f, f >= 0
}

// collectEntries finds objects in arrays that read as report entries: a
// name and a description or severity.
func collectEntries(v any, out *[]map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			collectEntries(v[k], out)
		}
	case []any:
		for _, x := range v {
			if m, ok := x.(map[string]any); ok && entryName(m) != "" && (text(m, "description", "details", "detail", "message") != "" || text(m, "severity", "risk") != "") {
				*out = append(*out, m)
				continue
			}
			collectEntries(x, out)
		}
	}
}

func entryName(m map[string]any) string {
	return text(m, "name", "title", "vulnerability", "attack", "check", "issue")
}

func text(m map[string]any, keys ...string) string {
	for _, k := range keys {
		for mk, v := range m {
			if s, ok := v.(string); ok && strings.EqualFold(mk, k) && s != "" {
				return s
			}
		}
	}
	return ""
}

func entryFinding(in *scanner.Input, m map[string]any) scanner.Finding {
	name := entryName(m)
	msg := "AIShield: " + name
	if d := text(m, "description", "details", "detail", "message"); d != "" {
		msg += ": " + d
	}
	if r := text(m, "recommendation", "remediation", "mitigation"); r != "" {
		msg += ". Recommendation: " + r
	}
	f := in.Finding(RuleEntry, msg, cmp.Or(text(m, "id", "type", "category"), name))
	if s, ok := remote.Severity(text(m, "severity", "risk")); ok {
		f.Severity = s
	}
	return f
}
