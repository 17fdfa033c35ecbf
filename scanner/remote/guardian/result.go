package guardian

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/remote"
)

// Rule IDs.
const (
	RuleFailed    = "MG6301"
	RuleViolation = "MG6302"
)

// result is a scan as GET /scans/{uuid} answers it, for every client
// generation: aggregate_eval_outcome (v1), eval_outcome (successor) or
// status (0.2.x).
type result struct {
	Outcome      string      `json:"aggregate_eval_outcome"`
	EvalOutcome  string      `json:"eval_outcome"`
	Status       string      `json:"status"`
	ErrorCode    any         `json:"error_code"`
	ErrorMessage string      `json:"error_message"`
	Violations   []violation `json:"violations"`
	Summary      struct {
		Critical int `json:"critical_count"`
		High     int `json:"high_count"`
		Medium   int `json:"medium_count"`
		Low      int `json:"low_count"`
	} `json:"aggregate_eval_summary"`
	ScanSummary struct {
		IssueCounts map[string]int `json:"issue_counts"`
	} `json:"scan_summary"`
}

type violation struct {
	Issue             string `json:"issue"`
	Threat            string `json:"threat"`
	Operator          string `json:"operator"`
	Module            string `json:"module"`
	File              string `json:"file"`
	ThreatDescription string `json:"threat_description"`
	PolicyName        string `json:"policy_name"`
	Severity          string `json:"severity"`
	Remediation       struct {
		Steps []string `json:"steps"`
	} `json:"remediation"`
}

// outcome is PASS, FAIL, ERROR or PENDING, whichever generation answered.
func (r *result) outcome() string {
	o := strings.ToUpper(cmp.Or(r.Outcome, r.EvalOutcome))
	switch o {
	case "ALLOWED":
		return "PASS"
	case "BLOCKED":
		return "FAIL"
	case "":
		// 0.2.x: status, and issue counts instead of an outcome.
		switch strings.ToUpper(r.Status) {
		case "FINISHED":
			for _, n := range r.ScanSummary.IssueCounts {
				if n > 0 {
					return "FAIL"
				}
			}
			return "PASS"
		case "FAILED", "ERROR":
			return "ERROR"
		}
		return "PENDING"
	}
	return o
}

// done says whether the scan has ended; ERROR is the vendor's failure.
func (r *result) done() (bool, error) {
	switch r.outcome() {
	case "PENDING":
		return false, nil
	case "ERROR":
		code := fmt.Sprint(cmp.Or[any](r.ErrorCode, ""))
		return true, remote.ScanFailed(Vendor, "ERROR "+code, r.ErrorMessage)
	}
	return true, nil
}

// findings maps FAIL and its violations.
func (r *result) findings(in *scanner.Input) []scanner.Finding {
	if r.outcome() != "FAIL" {
		return nil
	}
	var fs []scanner.Finding
	for _, v := range r.Violations {
		fs = append(fs, v.finding(in))
	}
	s := r.Summary
	fs = append(fs, in.Finding(RuleFailed, fmt.Sprintf("Guardian's outcome is FAIL: %d violations (critical %d, high %d, medium %d, low %d).",
		len(r.Violations), s.Critical, s.High, s.Medium, s.Low), "outcome=FAIL"))
	return fs
}

func (v violation) finding(in *scanner.Input) scanner.Finding {
	msg := "Guardian " + cmp.Or(v.Threat, "violation")
	if d := cmp.Or(v.ThreatDescription, v.Issue); d != "" {
		msg += ": " + d
	}
	var where []string
	if v.PolicyName != "" {
		where = append(where, "policy "+scanner.Quote(v.PolicyName))
	}
	if v.Operator != "" {
		where = append(where, "operator "+scanner.Quote(v.Operator))
	}
	if v.Module != "" {
		where = append(where, "module "+scanner.Quote(v.Module))
	}
	if v.File != "" {
		where = append(where, "file "+scanner.Quote(v.File))
	}
	if len(where) > 0 {
		msg += " (" + strings.Join(where, ", ") + ")"
	}
	if len(v.Remediation.Steps) > 0 {
		msg += ". Remediation: " + strings.Join(v.Remediation.Steps, "; ")
	}
	f := in.Finding(RuleViolation, msg, strings.TrimSpace(v.Threat+" "+cmp.Or(v.Module, v.Operator)))
	if s, ok := remote.Severity(v.Severity); ok {
		f.Severity = s
	}
	return f
}
