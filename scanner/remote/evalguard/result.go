package evalguard

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/modelgate/modelgate/scanner"
	"github.com/modelgate/modelgate/scanner/remote"
)

// result is a scan as the poll route answers it, read tolerantly: the
// schema is not published.
type result struct {
	Status   string  `json:"status"`
	Verdict  string  `json:"verdict"`
	Issues   []issue `json:"issues"`
	Findings []issue `json:"findings"`
	Error    any     `json:"error"`
	Message  string  `json:"message"`
}

// issue is one problem EvalGuard found.
type issue struct {
	Title         string `json:"title"`
	Name          string `json:"name"`
	Type          string `json:"type"`
	Description   string `json:"description"`
	Message       string `json:"message"`
	Detail        string `json:"detail"`
	Severity      string `json:"severity"`
	ScanType      string `json:"scan_type"`
	ScanTypeCamel string `json:"scanType"`
	File          string `json:"file"`
}

// Status names; the poll route is undocumented, so several spellings count.
var (
	doneStatuses   = []string{"completed", "complete", "done", "finished", "succeeded", "success"}
	failedStatuses = []string{"failed", "failure", "error", "errored", "cancelled", "canceled"}
)

// done says whether the scan has ended; a failed scan is an error.
func (r *result) done() (bool, error) {
	status := strings.ToLower(r.Status)
	switch {
	case contains(failedStatuses, status):
		return true, remote.ScanFailed(Vendor, r.Status, cmp.Or(r.Message, errorText(r.Error)))
	case contains(doneStatuses, status):
		return true, nil
	}
	// No status, or one we do not know: a verdict means it is over.
	return r.Verdict != "" && !contains([]string{"queued", "pending", "running", "in_progress", "processing"}, status), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func errorText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if m, ok := v["message"].(string); ok {
			return m
		}
	}
	return ""
}

// findings maps the verdict and every issue.
func findings(in *scanner.Input, r *result) []scanner.Finding {
	var fs []scanner.Finding
	issues := append(r.Issues, r.Findings...)
	switch v := strings.ToLower(r.Verdict); v {
	case "", "safe", "clean", "benign", "pass", "passed":
	case "malicious", "unsafe", "dangerous":
		fs = append(fs, in.Finding(RuleMalicious, fmt.Sprintf("EvalGuard's verdict is %q (%d %s).", r.Verdict, len(issues), plural(len(issues))), "verdict="+v))
	default:
		fs = append(fs, in.Finding(RuleSuspicious, fmt.Sprintf("EvalGuard's verdict is %q (%d %s).", r.Verdict, len(issues), plural(len(issues))), "verdict="+v))
	}
	for _, is := range issues {
		fs = append(fs, is.finding(in))
	}
	return fs
}

func (is issue) finding(in *scanner.Input) scanner.Finding {
	title := cmp.Or(is.Title, is.Name, is.Type, "issue")
	msg := "EvalGuard: " + title
	if d := cmp.Or(is.Description, is.Message, is.Detail); d != "" {
		msg += ": " + d
	}
	if is.File != "" {
		msg += " (in " + scanner.Quote(is.File) + ")"
	}
	evidence := strings.TrimSpace(fmt.Sprintf("%s %s", cmp.Or(is.ScanType, is.ScanTypeCamel), cmp.Or(is.Type, is.Name, is.Title)))
	f := in.Finding(RuleIssue, msg, evidence)
	if s, ok := remote.Severity(is.Severity); ok {
		f.Severity = s
	}
	return f
}

func plural(n int) string {
	if n == 1 {
		return "issue"
	}
	return "issues"
}
