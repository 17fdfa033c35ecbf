package gitlab

import (
	"crypto/md5"
	"encoding/hex"
	"io"

	"github.com/modelgate/modelgate/report"
	"github.com/modelgate/modelgate/scanner"
)

// Code Quality field mapping (GitLab's subset of the Code Climate issue
// format; there is no official JSON schema): a JSON array with one issue
// per reported finding; description is "MG1234: message" with the member
// and byte offset; check_name the rule ID; fingerprint the MD5 (hex) of the
// category and the finding's fingerprint, which ignores line numbers;
// severity critical → blocker, high → critical, medium → major, low →
// minor, info → info; location.path the file relative to the project and
// lines.begin its line (1 for binary files).

// Issue is one Code Quality entry.
type Issue struct {
	Type        string   `json:"type"`
	CheckName   string   `json:"check_name"`
	Description string   `json:"description"`
	Content     *Content `json:"content,omitempty"`
	Categories  []string `json:"categories"`
	Fingerprint string   `json:"fingerprint"`
	Severity    string   `json:"severity"`
	Location    CQLoc    `json:"location"`
}

// Content is the issue's longer explanation (Markdown).
type Content struct {
	Body string `json:"body"`
}

// CQLoc is a Code Quality location.
type CQLoc struct {
	Path  string  `json:"path"`
	Lines CQLines `json:"lines"`
}

// CQLines are the issue's lines.
type CQLines struct {
	Begin int `json:"begin"`
	End   int `json:"end,omitempty"`
}

// BuildCodeQuality assembles the Code Quality report.
func BuildCodeQuality(rep *report.Report) []Issue {
	issues := make([]Issue, 0, len(rep.Decision.Reported))
	for i := range rep.Decision.Reported {
		f := &rep.Decision.Reported[i]
		rule := report.RuleFor(f)
		loc := location(f.Location)
		issues = append(issues, Issue{
			Type:        "issue",
			CheckName:   f.RuleID,
			Description: clip(f.RuleID+": "+Message(f), maxDescription),
			Content:     &Content{Body: clip(rule.HelpMarkdown(), maxDescription)},
			Categories:  []string{"Security"},
			Fingerprint: CodeQualityFingerprint(rep.Category, f.Fingerprint),
			Severity:    CodeQualitySeverity(f.Severity),
			Location:    CQLoc{Path: loc.File, Lines: CQLines{Begin: loc.StartLine, End: loc.EndLine}},
		})
	}
	return issues
}

// WriteCodeQuality renders the Code Quality report as indented JSON.
func WriteCodeQuality(w io.Writer, rep *report.Report) error {
	return writeJSON(w, BuildCodeQuality(rep))
}

// CodeQualityFingerprint is the issue's fingerprint: MD5 (hex) of the
// category and the finding's fingerprint.
func CodeQualityFingerprint(category, fingerprint string) string {
	if category == "" {
		category = report.DefaultCategory
	}
	sum := md5.Sum([]byte(category + "\x00" + fingerprint))
	return hex.EncodeToString(sum[:])
}

// CodeQualitySeverity maps a severity to Code Quality's scale.
func CodeQualitySeverity(s scanner.Severity) string {
	if n, ok := severityNames[s]; ok {
		return n[1]
	}
	return "info"
}
